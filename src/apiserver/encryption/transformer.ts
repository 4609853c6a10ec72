// Encryption at rest as kube-apiserver's value transformers (k8s.io/apiserver/pkg/storage/value):
// the aescbc, aesgcm, secretbox and identity providers, each stored value prefixed
// `k8s:enc:<provider>:v1:<keyname>:`; the first provider writes, every provider reads.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Turns stored bytes into the plaintext an object is encoded as, and back. */
export interface ValueTransformer {
  /** Plaintext → the bytes to store. `key` is the storage key (authenticated data for aesgcm). */
  toStorage(data: Buffer, key: string): Buffer;
  /**
   * Stored bytes → plaintext. `stale` means a provider other than the writing one read it, so
   * the next write must store it again even if the object did not change (key rotation).
   */
  fromStorage(data: Buffer, key: string): { data: Buffer; stale: boolean };
}

/** A value no configured provider can read (wrong or removed key, tampered data). */
export class TransformError extends Error {
  readonly code = 'TransformError';
}

/** One provider with one key: the prefix it owns in storage and its cipher. */
export interface PrefixTransformer {
  prefix: Buffer;
  /** Provider name and key name, for messages. */
  name: string;
  seal(plain: Buffer, key: string): Buffer;
  open(sealed: Buffer, key: string): Buffer;
}

const ENC_PREFIX = Buffer.from('k8s:enc:');

/** Key sizes AES accepts, as upstream checks them. */
function aesAlgorithm(mode: 'cbc' | 'gcm', secret: Buffer): string {
  if (secret.length !== 16 && secret.length !== 24 && secret.length !== 32) {
    throw new Error(`secret is not of the expected length, got ${secret.length}, expected one of [16 24 32]`);
  }
  return `aes-${secret.length * 8}-${mode}`;
}

/** aescbc: a random 16-byte IV, then AES-CBC with PKCS#7 padding (no authenticated data). */
export function aescbc(keyName: string, secret: Buffer): PrefixTransformer {
  const alg = aesAlgorithm('cbc', secret);
  return {
    prefix: Buffer.from(`k8s:enc:aescbc:v1:${keyName}:`),
    name: `aescbc key "${keyName}"`,
    seal(plain) {
      const iv = randomBytes(16);
      const c = createCipheriv(alg, secret, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open(sealed) {
      if (sealed.length < 16) throw new TransformError('the stored data was shorter than the required size');
      if ((sealed.length - 16) % 16 !== 0) throw new TransformError('the stored data is not a multiple of the block size');
      const d = createDecipheriv(alg, secret, sealed.subarray(0, 16));
      try {
        return Buffer.concat([d.update(sealed.subarray(16)), d.final()]);
      } catch {
        throw new TransformError('invalid padding on input');
      }
    },
  };
}

/** aesgcm: a random 12-byte nonce, then AES-GCM sealed with the storage key as authenticated data. */
export function aesgcm(keyName: string, secret: Buffer): PrefixTransformer {
  const alg = aesAlgorithm('gcm', secret) as 'aes-128-gcm';
  return {
    prefix: Buffer.from(`k8s:enc:aesgcm:v1:${keyName}:`),
    name: `aesgcm key "${keyName}"`,
    seal(plain, key) {
      const nonce = randomBytes(12);
      const c = createCipheriv(alg, secret, nonce);
      c.setAAD(Buffer.from(key));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(sealed, key) {
      if (sealed.length < 12 + 16) throw new TransformError('the stored data was shorter than the required size');
      const d = createDecipheriv(alg, secret, sealed.subarray(0, 12));
      d.setAAD(Buffer.from(key));
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      try {
        return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
      } catch {
        throw new TransformError('cipher: message authentication failed');
      }
    },
  };
}

/** The part of tweetnacl secretbox needs (XSalsa20-Poly1305; node:crypto has no XSalsa20). */
export interface NaclSecretbox {
  (msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
}

/** secretbox: a random 24-byte nonce, then XSalsa20-Poly1305 (NaCl secretbox). */
export function secretbox(keyName: string, secret: Buffer, box: NaclSecretbox): PrefixTransformer {
  if (secret.length !== 32) throw new Error(`secret is not of the expected length, got ${secret.length}, expected 32`);
  return {
    prefix: Buffer.from(`k8s:enc:secretbox:v1:${keyName}:`),
    name: `secretbox key "${keyName}"`,
    seal(plain) {
      const nonce = randomBytes(24);
      return Buffer.concat([nonce, box(plain, nonce, secret)]);
    },
    open(sealed) {
      if (sealed.length < 24) throw new TransformError('the stored data was shorter than the required size');
      const out = box.open(sealed.subarray(24), sealed.subarray(0, 24), secret);
      if (!out) throw new TransformError('output array was not large enough for encryption');
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

/** identity: stored as is; refuses to read encrypted data so that a later provider can. */
export const identity: PrefixTransformer = {
  prefix: Buffer.alloc(0),
  name: 'identity',
  seal: (plain) => plain,
  open(sealed) {
    if (sealed.subarray(0, ENC_PREFIX.length).equals(ENC_PREFIX)) throw new TransformError('identity transformer tried to read encrypted data');
    return sealed;
  },
};

/**
 * The providers of one resource, in configuration order: the first writes; reading tries every
 * provider whose prefix matches (the same provider may appear with several keys).
 */
export class PrefixTransformers implements ValueTransformer {
  readonly providers: readonly PrefixTransformer[];

  constructor(providers: PrefixTransformer[]) {
    if (providers.length === 0) throw new Error('at least one provider is required');
    this.providers = providers;
  }

  toStorage(data: Buffer, key: string): Buffer {
    const p = this.providers[0]!;
    if (p.prefix.length === 0) return p.seal(data, key);
    return Buffer.concat([p.prefix, p.seal(data, key)]);
  }

  fromStorage(data: Buffer, key: string): { data: Buffer; stale: boolean } {
    const errs: string[] = [];
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i]!;
      if (p.prefix.length > data.length || !data.subarray(0, p.prefix.length).equals(p.prefix)) continue;
      try {
        return { data: p.open(data.subarray(p.prefix.length), key), stale: i !== 0 };
      } catch (e) {
        if (p.prefix.length > 0) errs.push(`${p.name}: ${(e as Error).message}`);
      }
    }
    if (errs.length) throw new TransformError(errs.join('; '));
    const m = /^k8s:enc:([^:]+):v1:([^:]*):/.exec(data.subarray(0, 200).toString('latin1'));
    throw new TransformError(
      m
        ? `no configured provider can read it (it was written by the ${m[1]} provider with key "${m[2]}")`
        : 'the provided value does not match any of the supported transformers',
    );
  }
}
