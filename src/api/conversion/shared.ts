// Small helpers shared by the per-group conversions (kube-apiserver's runtime.Scheme conversion of JSON bodies).

export type Obj = Record<string, any>;

/** Set and not null: what a Go pointer / non-empty field would carry. */
export function has(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array field, or an empty list when it is absent or malformed. */
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/** A non-empty string field (Go `omitempty` strings vanish when empty). */
export function str(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

const GO_ESCAPES = /[<>&\u2028\u2029]/;

/**
 * JSON as Go's encoding/json writes it into an annotation: like JSON.stringify, but with the HTML-safe
 * escapes (<, >, & and the two line separators) that Go applies by default.
 */
export function goJSON(v: unknown): string {
  const s = JSON.stringify(v);
  if (!GO_ESCAPES.test(s)) return s;
  return s.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Parses an annotation that holds JSON; undefined when it is absent or does not parse. */
export function parseJSON(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * metadata copied one level deep with `annotations` replaced: undefined removes the key, as Go's
 * `omitempty` drops an emptied map. The copy keeps callers that stamp resourceVersion on the result from
 * writing into the stored object.
 */
export function withAnnotations(metadata: unknown, annotations: Obj | undefined): Obj {
  const out: Obj = isObj(metadata) ? { ...metadata } : {};
  if (annotations && Object.keys(annotations).length > 0) out.annotations = annotations;
  else delete out.annotations;
  return out;
}
