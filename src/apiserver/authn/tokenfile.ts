// Static token file authentication (kube-apiserver --token-auth-file): a CSV of
// `token,user,uid,"group1,group2"`, at least three columns per record; records with an empty
// token are skipped, and a repeated token keeps its last record.
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../types.ts';
import type { Authenticator, AuthnResult } from './types.ts';

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export interface TokenFileAuthenticator extends Authenticator {
  /** Re-reads the file (upstream reads it once at start; Skiff offers a reload). */
  reload(): void;
  readonly size: number;
}

export function tokenFileAuthenticator(path: string): TokenFileAuthenticator {
  let tokens = parseTokenCSV(readFileSync(path, 'utf8'), path);
  return {
    authenticateToken(token: string): AuthnResult {
      const user = tokens.get(token);
      return user ? { user: { ...user, groups: [...user.groups] } } : undefined;
    },
    reload() {
      tokens = parseTokenCSV(readFileSync(path, 'utf8'), path);
    },
    get size() {
      return tokens.size;
    },
  };
}

/** Parses the token CSV (RFC 4180 quoting as Go's encoding/csv, leading spaces trimmed). */
export function parseTokenCSV(text: string, path = 'tokens.csv'): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  for (const record of readCSV(text)) {
    if (record.length < 3) throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`);
    const [token, name, uid, groups] = record as [string, string, string, string | undefined];
    if (!token) continue;
    out.set(token, { username: name, uid, groups: groups !== undefined ? groups.split(',') : [] });
  }
  return out;
}

function readCSV(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Blank lines are ignored, as Go's csv reader does.
    if (text[i] === '\n' || text[i] === '\r') {
      i++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      while (text[i] === ' ' || text[i] === '\t') i++;
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new TokenFileError('extraneous or missing " in quoted-field');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          field += c;
          i++;
        }
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      break;
    }
    records.push(fields);
  }
  return records;
}
