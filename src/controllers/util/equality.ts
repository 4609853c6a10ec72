// Semantic equality of API objects, as apimachinery's equality.Semantic.DeepEqual: absent, null,
// empty lists and empty maps (or objects of only such members) are all the same "nil";
// everything else compares deeply.

function isNil(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    // A JSON object stands for a Go struct or map: one whose members are all nil is the zero value.
    const o = v as Record<string, unknown>;
    for (const k in o) if (!isNil(o[k])) return false;
    return true;
  }
  return false;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = isNil(a);
  const nb = isNil(b);
  if (na || nb) return na && nb;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!semanticEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (!semanticEqual(ao[k], bo[k])) return false;
  for (const k in bo) if (!(k in ao) && !isNil(bo[k])) return false;
  return true;
}
