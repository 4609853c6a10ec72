// kube-apiserver's --encryption-provider-config: an EncryptionConfiguration
// (apiserver.config.k8s.io/v1, YAML or JSON) mapping resources (`secrets`, `deployments.apps`,
// `*.apps`, `*.`, `*.*`) to ordered providers; the first matching entry decides a resource's
// providers. `skiff up` generates one with a random aescbc key for secrets on first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { PrefixTransformers, aescbc, aesgcm, identity, secretbox, type NaclSecretbox, type PrefixTransformer, type ValueTransformer } from './transformer.ts';

/** The transformers of every configured resource. */
export interface EncryptionConfig {
  /** The transformer of a resource, or undefined when it is stored as is. */
  forResource(group: string, resource: string): ValueTransformer | undefined;
}

interface Rule {
  group: string;
  /** '*' for every resource of the group. */
  resource: string;
  /** '*' for every group. */
  anyGroup: boolean;
  transformer: PrefixTransformers;
}

/** The problem(s) of an EncryptionConfiguration, one per line as field errors. */
export class EncryptionConfigError extends Error {
  readonly code = 'EncryptionConfigError';
}

function parseResource(s: string): { group: string; resource: string; anyGroup: boolean } {
  if (s === '*.*') return { group: '', resource: '*', anyGroup: true };
  const dot = s.indexOf('.');
  if (dot < 0) return { group: '', resource: s, anyGroup: false };
  return { resource: s.slice(0, dot), group: s.slice(dot + 1), anyGroup: false };
}

function masks(earlier: { group: string; resource: string; anyGroup: boolean }, later: { group: string; resource: string; anyGroup: boolean }): boolean {
  if (earlier.anyGroup) return true;
  if (later.anyGroup || earlier.group !== later.group) return false;
  return earlier.resource === '*' || earlier.resource === later.resource;
}

const PROVIDERS = ['aescbc', 'aesgcm', 'secretbox', 'identity', 'kms'] as const;

/**
 * Parses and validates an EncryptionConfiguration. `nacl` is tweetnacl's `secretbox`, needed
 * only when a secretbox provider is configured (see loadEncryptionConfig).
 */
export function parseEncryptionConfig(text: string, nacl?: NaclSecretbox): EncryptionConfig {
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new EncryptionConfigError(`error while parsing the encryption provider configuration: ${(e as Error).message}`);
  }
  const errs: string[] = [];
  if (!doc || typeof doc !== 'object') throw new EncryptionConfigError('the encryption provider configuration is empty');
  if (doc.kind !== 'EncryptionConfiguration') errs.push(`kind: Invalid value: "${doc.kind ?? ''}": must be EncryptionConfiguration`);
  if (doc.apiVersion !== 'apiserver.config.k8s.io/v1') errs.push(`apiVersion: Invalid value: "${doc.apiVersion ?? ''}": must be apiserver.config.k8s.io/v1`);
  const resources: any[] = Array.isArray(doc.resources) ? doc.resources : [];
  if (resources.length === 0) errs.push('resources: Required value: at least one resource is required');
  const rules: Rule[] = [];
  const seen: { text: string; gr: ReturnType<typeof parseResource> }[] = [];
  resources.forEach((entry, i) => {
    const path = `resources[${i}]`;
    const names: unknown[] = Array.isArray(entry?.resources) ? entry.resources : [];
    if (names.length === 0) errs.push(`${path}.resources: Required value: at least one resource is required`);
    const providers: PrefixTransformer[] = [];
    const list: any[] = Array.isArray(entry?.providers) ? entry.providers : [];
    if (list.length === 0) errs.push(`${path}.providers: Required value: at least one provider is required`);
    list.forEach((p, j) => {
      const ppath = `${path}.providers[${j}]`;
      const kinds = PROVIDERS.filter((k) => p && p[k] !== undefined && p[k] !== null);
      if (kinds.length !== 1) {
        errs.push(kinds.length === 0 ? `${ppath}: Required value: a provider (aescbc, aesgcm, secretbox or identity) is required` : `${ppath}: Invalid value: more than one provider specified in a single element, should split into different list elements`);
        return;
      }
      const kind = kinds[0]!;
      if (kind === 'identity') return void providers.push(identity);
      if (kind === 'kms') return void errs.push(`${ppath}.kms: Unsupported value: KMS providers are not supported by skiff; use aescbc, aesgcm or secretbox`);
      const keys: any[] = Array.isArray(p[kind].keys) ? p[kind].keys : [];
      if (keys.length === 0) errs.push(`${ppath}.${kind}.keys: Required value: at least one key is required`);
      const keyNames = new Set<string>();
      keys.forEach((k, n) => {
        const kpath = `${ppath}.${kind}.keys[${n}]`;
        const name = typeof k?.name === 'string' ? k.name : '';
        if (!name) return void errs.push(`${kpath}.name: Required value: key name is required`);
        if (name.includes(':')) return void errs.push(`${kpath}.name: Invalid value: "${name}": key name must not contain ':'`);
        if (keyNames.has(name)) return void errs.push(`${kpath}.name: Duplicate value: "${name}"`);
        keyNames.add(name);
        const b64 = typeof k?.secret === 'string' ? k.secret : '';
        if (!b64) return void errs.push(`${kpath}.secret: Required value: secret is required`);
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return void errs.push(`${kpath}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
        const secret = Buffer.from(b64, 'base64');
        try {
          if (kind === 'aescbc') providers.push(aescbc(name, secret));
          else if (kind === 'aesgcm') providers.push(aesgcm(name, secret));
          else {
            if (!nacl) throw new Error('the secretbox provider needs the tweetnacl package, which is not installed');
            providers.push(secretbox(name, secret, nacl));
          }
        } catch (e) {
          errs.push(`${kpath}.secret: Invalid value: "REDACTED": ${(e as Error).message}`);
        }
      });
    });
    const transformer = providers.length ? new PrefixTransformers(providers) : undefined;
    names.forEach((n, j) => {
      const rpath = `${path}.resources[${j}]`;
      if (typeof n !== 'string' || !n) return void errs.push(`${rpath}: Required value: resource name is required`);
      if (n !== n.toLowerCase()) return void errs.push(`${rpath}: Invalid value: "${n}": resource name must be lowercase`);
      const gr = parseResource(n);
      if (gr.group === '*' && !gr.anyGroup) return void errs.push(`${rpath}: Invalid value: "${n}": use "*.*" for all resources of all groups`);
      const masker = seen.find((s) => masks(s.gr, gr));
      if (masker) return void errs.push(`${rpath}: Invalid value: "${n}": resource "${n}" is masked by earlier rule "${masker.text}"`);
      seen.push({ text: n, gr });
      if (transformer) rules.push({ ...gr, transformer });
    });
  });
  if (errs.length) throw new EncryptionConfigError(`invalid encryption provider configuration:\n  ${errs.join('\n  ')}`);
  const cache = new Map<string, ValueTransformer | undefined>();
  return {
    forResource(group, resource) {
      const id = `${resource}.${group}`;
      if (cache.has(id)) return cache.get(id);
      const rule = rules.find((r) => r.anyGroup || (r.group === group && (r.resource === '*' || r.resource === resource)));
      const t = rule?.transformer;
      cache.set(id, t);
      return t;
    },
  };
}

/** Reads --encryption-provider-config; loads tweetnacl only if a secretbox provider needs it. */
export async function loadEncryptionConfig(path: string): Promise<EncryptionConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EncryptionConfigError(`error reading encryption provider configuration file "${path}": ${(e as Error).message}`);
  }
  let nacl: NaclSecretbox | undefined;
  if (/\bsecretbox\s*["']?\s*:/.test(text)) {
    try {
      const specifier = 'tweetnacl';
      const mod = (await import(specifier)) as { default?: { secretbox: NaclSecretbox }; secretbox?: NaclSecretbox };
      nacl = mod.secretbox ?? mod.default?.secretbox;
    } catch {
      nacl = undefined;
    }
  }
  try {
    return parseEncryptionConfig(text, nacl);
  } catch (e) {
    if (e instanceof EncryptionConfigError) throw new EncryptionConfigError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Where `skiff up` keeps the configuration it generates. */
export function defaultEncryptionConfigPath(dataDir: string): string {
  return join(dataDir, 'encryption-config.yaml');
}

/**
 * The configuration `skiff up` uses when none is given: secrets encrypted with a random 32-byte
 * aescbc key, written once (mode 0600) and kept, so restarts read what was written. identity comes
 * second so that secrets a data dir holds from before are still read (and encrypted on their next write).
 */
export function ensureDefaultEncryptionConfig(dataDir: string): string {
  const path = defaultEncryptionConfigPath(dataDir);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const text = [
    '# Generated by skiff up: secrets are encrypted at rest with this key. Keep this file private;',
    '# without it the secrets in this data dir cannot be read. Rotate: add a new key first, restart,',
    '# then rewrite every secret (kubectl get secrets -A -o json | kubectl replace -f -).',
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources:',
    '      - secrets',
    '    providers:',
    '      - aescbc:',
    '          keys:',
    '            - name: key1',
    `              secret: ${randomBytes(32).toString('base64')}`,
    '      - identity: {}',
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}
