// A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
// the Kubernetes service variables, envFrom (configMapRef/secretRef with prefix and optional), env
// with valueFrom (configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef), $(VAR) expansion in
// env values, command and args (third_party/forked/golang/expansion), and the downward API fields.
import type { Obj } from '../client/types.ts';
import { tryParseQuantity } from '../machinery/quantity.ts';

/** Raised for the errors the kubelet reports as CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

export interface EnvContext {
  configMap(namespace: string, name: string): Obj | undefined;
  secret(namespace: string, name: string): Obj | undefined;
  /** Every Service the agent knows (all namespaces); only ClusterIP ones make variables. */
  services: Obj[];
  podIP: string;
  hostIP: string;
  nodeName: string;
  /** Node allocatable, for resourceFieldRef limits a container does not set. */
  allocatable: Record<string, string>;
}

/**
 * $(VAR) expansion as upstream: `$$` is an escaped `$`, `$(NAME)` is replaced when `mapping` knows
 * NAME and kept verbatim otherwise, any other `$` is literal.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = name ? mapping(name) : undefined;
      out += v ?? input.slice(i, close + 1);
      i = close + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function hasClusterIP(svc: Obj): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The docker-links style variables of one Service (envvars.FromServices). */
function serviceVars(svc: Obj, out: Record<string, string>) {
  const name = envName(svc.metadata.name);
  const ip: string = svc.spec.clusterIP;
  const ports: Obj[] = svc.spec.ports ?? [];
  out[`${name}_SERVICE_HOST`] = ip;
  if (ports[0]) out[`${name}_SERVICE_PORT`] = String(ports[0].port);
  for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
  if (ports[0]) {
    const p = ports[0];
    out[`${name}_PORT`] = `${String(p.protocol ?? 'TCP').toLowerCase()}://${ip}:${p.port}`;
  }
  for (const p of ports) {
    const proto = String(p.protocol ?? 'TCP');
    const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
    out[prefix] = `${proto.toLowerCase()}://${ip}:${p.port}`;
    out[`${prefix}_PROTO`] = proto.toLowerCase();
    out[`${prefix}_PORT`] = String(p.port);
    out[`${prefix}_ADDR`] = ip;
  }
}

/**
 * The service variables a pod sees: the `kubernetes` Service of the default namespace always, and
 * every ClusterIP Service of the pod's namespace when enableServiceLinks (the default).
 */
export function serviceEnv(services: Obj[], namespace: string, enableServiceLinks = true): Record<string, string> {
  const picked = new Map<string, Obj>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const ns = s.metadata?.namespace;
    if (ns === 'default' && s.metadata.name === 'kubernetes') picked.set('kubernetes', s);
    else if (ns === namespace && enableServiceLinks && !picked.has(s.metadata.name)) picked.set(s.metadata.name, s);
  }
  const out: Record<string, string> = {};
  // The master service goes last so a same-named Service of the namespace cannot shadow it.
  for (const [k, s] of picked) if (k !== 'kubernetes') serviceVars(s, out);
  const k = picked.get('kubernetes');
  if (k) serviceVars(k, out);
  return out;
}

function decode(secret: Obj, key: string): string | undefined {
  const v = secret.data?.[key];
  if (v !== undefined) return Buffer.from(String(v), 'base64').toString('utf8');
  const s = secret.stringData?.[key];
  return s === undefined ? undefined : String(s);
}

function configMapValue(cm: Obj, key: string): string | undefined {
  const v = cm.data?.[key];
  if (v !== undefined) return String(v);
  const b = cm.binaryData?.[key];
  return b === undefined ? undefined : Buffer.from(String(b), 'base64').toString('utf8');
}

/** A downward API fieldRef (pods.ConvertDownwardAPIFieldLabel + podFieldSelectorRuntimeValue). */
export function fieldRefValue(pod: Obj, fieldPath: string, ctx: { podIP: string; hostIP: string; nodeName: string }): string {
  const m = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (sub) return String((m[sub[1]!] ?? {})[sub[2]!] ?? '');
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
}

/** Labels and annotations as the downward API writes them: sorted `key="value"` lines. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** A resourceFieldRef value (resource.ExtractContainerResourceValue), limits defaulting to allocatable. */
export function resourceFieldValue(pod: Obj, containerName: string | undefined, ref: Obj, allocatable: Record<string, string>): string {
  const containers: Obj[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const c = containers.find((x) => x.name === (ref.containerName || containerName));
  if (!c) throw new ContainerConfigError(`container ${ref.containerName || containerName} not found`);
  const resource: string = ref.resource ?? '';
  const [kind, name] = resource.split('.', 2) as [string, string];
  let q = (kind === 'limits' ? c.resources?.limits : c.resources?.requests)?.[name];
  if (q === undefined && kind === 'limits') q = allocatable[name];
  if (q === undefined && kind === 'requests' && (name === 'cpu' || name === 'memory')) q = c.resources?.limits?.[name] ?? '0';
  const value = tryParseQuantity(String(q ?? '0'));
  if (!value) throw new ContainerConfigError(`invalid quantity for ${resource}`);
  const divisor = tryParseQuantity(String(ref.divisor ?? '1')) ?? tryParseQuantity('1')!;
  if (name === 'cpu') return String(Math.ceil(value.milliValue() / Math.max(1, divisor.milliValue())));
  if (kind !== 'limits' && kind !== 'requests') throw new ContainerConfigError(`unsupported container resource: ${resource}`);
  return String(Math.ceil(value.value() / Math.max(1, divisor.value())));
}

/** Environment variable names: printable ASCII without '=' (RelaxedEnvironmentVariableValidation). */
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

/**
 * The container's environment: service variables, then envFrom, then env (later wins; service
 * variables only where nothing else set the name). Throws ContainerConfigError with the upstream
 * message for a missing non-optional ConfigMap, Secret or key.
 */
export function buildEnv(pod: Obj, container: Obj, ctx: EnvContext): { env: Record<string, string>; invalidKeys: string[] } {
  const ns: string = pod.metadata.namespace;
  const env: Record<string, string> = {};
  const invalidKeys: string[] = [];
  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    if (from.configMapRef) {
      const ref = from.configMapRef;
      const cm = ctx.configMap(ns, ref.name);
      if (!cm) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`configmap "${ref.name}" not found`);
      }
      for (const k of Object.keys({ ...(cm.data ?? {}), ...(cm.binaryData ?? {}) })) {
        const name = prefix + k;
        if (!ENV_NAME.test(name)) invalidKeys.push(k);
        else env[name] = configMapValue(cm, k)!;
      }
    } else if (from.secretRef) {
      const ref = from.secretRef;
      const s = ctx.secret(ns, ref.name);
      if (!s) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`secret "${ref.name}" not found`);
      }
      for (const k of Object.keys(s.data ?? {})) {
        const name = prefix + k;
        if (!ENV_NAME.test(name)) invalidKeys.push(k);
        else env[name] = decode(s, k)!;
      }
    }
  }
  const services = serviceEnv(ctx.services, ns, pod.spec?.enableServiceLinks !== false);
  const lookup = (name: string) => env[name] ?? services[name];
  for (const e of container.env ?? []) {
    if (!e?.name) continue;
    if (e.valueFrom === undefined || e.valueFrom === null) {
      env[e.name] = expand(String(e.value ?? ''), lookup);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = ctx.configMap(ns, ref.name);
      if (!cm) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`configmap "${ref.name}" not found`);
      }
      const v = configMapValue(cm, ref.key);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      }
      env[e.name] = v;
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = ctx.secret(ns, ref.name);
      if (!s) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`secret "${ref.name}" not found`);
      }
      const v = decode(s, ref.key);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      }
      env[e.name] = v;
    } else if (vf.fieldRef) {
      env[e.name] = fieldRefValue(pod, vf.fieldRef.fieldPath, ctx);
    } else if (vf.resourceFieldRef) {
      env[e.name] = resourceFieldValue(pod, container.name, vf.resourceFieldRef, ctx.allocatable);
    }
  }
  for (const [k, v] of Object.entries(services)) if (!(k in env)) env[k] = v;
  return { env, invalidKeys };
}

/** command and args with $(VAR) references to the container's environment expanded. */
export function expandCommand(container: Obj, env: Record<string, string>): { command: string[]; args: string[] } {
  const map = (n: string) => env[n];
  return {
    command: ((container.command ?? []) as string[]).map((s) => expand(String(s), map)),
    args: ((container.args ?? []) as string[]).map((s) => expand(String(s), map)),
  };
}
