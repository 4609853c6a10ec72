// Content negotiation and (de)serialization as kube-apiserver does it: request bodies in JSON,
// YAML or the Kubernetes protobuf envelope; responses as JSON (or YAML), and as meta.k8s.io
// Tables or PartialObjectMetadata when the Accept header asks for them.
import YAML from 'yaml';
import { StatusError, badRequest } from '../machinery/errors.ts';
import { decodeKubernetesProtobuf } from './protobuf/decode.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

/** Parses `application/json;as=Table;v=v1;g=meta.k8s.io, application/json` into media types. */
export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map(parseMediaType).filter((m) => m.type !== '');
}

export function parseMediaType(s: string): MediaType {
  const [type = '', ...rest] = s.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: type.trim().toLowerCase(), params };
}

export type OutputShape = 'object' | 'table' | 'partial';
export type OutputFormat = 'json' | 'yaml';

export interface Negotiated {
  shape: OutputShape;
  format: OutputFormat;
}

/** Picks the response form from Accept, in the client's order of preference. 406 when nothing fits. */
export function negotiate(accept: string | undefined, allowTable: boolean): Negotiated {
  const types = parseAccept(accept);
  if (types.length === 0) return { shape: 'object', format: 'json' };
  for (const m of types) {
    const as = m.params.as;
    if (as) {
      if (m.params.g !== 'meta.k8s.io' || (m.params.v !== 'v1' && m.params.v !== 'v1beta1')) continue;
      if (as === 'Table' && allowTable && (m.type === 'application/json' || m.type === '*/*')) return { shape: 'table', format: 'json' };
      if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && m.type === 'application/json') return { shape: 'partial', format: 'json' };
      continue;
    }
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*' || m.type === 'application/json-patch+json') return { shape: 'object', format: 'json' };
    if (m.type === 'application/yaml') return { shape: 'object', format: 'yaml' };
  }
  // Protobuf-only clients get JSON if they also take anything; otherwise 406.
  throw new StatusError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`);
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const SUPPORTED = 'application/json, application/yaml, application/vnd.kubernetes.protobuf';

export function unsupportedMediaType(type: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${SUPPORTED}`, {
    causes: [{ reason: 'UnsupportedMediaType', message: type }],
  });
}

/** A request body: bytes off the wire, or text from an in-process client (never converted twice). */
export type Body = Buffer | string;

export const bodyText = (b: Body): string => (typeof b === 'string' ? b : b.toString('utf8'));

/** Decodes a request body into a JSON value according to its Content-Type (missing = JSON). */
export function decodeBody(body: Body, contentType: string | undefined, opts: { patch?: boolean } = {}): unknown {
  const type = parseMediaType(contentType ?? 'application/json').type || 'application/json';
  if (opts.patch) {
    if (type === PATCH_TYPES.json || type === PATCH_TYPES.merge || type === PATCH_TYPES.strategic) return parseJson(body);
    if (type === PATCH_TYPES.apply) return parseYaml(body);
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`);
  }
  switch (type) {
    case 'application/json':
    case '*/*':
      return parseJson(body);
    case 'application/yaml':
      return parseYaml(body);
    case 'application/vnd.kubernetes.protobuf':
      return decodeKubernetesProtobuf(typeof body === 'string' ? Buffer.from(body) : body).object;
    default:
      throw unsupportedMediaType(type);
  }
}

/** Go's encoding/json (and so kube-apiserver) refuses JSON nested deeper than this. */
export const MAX_JSON_DEPTH = 10_000;

/** Whether JSON text nests arrays/objects deeper than `max` (a linear scan that skips strings). */
function nestedDeeper(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string, honouring backslash escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function parseJson(body: Body): unknown {
  const text = bodyText(body);
  if (text.trim() === '') throw badRequest('the body of the request is empty');
  // Deeper nesting needs at least two bytes a level, so only long bodies need the scan; the
  // walks that follow decoding (validation, patches, defaults) can then recurse safely.
  if (text.length > 2 * MAX_JSON_DEPTH && nestedDeeper(text, MAX_JSON_DEPTH)) {
    throw badRequest('the body of the request could not be decoded: json parse error: exceeded max depth');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) throw badRequest('the body of the request is nested too deeply');
    throw badRequest(`the body of the request could not be decoded: json parse error: ${(e as Error).message}`);
  }
}

/**
 * Flow collections (`{`, `[`) nested deeper than this are refused: the YAML parser's cost grows
 * steeply with flow depth (5,000 levels exhaust the process). Block nesting is bounded by the
 * body size limit, as each level needs a longer indent.
 */
export const MAX_YAML_FLOW_DEPTH = 1000;

function yamlFlowNestedDeeper(text: string, max: number): boolean {
  let depth = 0;
  for (const token of new YAML.Lexer().lex(text)) {
    if (token === '{' || token === '[') {
      if (++depth > max) return true;
    } else if (token === '}' || token === ']') depth--;
  }
  return false;
}

export function parseYaml(body: Body): unknown {
  const text = bodyText(body);
  if (text.trim() === '') throw badRequest('the body of the request is empty');
  if (text.length > 2 * MAX_YAML_FLOW_DEPTH && yamlFlowNestedDeeper(text, MAX_YAML_FLOW_DEPTH)) {
    throw badRequest('the body of the request could not be decoded: yaml: exceeded max depth');
  }
  try {
    // Duplicate keys decode as upstream's non-strict YAML decoding does (the last one wins);
    // field validation reports them (yamlDuplicateKeyError).
    const docs = YAML.parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false });
    if (!Array.isArray(docs)) throw new Error('not a YAML document');
    if (docs.length !== 1) throw new Error('expected exactly one YAML document');
    const doc = docs[0]!;
    if (doc.errors.length) throw new Error(doc.errors[0]!.message.split('\n')[0]);
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) throw badRequest('the body of the request is nested too deeply');
    throw badRequest(`the body of the request could not be decoded: yaml: ${(e as Error).message}`);
  }
}

/**
 * The strict YAML decoding error of a body with duplicate mapping keys, as go-yaml v2's strict
 * decoder reports it through sigs.k8s.io/yaml (`error converting YAML to JSON: yaml: unmarshal
 * errors:\n  line 9: key "type" already set in map`); undefined when no key repeats. The line is
 * that of the repeated key's value, nested repeats first, as go-yaml decodes them.
 */
export function yamlDuplicateKeyError(body: Body): string | undefined {
  const lines: string[] = [];
  try {
    const counter = new YAML.LineCounter();
    const docs = YAML.parseAllDocuments(bodyText(body), { uniqueKeys: false, lineCounter: counter });
    if (!Array.isArray(docs)) return undefined;
    // Iterative post-order walk: a value's own repeats come before the repeat of its key.
    type Step = { node: unknown; check?: { key: unknown; offset: number } };
    for (const doc of docs) {
      const stack: Step[] = [{ node: doc.contents }];
      while (stack.length) {
        const { node, check } = stack.pop()!;
        if (check) {
          lines.push(`line ${counter.linePos(check.offset).line}: key ${typeof check.key === 'string' ? JSON.stringify(check.key) : String(check.key)} already set in map`);
          continue;
        }
        if (YAML.isMap(node)) {
          const seen = new Set<unknown>();
          const steps: Step[] = [];
          for (const pair of node.items) {
            const key = YAML.isScalar(pair.key) ? pair.key.value : String(pair.key);
            steps.push({ node: pair.value });
            if (seen.has(key)) {
              const at = (pair.value as YAML.Node | null)?.range?.[0] ?? (pair.key as YAML.Node | null)?.range?.[0] ?? 0;
              steps.push({ node: undefined, check: { key, offset: at } });
            }
            seen.add(key);
          }
          for (let i = steps.length - 1; i >= 0; i--) stack.push(steps[i]!);
        } else if (YAML.isSeq(node)) {
          for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i] });
        }
      }
    }
  } catch {
    return undefined;
  }
  if (lines.length === 0) return undefined;
  return `error converting YAML to JSON: yaml: unmarshal errors:\n  ${lines.join('\n  ')}`;
}

export function encode(value: unknown, format: OutputFormat): { body: string; contentType: string } {
  if (format === 'yaml') return { body: YAML.stringify(value), contentType: 'application/yaml' };
  return { body: JSON.stringify(value), contentType: 'application/json' };
}
