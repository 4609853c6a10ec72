// Controller history hashing, as upstream's controller.ComputeHash: FNV-32a over a deterministic
// encoding of a pod template (plus the collision count as 8 little-endian bytes when set), printed in
// decimal and made safe with rand.SafeEncodeString. Upstream hashes Go's spew dump of the struct;
// here the encoding is JSON with sorted keys, so values differ from upstream's but are stable.

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each byte mapped onto consonants and digits that spell no words. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-32a of a byte sequence, continuing from `h`. */
export function fnv32a(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted at every level; undefined members are dropped, as JSON.stringify does. */
export function deterministicJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : deterministicJSON(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${deterministicJSON(o[k])}`).join(',')}}`;
}

const encoder = new TextEncoder();

/** controller.ComputeHash of a pod template and an optional collision count. */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  let h = fnv32a(encoder.encode(deterministicJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
