// Container image reference parsing for the imagePullPolicy default (pkg/util/parsers + distribution's
// reference grammar): `Always` for tag `latest` or no tag and no digest, `IfNotPresent` otherwise or when
// the reference does not parse.

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const DIGEST_HEX_LEN: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageRef {
  name: string;
  tag: string;
  digest: string;
}

/** Parses a (normalized) image reference; returns undefined where Docker's parser fails. */
export function parseImageReference(image: string): ImageRef | undefined {
  if (typeof image !== 'string' || image === '' || /^[a-f0-9]{64}$/.test(image)) return undefined;
  // The repository path (after an optional registry domain) must be lowercase.
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const remote = isDomain ? image.slice(slash + 1) : image;
  const remoteName = remote.split(/[:@]/, 1)[0] ?? '';
  if (remoteName.toLowerCase() !== remoteName) return undefined;
  const m = REFERENCE.exec(image);
  if (!m) return undefined;
  const name = m[1] ?? '';
  if (name.length > 255) return undefined;
  const digest = m[3] ?? '';
  if (digest) {
    const colon = digest.indexOf(':');
    const want = DIGEST_HEX_LEN[digest.slice(0, colon)];
    if (want === undefined || digest.length - colon - 1 !== want) return undefined;
  }
  return { name, tag: m[2] ?? '', digest };
}

/** The imagePullPolicy kube-apiserver defaults for an image string. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const ref = parseImageReference(image);
  if (!ref) return 'IfNotPresent';
  if (ref.tag === 'latest' || (ref.tag === '' && ref.digest === '')) return 'Always';
  return 'IfNotPresent';
}
