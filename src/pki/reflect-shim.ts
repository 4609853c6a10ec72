// A do-nothing Reflect metadata reader, enough for tsyringe as @peculiar/x509 uses it (see x509lib.ts).
const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  R.getMetadata = () => undefined;
  R.getOwnMetadata = () => undefined;
  R.hasMetadata = () => false;
  R.defineMetadata = () => undefined;
}
export {};
