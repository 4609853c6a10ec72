// Which images the process runtime can run, and the argv it runs for them: image references are
// parsed and normalized as container runtimes do (docker.io/library/…:latest), a container with an
// explicit command runs that command on the host, the pause and agnhost e2e images are built in
// (Skiff's own implementations under kubelet/images, honouring each image's ENTRYPOINT/CMD), and
// anything else is refused with ErrImageNeverPull naming the cri runtime.
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { RuntimeImageError } from '../runtime.ts';

/**
 * `addon`: the images of the managed add-ons (coredns, kube-proxy, metrics-server, ...). Skiff
 * serves what they do in-process (cluster DNS, the service proxy, the metrics API), so their pods
 * run a stand-in that stays up like pause.
 */
export type BuiltinImage = 'pause' | 'agnhost' | 'addon';

export interface ImageReference {
  /** Registry host, e.g. docker.io, registry.k8s.io. */
  domain: string;
  /** Repository path inside the registry, e.g. library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;

function invalidName(image: string): RuntimeImageError {
  return new RuntimeImageError(
    'InvalidImageName',
    `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`,
  );
}

/** Parses an image reference as the docker/distribution grammar does; throws InvalidImageName. */
export function parseImageReference(image: string): ImageReference {
  if (!image || image.length > 255 + 128 + 80) throw invalidName(image);
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalidName(image);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalidName(image);
  }
  let domain = 'docker.io';
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) throw invalidName(image);
    domain = first;
    rest = rest.slice(slash + 1);
  }
  if (!rest || !rest.split('/').every((c) => COMPONENT.test(c))) throw invalidName(image);
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  const ref: ImageReference = { domain, path: rest };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The fully-qualified form runtimes report as imageID/image: docker.io/library/busybox:latest. */
export function normalizedImage(ref: ImageReference): string {
  const name = `${ref.domain}/${ref.path}`;
  if (ref.digest) return `${name}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}

const BUILTIN_REPOSITORIES: Record<string, BuiltinImage> = {
  'registry.k8s.io/pause': 'pause',
  'k8s.gcr.io/pause': 'pause',
  'gcr.io/google-containers/pause': 'pause',
  'gcr.io/google_containers/pause': 'pause',
  'mcr.microsoft.com/oss/kubernetes/pause': 'pause',
  'registry.k8s.io/e2e-test-images/agnhost': 'agnhost',
  'k8s.gcr.io/e2e-test-images/agnhost': 'agnhost',
  'gcr.io/kubernetes-e2e-test-images/agnhost': 'agnhost',
  'us.gcr.io/k8s-artifacts-prod/e2e-test-images/agnhost': 'agnhost',
  'mcr.microsoft.com/oss/kubernetes/coredns': 'addon',
  'mcr.microsoft.com/oss/kubernetes/kube-proxy': 'addon',
  'mcr.microsoft.com/oss/kubernetes/metrics-server': 'addon',
  'mcr.microsoft.com/oss/kubernetes/autoscaler/cluster-proportional-autoscaler': 'addon',
  'mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent': 'addon',
  'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager': 'addon',
};

/** The built-in implementation behind an image, whatever its tag or digest. */
export function builtinImage(ref: ImageReference): BuiltinImage | undefined {
  return BUILTIN_REPOSITORIES[`${ref.domain}/${ref.path}`];
}

/** The real images' ENTRYPOINT and CMD, and the binary names their entrypoint goes by. */
const IMAGE_CONFIG: Record<BuiltinImage, { entrypoint: string[]; cmd: string[]; binaries: string[] }> = {
  pause: { entrypoint: ['/pause'], cmd: [], binaries: ['/pause', 'pause'] },
  agnhost: { entrypoint: ['/agnhost'], cmd: ['pause'], binaries: ['/agnhost', 'agnhost'] },
  addon: {
    entrypoint: ['/coredns'],
    cmd: [],
    binaries: ['/coredns', 'coredns', '/cluster-proportional-autoscaler', 'kube-proxy', '/usr/local/bin/kube-proxy', '/metrics-server', '/proxy-agent', 'cloud-node-manager', '/cloud-node-manager'],
  },
};

export interface ResolvedImage {
  imageRef: string;
  builtin?: BuiltinImage;
}

/**
 * Checks that the process runtime can run `image` with `command` (the pod's command, empty when
 * it relies on the image's entrypoint); throws InvalidImageName or ErrImageNeverPull.
 */
export function resolveImage(image: string, command: string[]): ResolvedImage {
  const ref = parseImageReference(image);
  const builtin = builtinImage(ref);
  const imageRef = normalizedImage(ref);
  if (builtin) return { imageRef, builtin };
  if (command.length > 0) return { imageRef };
  throw new RuntimeImageError(
    'ErrImageNeverPull',
    `image "${image}" cannot run on the process runtime: it has no command and is not built in ` +
      `(registry.k8s.io/pause, registry.k8s.io/e2e-test-images/agnhost); run it on a node with the cri runtime`,
  );
}

const SELF = fileURLToPath(import.meta.url);
const IS_TS = SELF.endsWith('.ts');
const bundles = new Map<string, string>();
let tsxLoader: string | undefined;

/**
 * `node <entry>` for a built-in image. Running from source, the TypeScript entry is bundled once per
 * process into plain JavaScript with esbuild (the compiler tsx itself uses): starting a container
 * then costs a bare `node`, not a TypeScript loader (~5x faster pod startup). If bundling fails the
 * entry runs through tsx.
 */
function nodeArgv(image: BuiltinImage): string[] {
  const entry = image === 'addon' ? 'pause' : image;
  const file = fileURLToPath(new URL(`../../images/${entry}${IS_TS ? '.ts' : '.js'}`, import.meta.url));
  if (!IS_TS) return [process.execPath, file];
  const js = bundles.get(entry) ?? bundle(entry, file);
  if (js) return [process.execPath, js];
  tsxLoader ??= import.meta.resolve('tsx');
  return [process.execPath, '--import', tsxLoader, file];
}

function bundle(entry: string, file: string): string | undefined {
  try {
    const dir = fileURLToPath(new URL('../../../../node_modules/.cache/skiff-images/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${entry}.mjs`);
    // Written aside and renamed: other processes (clusters, tests) may be starting the same image.
    const tmp = `${out}.${process.pid}.tmp`;
    buildSync({ entryPoints: [file], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'silent' });
    renameSync(tmp, out);
    bundles.set(entry, out);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The argv a container runs, applying Kubernetes' command/args rules against the image's
 * ENTRYPOINT/CMD: command replaces the entrypoint (and drops CMD), args replace CMD. For a
 * built-in image whose (resolved) entrypoint is its own binary, Skiff's implementation runs.
 */
export function containerArgv(resolved: ResolvedImage, command: string[], args: string[]): string[] {
  const b = resolved.builtin;
  if (!b) return [...command, ...args];
  const cfg = IMAGE_CONFIG[b];
  const argv = command.length > 0 ? [...command, ...args] : [...cfg.entrypoint, ...(args.length > 0 ? args : cfg.cmd)];
  return builtinExecArgv(b, argv) ?? argv;
}

/** Rewrites `/agnhost …` (or `/pause`) inside a built-in container to Skiff's implementation. */
export function builtinExecArgv(builtin: BuiltinImage | undefined, argv: string[]): string[] | undefined {
  if (!builtin || argv.length === 0 || !IMAGE_CONFIG[builtin].binaries.includes(argv[0]!)) return undefined;
  return [...nodeArgv(builtin), ...argv.slice(1)];
}
