// Column descriptions for server-side printing: kube-apiserver uses the API fields' swagger docs;
// we read the same text lazily from @kubernetes/client-node's model declarations (doc comments).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIELD_DOC = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*'([^']+)'\??:/g;
const LEADING_STAR = /^\s*\*\s?/;
const ESCAPED = /\\(['"\\])/g;

let modelsDir: string | null | undefined;
const cache = new Map<string, Map<string, string>>();

function dir(): string | null {
  if (modelsDir !== undefined) return modelsDir;
  try {
    modelsDir = fileURLToPath(new URL('.', import.meta.resolve('@kubernetes/client-node/dist/gen/models/V1Pod.js')));
  } catch {
    modelsDir = null;
  }
  return modelsDir;
}

function parse(model: string): Map<string, string> {
  const fields = new Map<string, string>();
  const d = dir();
  if (!d) return fields;
  let text: string;
  try {
    text = readFileSync(d + model + '.d.ts', 'utf8');
  } catch {
    return fields;
  }
  for (const m of text.matchAll(FIELD_DOC)) {
    const doc = m[1]!
      .split('\n')
      .map((l) => l.replace(LEADING_STAR, '').trim())
      .filter((l) => l !== '')
      .join('\n')
      .replace(ESCAPED, '$1');
    fields.set(m[2]!, doc);
  }
  return fields;
}

/** The API documentation of `model.field` (e.g. `fieldDoc('V1PodStatus', 'podIP')`), or "" if unknown. */
export function fieldDoc(model: string, field: string): string {
  let fields = cache.get(model);
  if (!fields) {
    fields = parse(model);
    cache.set(model, fields);
  }
  return fields.get(field) ?? '';
}
