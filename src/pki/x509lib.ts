// Loads @peculiar/x509 (X.509 certificates and PKCS#10 requests, as Go's crypto/x509 builds them
// for kubeadm) on node:crypto's WebCrypto.
//
// The library resolves its algorithms through tsyringe, which refuses to load unless a Reflect
// metadata polyfill is present. Only `@injectable()` without constructor parameters is used, so
// reading metadata always yields nothing; this stands in for the `reflect-metadata` package
// without adding a dependency. It is installed only when no real polyfill is there.
import './reflect-shim.ts';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
