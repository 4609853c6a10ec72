// Core (v1) kinds other than Pod, validated as pkg/apis/core/validation does: Service, ConfigMap, Secret,
// Namespace, Node, Endpoints, PersistentVolume(Claim), ResourceQuota, LimitRange, ServiceAccount, Event,
// ReplicationController, PodTemplate. Each function returns the spec-level errors; ObjectMeta is checked by the caller.
import type { FieldError } from '../../machinery/errors.ts';
import { required, invalid, forbiddenField, duplicate, notSupported } from '../../machinery/errors.ts';
import { isConfigMapKey, isValidLabelValue, isValidCIDR } from '../../machinery/validation.ts';
import {
  type Obj, child, index, key, isObj, arr, str, has, nonNegative, immutable, deepEqual, dns1123Label, dns1123Subdomain,
  qualifiedName, nameWith, ipAddress, portNum, portNumOrName, labelName, validateLabels, validateLabelSelector,
  nameIsDNSSubdomain, mapSelectorMatches, IMMUTABLE,
} from './common.ts';
import { validatePodTemplateSpec, taintEffect, nodeSelector } from './pod.ts';
import { cmpQuantity, quantityString, positiveQuantity, resourceQuantityValue, quantityValue } from './qty.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
export const MAX_SECRET_SIZE = 1024 * 1024;

// ---------------- Service ----------------

function isHeadless(spec: Obj): boolean {
  const ips = arr(spec.clusterIPs);
  if (ips.length) return ips.length === 1 && ips[0] === 'None';
  return spec.clusterIP === 'None';
}

/**
 * Non-special IPs for Endpoints and externalIPs (ValidateNonSpecialIP). Unlike upstream, IPv4
 * loopback is allowed: Skiff's default cluster network (nodes, pods, services) lives in 127.0.0.0/8.
 */
function nonSpecialIP(ip: string, path: string, errs: FieldError[]): void {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (ip === '0.0.0.0') errs.push(invalid(path, ip, `may not be unspecified (${ip})`));
    if (a === 169 && b === 254) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
    if (a === 224 && b === 0 && Number(m[3]) === 0) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
    return;
  }
  const lower = ip.toLowerCase();
  if (lower === '::') errs.push(invalid(path, ip, `may not be unspecified (${ip})`));
  if (lower === '::1') errs.push(invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (/^fe[89ab]/.test(lower)) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (lower.startsWith('ff02:')) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
}

export function validateServiceSpec(svc: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(svc.spec) ? svc.spec : {};
  const type = spec.type ?? 'ClusterIP';
  const headless = isHeadless(spec);
  const ports = arr(spec.ports);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports', ''));
  switch (type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
      break;
    case 'ExternalName': {
      const clusterIPs = arr(spec.clusterIPs).length ? arr(spec.clusterIPs) : str(spec.clusterIP) ? [spec.clusterIP] : [];
      if (clusterIPs.length > 0) errs.push(forbiddenField('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (arr(spec.ipFamilies).length > 0) errs.push(forbiddenField('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (has(spec.ipFamilyPolicy)) errs.push(forbiddenField('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = str(spec.externalName).replace(/\.$/, '');
      if (cname) dns1123Subdomain(cname, 'spec.externalName', errs);
      else errs.push(required('spec.externalName', ''));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p: Obj, i: number) => {
    const pp = index('spec.ports', i);
    const sp: Obj = isObj(p) ? p : {};
    if (ports.length > 1 && !str(sp.name)) errs.push(required(child(pp, 'name'), ''));
    else if (str(sp.name)) {
      dns1123Label(sp.name, child(pp, 'name'), errs);
      if (names.has(sp.name)) errs.push(duplicate(child(pp, 'name'), sp.name));
      else names.add(sp.name);
    }
    portNum(sp.port, child(pp, 'port'), errs);
    if (has(sp.protocol)) {
      if (sp.protocol === '') errs.push(required(child(pp, 'protocol'), ''));
      else if (!PROTOCOLS.includes(sp.protocol)) errs.push(notSupported(child(pp, 'protocol'), sp.protocol, PROTOCOLS));
    }
    if (has(sp.targetPort)) portNumOrName(sp.targetPort, child(pp, 'targetPort'), errs);
    if (has(sp.appProtocol)) qualifiedName(str(sp.appProtocol), child(pp, 'appProtocol'), errs);
  });
  if (isObj(spec.selector)) validateLabels(spec.selector, 'spec.selector', errs);
  if (has(spec.sessionAffinity)) {
    if (spec.sessionAffinity === '') errs.push(required('spec.sessionAffinity', ''));
    else if (!['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (typeof t === 'number' && (t <= 0 || t > 86400)) {
      errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400'));
    }
  } else if (spec.sessionAffinity === 'None' && isObj(spec.sessionAffinityConfig)) {
    errs.push(forbiddenField('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  if (type !== 'ExternalName') clusterIPFields(spec, errs);
  arr(spec.externalIPs).forEach((ip, i) => {
    const before = errs.length;
    ipAddress(str(ip), index('spec.externalIPs', i), errs);
    if (errs.length === before) nonSpecialIP(str(ip), index('spec.externalIPs', i), errs);
  });
  if (has(spec.type)) {
    if (spec.type === '') errs.push(required('spec.type', ''));
    else if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  }
  if (type === 'ClusterIP') {
    ports.forEach((p: Obj, i: number) => {
      if (p?.nodePort) errs.push(forbiddenField(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p: Obj, i: number) => {
    const proto = str(p?.protocol) || 'TCP';
    if (p?.nodePort) {
      const k = `${proto}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
      nodePorts.add(k);
    }
    const k = `${proto}/${p?.port}`;
    if (keys.has(k)) errs.push(duplicate(index('spec.ports', i), { protocol: proto, port: p?.port }));
    keys.add(k);
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    if (type !== 'LoadBalancer') errs.push(forbiddenField('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      for (const m of isValidCIDR(str(r).trim())) errs.push(invalid(index('spec.LoadBalancerSourceRanges', i), str(r).trim(), m));
    });
  }
  if (has(spec.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(forbiddenField('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (has(spec.loadBalancerClass)) {
    if (type === 'LoadBalancer') qualifiedName(str(spec.loadBalancerClass), 'spec.loadBalancerClass', errs);
    else errs.push(forbiddenField('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  const external = type === 'NodePort' || type === 'LoadBalancer' || arr(spec.externalIPs).length > 0;
  if (has(spec.externalTrafficPolicy) && spec.externalTrafficPolicy !== '') {
    if (!external) errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  const needsHealthCheck = type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
  if (!needsHealthCheck && spec.healthCheckNodePort) {
    errs.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (needsHealthCheck && spec.healthCheckNodePort) {
    portNum(spec.healthCheckNodePort, 'spec.healthCheckNodePort', errs);
  }
  if (has(spec.internalTrafficPolicy) && !['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (has(spec.trafficDistribution) && !['PreferClose', 'PreferSameZone', 'PreferSameNode'].includes(spec.trafficDistribution)) {
    errs.push(notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose', 'PreferSameZone', 'PreferSameNode']));
  }
}

/** ValidateServiceClusterIPsRelatedFields. */
function clusterIPFields(spec: Obj, errs: FieldError[]): void {
  const ips = arr(spec.clusterIPs);
  if (str(spec.clusterIP) && ips.length && ips[0] !== spec.clusterIP) errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  // clusterIPs alone is accepted: the registry copies clusterIPs[0] into clusterIP before validating.
  const fams = new Set<string>();
  arr(spec.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (fams.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
    fams.add(f);
  });
  if (has(spec.ipFamilyPolicy) && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  const all = ips.length ? ips : str(spec.clusterIP) ? [spec.clusterIP] : [];
  all.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (all.length > 1) errs.push(invalid('spec.clusterIPs', all, "'None' must be the first and only value"));
      return;
    }
    ipAddress(str(ip), index('spec.clusterIPs', i), errs);
  });
  if (all.length > 2) errs.push(invalid('spec.clusterIPs', all, 'may only hold up to 2 values'));
}

export function validateServiceUpdate(svc: Obj, old: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(svc.spec) ? svc.spec : {};
  const oldSpec: Obj = isObj(old.spec) ? old.spec : {};
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return;
  if (isHeadless(spec) && isHeadless(oldSpec)) return;
  const n = arr(spec.clusterIPs).length ? arr(spec.clusterIPs) : str(spec.clusterIP) ? [spec.clusterIP] : [];
  const o = arr(oldSpec.clusterIPs).length ? arr(oldSpec.clusterIPs) : str(oldSpec.clusterIP) ? [oldSpec.clusterIP] : [];
  // An update that leaves clusterIP out keeps the allocated one (the registry copies it over).
  if (n.length === 0 && !has(spec.clusterIP)) return;
  if (n.length === o.length) {
    o.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(invalid(index('spec.clusterIPs', i), n, 'may not change once set'));
    });
  } else if (o.length > n.length) {
    if (n.length === 0) errs.push(invalid('spec.clusterIPs[0]', n, 'primary clusterIP can not be unset'));
    else if (n[0] !== o[0]) errs.push(invalid('spec.clusterIPs[0]', n, 'may not change once set'));
    if (n.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(invalid('spec.clusterIPs[0]', n, 'may not change once set'));
  }
  const nf = arr(spec.ipFamilies);
  const of = arr(oldSpec.ipFamilies);
  if (nf.length && of.length && nf[0] !== of[0]) errs.push(invalid('spec.ipFamilies[0]', nf, 'may not change once set'));
  if (spec.type === 'LoadBalancer' && oldSpec.type === 'LoadBalancer' && (spec.loadBalancerClass ?? null) !== (oldSpec.loadBalancerClass ?? null)) {
    errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
}

// ---------------- ConfigMap / Secret ----------------

function byteLen(v: unknown): number {
  return typeof v === 'string' ? Buffer.byteLength(v) : 0;
}

function base64Len(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const s = v.replace(/=+$/, '');
  return Math.floor((s.length * 3) / 4);
}

export function validateConfigMapData(cm: Obj, errs: FieldError[]): void {
  const data: Obj = isObj(cm.data) ? cm.data : {};
  const bin: Obj = isObj(cm.binaryData) ? cm.binaryData : {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    if (Object.prototype.hasOwnProperty.call(bin, k)) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLen(v);
  }
  for (const [k, v] of Object.entries(bin)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    total += base64Len(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push({ type: 'FieldValueTooLong', field: '[]', detail: `must have at most ${MAX_SECRET_SIZE} bytes` });
}

function immutableData(obj: Obj, old: Obj, fields: string[], errs: FieldError[]): void {
  if (old.immutable !== true) return;
  if (obj.immutable !== true) errs.push(forbiddenField('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!deepEqual(obj[f], old[f])) errs.push(forbiddenField(f, 'field is immutable when `immutable` is set'));
}

export function validateConfigMapUpdate(cm: Obj, old: Obj, errs: FieldError[]): void {
  immutableData(cm, old, ['data', 'binaryData'], errs);
}

/** Secret data arrives base64-encoded (stringData already merged into data). */
export function validateSecretData(secret: Obj, errs: FieldError[]): void {
  const data: Obj = isObj(secret.data) ? secret.data : {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    total += base64Len(v);
  }
  if (isObj(secret.stringData)) {
    for (const [k, v] of Object.entries(secret.stringData)) {
      for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
      if (!Object.prototype.hasOwnProperty.call(data, k)) total += byteLen(v);
    }
  }
  if (total > MAX_SECRET_SIZE) errs.push({ type: 'FieldValueTooLong', field: 'data', detail: `must have at most ${MAX_SECRET_SIZE} bytes` });
  const hasKey = (k: string) => Object.prototype.hasOwnProperty.call(data, k) || (isObj(secret.stringData) && Object.prototype.hasOwnProperty.call(secret.stringData, k));
  const decoded = (k: string): string => {
    if (isObj(secret.stringData) && typeof secret.stringData[k] === 'string') return secret.stringData[k];
    return Buffer.from(str(data[k]), 'base64').toString('utf8');
  };
  switch (secret.type ?? 'Opaque') {
    case 'kubernetes.io/service-account-token':
      if (!str(secret.metadata?.annotations?.['kubernetes.io/service-account.name'])) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!hasKey(k)) {
        errs.push(required(key('data', k), ''));
        break;
      }
      try {
        const v = JSON.parse(decoded(k));
        if (!isObj(v)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
      } catch (e) {
        errs.push(invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!hasKey('username') && !hasKey('password')) {
        errs.push(required('data[username]', ''));
        errs.push(required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded('ssh-privatekey')) errs.push(required('data[ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!hasKey('tls.crt')) errs.push(required('data[tls.crt]', ''));
      if (!hasKey('tls.key')) errs.push(required('data[tls.key]', ''));
      break;
  }
}

export function validateSecretUpdate(secret: Obj, old: Obj, errs: FieldError[]): void {
  immutable(secret.type ?? 'Opaque', old.type ?? 'Opaque', 'type', errs);
  immutableData(secret, old, ['data'], errs);
}

// ---------------- Namespace / Node ----------------

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateNamespaceSpec(ns: Obj, errs: FieldError[]): void {
  for (const f of arr(ns.spec?.finalizers)) {
    const s = str(f);
    if (s.includes('/')) qualifiedName(s, 'spec.finalizers', errs);
    else if (!STANDARD_FINALIZERS.has(s)) errs.push(invalid('spec.finalizers', s, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
}

function nodeTaints(taints: unknown, path: string, errs: FieldError[]): void {
  const seen = new Map<string, Set<string>>();
  arr(taints).forEach((t: Obj, i: number) => {
    const ip = index(path, i);
    labelName(str(t?.key), child(ip, 'key'), errs);
    const vm = isValidLabelValue(str(t?.value));
    if (vm.length) errs.push(invalid(child(ip, 'value'), str(t?.value), vm.join(';')));
    taintEffect(t?.effect, false, child(ip, 'effect'), errs);
    const eff = str(t?.effect);
    const keys = seen.get(eff) ?? new Set<string>();
    if (keys.has(str(t?.key))) {
      errs.push({ type: 'FieldValueDuplicate', field: ip, value: t, detail: 'taints must be unique by key and effect pair' });
      return;
    }
    keys.add(str(t?.key));
    seen.set(eff, keys);
  });
}

export function validateNodeSpec(node: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(node.spec) ? node.spec : {};
  // upstream reports taints under metadata.taints (fldPath is the metadata path)
  nodeTaints(spec.taints, 'metadata.taints', errs);
  for (const section of ['capacity', 'allocatable']) {
    const list = node.status?.[section];
    if (isObj(list)) for (const [k, v] of Object.entries(list)) resourceQuantityValue(k, v, `status.${section}.${k}`, errs);
  }
  const cidrs = arr(spec.podCIDRs).length ? arr(spec.podCIDRs) : str(spec.podCIDR) ? [spec.podCIDR] : [];
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(str(c))) errs.push(invalid(index('spec.podCIDRs', i), c, m));
  });
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => (str(c).includes(':') ? 6 : 4));
    if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
}

export function validateNodeUpdate(node: Obj, old: Obj, errs: FieldError[]): void {
  const n = arr(node.spec?.podCIDRs).length ? arr(node.spec?.podCIDRs) : str(node.spec?.podCIDR) ? [node.spec.podCIDR] : [];
  const o = arr(old.spec?.podCIDRs).length ? arr(old.spec?.podCIDRs) : str(old.spec?.podCIDR) ? [old.spec.podCIDR] : [];
  if (o.length > 0 && (o.length !== n.length || o.some((c, i) => c !== n[i]))) {
    errs.push(forbiddenField('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (str(old.spec?.providerID) && old.spec.providerID !== node.spec?.providerID) {
    errs.push(forbiddenField('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  if ((node.spec?.externalID ?? '') !== (old.spec?.externalID ?? '')) errs.push(forbiddenField('spec.externalID', 'may not be updated'));
  const seen = new Set<string>();
  arr(node.status?.addresses).forEach((a: Obj, i: number) => {
    const k = `${str(a?.type)}/${str(a?.address)}`;
    if (seen.has(k)) errs.push(duplicate(index('status.addresses', i), a));
    seen.add(k);
  });
}

// ---------------- Endpoints ----------------

export function validateEndpoints(ep: Obj, errs: FieldError[]): void {
  arr(ep.subsets).forEach((ss: Obj, i: number) => {
    const sp = index('subsets', i);
    if (arr(ss?.addresses).length === 0 && arr(ss?.notReadyAddresses).length === 0) {
      errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const kind of ['addresses', 'notReadyAddresses']) {
      arr(ss?.[kind]).forEach((a: Obj, j: number) => {
        const ap = index(child(sp, kind), j);
        ipAddress(str(a?.ip), child(ap, 'ip'), errs);
        if (str(a?.hostname)) dns1123Label(a.hostname, child(ap, 'hostname'), errs);
        if (has(a?.nodeName)) nameWith(nameIsDNSSubdomain, str(a.nodeName), child(ap, 'nodeName'), errs);
        nonSpecialIP(str(a?.ip), child(ap, 'ip'), errs);
      });
    }
    const ports = arr(ss?.ports);
    ports.forEach((p: Obj, j: number) => endpointPort(p, ports.length > 1, index(child(sp, 'ports'), j), errs));
  });
}

export function endpointPort(p: Obj, requireName: boolean, path: string, errs: FieldError[]): void {
  if (requireName && !str(p?.name)) errs.push(required(child(path, 'name'), ''));
  else if (str(p?.name)) dns1123Label(p.name, child(path, 'name'), errs);
  portNum(p?.port, child(path, 'port'), errs);
  if (has(p?.protocol)) {
    if (p.protocol === '') errs.push(required(child(path, 'protocol'), ''));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(child(path, 'protocol'), p.protocol, PROTOCOLS));
  }
  if (has(p?.appProtocol)) qualifiedName(str(p.appProtocol), child(path, 'appProtocol'), errs);
}

// ---------------- PersistentVolume / PersistentVolumeClaim ----------------

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function accessModes(modes: unknown, path: string, errs: FieldError[], requiredDetail: string): void {
  const list = arr(modes);
  if (list.length === 0) errs.push(required(path, requiredDetail));
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(forbiddenField(path, 'may not use ReadWriteOncePod with other access modes'));
}

/** Persistent volume sources in upstream order (json key, path used). */
const PV_SOURCES: [string, string, string[]][] = [
  ['hostPath', 'hostPath', ['path']], ['gcePersistentDisk', 'persistentDisk', ['pdName']], ['awsElasticBlockStore', 'awsElasticBlockStore', ['volumeID']],
  ['glusterfs', 'glusterfs', ['endpoints', 'path']], ['flocker', 'flocker', []], ['nfs', 'nfs', ['server', 'path']], ['rbd', 'rbd', ['image']],
  ['quobyte', 'quobyte', ['registry', 'volume']], ['cephfs', 'cephfs', []], ['iscsi', 'iscsi', ['targetPortal', 'iqn']], ['cinder', 'cinder', ['volumeID']],
  ['fc', 'fc', []], ['flexVolume', 'flexVolume', ['driver']], ['azureFile', 'azureFile', ['secretName', 'shareName']],
  ['vsphereVolume', 'vsphereVolume', ['volumePath']], ['photonPersistentDisk', 'photonPersistentDisk', ['pdID']],
  ['portworxVolume', 'portworxVolume', ['volumeID']], ['azureDisk', 'azureDisk', ['diskName', 'diskURI']],
  ['scaleIO', 'scaleIO', ['gateway', 'system', 'volumeName']], ['local', 'local', ['path']], ['storageos', 'storageos', ['volumeName']],
  ['csi', 'csi', ['driver', 'volumeHandle']],
];
const PV_SOURCE_KEYS = PV_SOURCES.map((s) => s[0]);

export function validatePVSpec(pv: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(pv.spec) ? pv.spec : {};
  accessModes(spec.accessModes, 'spec.accessModes', errs, '');
  const cap: Obj = isObj(spec.capacity) ? spec.capacity : {};
  if (Object.keys(cap).length === 0) errs.push(required('spec.capacity', ''));
  if (!Object.prototype.hasOwnProperty.call(cap, 'storage') || Object.keys(cap).length > 1) {
    errs.push(notSupported('spec.capacity', Object.keys(cap).length ? cap : null, ['storage']));
  }
  for (const [k, q] of Object.entries(cap)) {
    const v = quantityValue(q);
    if (v !== undefined && v < 0) errs.push(invalid(key('spec.capacity', k), Math.trunc(v), 'must be a valid resource quantity'));
    positiveQuantity(q, key('spec.capacity', k), errs);
  }
  if (str(spec.persistentVolumeReclaimPolicy) && !RECLAIM_POLICIES.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES));
  }
  let nodeAffinitySet = false;
  if (isObj(spec.nodeAffinity)) {
    nodeAffinitySet = true;
    if (isObj(spec.nodeAffinity.required)) nodeSelector(spec.nodeAffinity.required, 'spec.nodeAffinity.required', errs);
    else errs.push(required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  let n = 0;
  for (const [k, pathName, fields] of PV_SOURCES) {
    const src = spec[k];
    if (!has(src)) continue;
    if (n > 0 && k !== 'flexVolume') {
      errs.push(forbiddenField(child('spec', k === 'gcePersistentDisk' ? 'gcePersistentDisk' : k === 'cephfs' ? 'cephFS' : k), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const s: Obj = isObj(src) ? src : {};
    for (const f of fields) {
      if (k === 'csi' && f === 'driver') {
        if (!str(s.driver)) errs.push(required('spec.csi.driver', ''));
        continue;
      }
      if (!str(s[f])) errs.push(required(child('spec', pathName, f), ''));
    }
    if (k === 'hostPath' && str(s.path) && s.path.split('/').includes('..')) errs.push(invalid('spec.hostPath.path', s.path, "must not contain '..'"));
    if (k === 'nfs' && !str(s.path).startsWith('/')) errs.push(invalid('spec.nfs.path', str(s.path), 'must be an absolute path'));
    if (k === 'local' && !nodeAffinitySet) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (n === 0) errs.push(required('spec', 'must specify a volume type'));
  if (isObj(spec.hostPath) && str(spec.hostPath.path).replace(/\/+$/, '') === '' && str(spec.hostPath.path).startsWith('/') && spec.persistentVolumeReclaimPolicy === 'Recycle') {
    errs.push(forbiddenField('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (str(spec.storageClassName)) nameWith(nameIsDNSSubdomain, spec.storageClassName, 'spec.storageClassName', errs);
  if (has(spec.volumeMode) && !VOLUME_MODES.includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
}

export function validatePVUpdate(pv: Obj, old: Obj, errs: FieldError[]): void {
  const src = (spec: Obj) => {
    const out: Obj = {};
    for (const k of PV_SOURCE_KEYS) if (has(spec?.[k])) out[k] = spec[k];
    return out;
  };
  const n = src(pv.spec);
  const o = src(old.spec);
  if (isObj(n.csi) && isObj(o.csi) && !has(o.csi.controllerExpandSecretRef)) n.csi = { ...n.csi, controllerExpandSecretRef: undefined };
  if (!deepEqual(n, o)) errs.push(forbiddenField('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  immutable(pv.spec?.volumeMode, old.spec?.volumeMode, 'volumeMode', errs);
  if (isObj(old.spec?.nodeAffinity) && !deepEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) {
    errs.push(invalid('nodeAffinity', pv.spec?.nodeAffinity ?? null, `${IMMUTABLE}, except for updating from beta label to GA`));
  }
}

export function validatePVCSpec(spec: unknown, path: string, errs: FieldError[]): void {
  const s: Obj = isObj(spec) ? spec : {};
  accessModes(s.accessModes, child(path, 'accessModes'), errs, 'at least 1 access mode is required');
  if (isObj(s.selector)) validateLabelSelector(s.selector, child(path, 'selector'), errs);
  const reqs: Obj = isObj(s.resources?.requests) ? s.resources.requests : {};
  const storagePath = key(child(path, 'resources'), 'storage');
  if (!Object.prototype.hasOwnProperty.call(reqs, 'storage')) errs.push(required(storagePath, ''));
  else {
    const before = errs.length;
    positiveQuantity(reqs.storage, storagePath, errs);
    if (errs.length === before) resourceQuantityValue('storage', reqs.storage, storagePath, errs);
  }
  if (str(s.storageClassName)) nameWith(nameIsDNSSubdomain, s.storageClassName, child(path, 'storageClassName'), errs);
  if (has(s.volumeMode) && !VOLUME_MODES.includes(s.volumeMode)) errs.push(notSupported(child(path, 'volumeMode'), s.volumeMode, VOLUME_MODES));
  for (const k of ['dataSource', 'dataSourceRef']) {
    const ds = s[k];
    if (!isObj(ds)) continue;
    const dp = child(path, k);
    if (!str(ds.name)) errs.push(required(child(dp, 'name'), ''));
    if (!str(ds.kind)) errs.push(required(child(dp, 'kind'), ''));
    if (!str(ds.apiGroup) && ds.kind !== 'PersistentVolumeClaim') errs.push(invalid(dp, str(ds.kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
    if (str(ds.apiGroup)) dns1123Subdomain(ds.apiGroup, child(dp, 'apiGroup'), errs);
  }
  if (isObj(s.dataSource) && isObj(s.dataSourceRef) && !str(s.dataSourceRef.namespace)) {
    const a = s.dataSource;
    const b = s.dataSourceRef;
    if (str(a.apiGroup) !== str(b.apiGroup) || a.kind !== b.kind || a.name !== b.name) errs.push(invalid(path, child(path, 'dataSource'), 'must match dataSourceRef'));
  }
  if (str(s.volumeAttributesClassName)) nameWith(nameIsDNSSubdomain, s.volumeAttributesClassName, child(path, 'volumeAttributesClassName'), errs);
}

export function validatePVCUpdate(pvc: Obj, old: Obj, errs: FieldError[]): void {
  const n: Obj = { ...(isObj(pvc.spec) ? pvc.spec : {}) };
  const o: Obj = { ...(isObj(old.spec) ? old.spec : {}) };
  if (!str(o.volumeName)) o.volumeName = n.volumeName;
  // storage class may be set once when it was nil
  if (!has(o.storageClassName) && has(n.storageClassName)) {
    const ann = old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
    if (ann === undefined || ann === n.storageClassName) o.storageClassName = n.storageClassName;
  }
  const bound = pvc.status?.phase === 'Bound';
  if (bound && isObj(n.resources)) {
    n.resources = { ...n.resources, requests: { ...(n.resources.requests ?? {}), storage: o.resources?.requests?.storage } };
  }
  if (bound && has(n.volumeAttributesClassName)) n.volumeAttributesClassName = o.volumeAttributesClassName;
  if (!deepEqual(n, o)) errs.push(forbiddenField('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  const newSize = pvc.spec?.resources?.requests?.storage;
  const oldSize = old.spec?.resources?.requests?.storage;
  if (has(newSize) && has(oldSize) && cmpQuantity(newSize, oldSize) < 0) {
    const statusSize = old.status?.capacity?.storage;
    if (!has(statusSize) || cmpQuantity(newSize, statusSize) <= 0) {
      errs.push(forbiddenField('spec.resources.requests.storage', has(statusSize) ? 'field can not be less than status.capacity' : 'field can not be less than previous value'));
    }
  }
  immutable(pvc.spec?.volumeMode, old.spec?.volumeMode, 'volumeMode', errs);
}

// ---------------- ResourceQuota / LimitRange ----------------

const QUOTA_STANDARD = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'cpu', 'memory', 'ephemeral-storage', 'storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'requests.storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity', 'VolumeAttributesClass'];

function quotaResourceName(name: string, path: string, errs: FieldError[]): void {
  const before = errs.length;
  qualifiedName(name, path, errs);
  if (errs.length > before) return;
  if (!name.includes('/') && !QUOTA_STANDARD.has(name) && !name.startsWith('hugepages-') && !name.startsWith('requests.hugepages-')) {
    errs.push(invalid(path, name, 'must be a standard resource for quota'));
  }
}

export function validateResourceQuotaSpec(rq: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(rq.spec) ? rq.spec : {};
  if (isObj(spec.hard)) {
    for (const [k, v] of Object.entries(spec.hard)) {
      quotaResourceName(k, key('spec.hard', k), errs);
      resourceQuantityValue(k, v, key('spec.hard', k), errs);
    }
  }
  const scopes = arr(spec.scopes);
  for (const s of scopes) if (!QUOTA_SCOPES.includes(s)) errs.push(invalid('spec.scopes', scopes, 'unsupported scope'));
  const set = new Set(scopes);
  if ((set.has('BestEffort') && set.has('NotBestEffort')) || (set.has('Terminating') && set.has('NotTerminating'))) {
    errs.push(invalid('spec.scopes', scopes, 'conflicting scopes'));
  }
  arr(spec.scopeSelector?.matchExpressions).forEach((r: Obj) => {
    const mp = 'spec.scopeSelector.matchExpressions';
    if (!QUOTA_SCOPES.includes(r?.scopeName)) errs.push(invalid(child(mp, 'scopeName'), r?.scopeName ?? '', 'unsupported scope'));
    const values = arr(r?.values);
    switch (r?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(child(mp, 'values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) errs.push(invalid(child(mp, 'values'), values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        errs.push(invalid(child(mp, 'operator'), r?.operator ?? '', 'not a valid selector operator'));
    }
  });
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj, errs: FieldError[]): void {
  const a = new Set(arr(rq.spec?.scopes));
  const b = new Set(arr(old.spec?.scopes));
  if (a.size !== b.size || [...a].some((s) => !b.has(s))) errs.push(invalid('spec.scopes', arr(rq.spec?.scopes), IMMUTABLE));
}

export function validateLimitRangeSpec(lr: Obj, errs: FieldError[]): void {
  const types = new Set<string>();
  arr(lr.spec?.limits).forEach((l: Obj, i: number) => {
    const ip = index('spec.limits', i);
    const type = str(l?.type);
    qualifiedName(type, child(ip, 'type'), errs);
    if (!type.includes('/') && !['Pod', 'Container', 'PersistentVolumeClaim'].includes(type)) {
      errs.push(invalid(child(ip, 'type'), type, 'must be a standard limit type or fully qualified'));
    }
    if (types.has(type)) errs.push(duplicate(child(ip, 'type'), type));
    types.add(type);
    const get = (f: string): Obj => (isObj(l?.[f]) ? l[f] : {});
    const max = get('max');
    const min = get('min');
    const def = get('default');
    const defReq = get('defaultRequest');
    const ratio = get('maxLimitRequestRatio');
    if (type === 'Pod') {
      if (Object.keys(def).length) errs.push(forbiddenField(child(ip, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(defReq).length) errs.push(forbiddenField(child(ip, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    }
    if (type === 'PersistentVolumeClaim' && !has(min.storage) && !has(max.storage)) {
      errs.push(required(child(ip, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const keys = new Set([...Object.keys(max), ...Object.keys(min), ...Object.keys(def), ...Object.keys(defReq), ...Object.keys(ratio)]);
    for (const k of keys) {
      const q = quantityString;
      if (has(min[k]) && has(max[k]) && cmpQuantity(min[k], max[k]) > 0) errs.push(invalid(key(child(ip, 'min'), k), q(min[k]), `min value ${q(min[k])} is greater than max value ${q(max[k])}`));
      if (has(defReq[k]) && has(min[k]) && cmpQuantity(min[k], defReq[k]) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), q(defReq[k]), `min value ${q(min[k])} is greater than default request value ${q(defReq[k])}`));
      if (has(defReq[k]) && has(max[k]) && cmpQuantity(defReq[k], max[k]) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), q(defReq[k]), `default request value ${q(defReq[k])} is greater than max value ${q(max[k])}`));
      if (has(defReq[k]) && has(def[k]) && cmpQuantity(defReq[k], def[k]) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), q(defReq[k]), `default request value ${q(defReq[k])} is greater than default limit value ${q(def[k])}`));
      if (has(def[k]) && has(min[k]) && cmpQuantity(min[k], def[k]) > 0) errs.push(invalid(key(child(ip, 'default'), k), q(min[k]), `min value ${q(min[k])} is greater than default value ${q(def[k])}`));
      if (has(def[k]) && has(max[k]) && cmpQuantity(def[k], max[k]) > 0) errs.push(invalid(key(child(ip, 'default'), k), q(max[k]), `default value ${q(def[k])} is greater than max value ${q(max[k])}`));
      if (has(ratio[k]) && cmpQuantity(ratio[k], 1) < 0) errs.push(invalid(key(child(ip, 'maxLimitRequestRatio'), k), q(ratio[k]), `ratio ${q(ratio[k])} is less than 1`));
    }
  });
}

// ---------------- Event ----------------

export function validateEventV1(ev: Obj, errs: FieldError[]): void {
  const ns = str(ev.metadata?.namespace);
  const io: Obj = isObj(ev.involvedObject) ? ev.involvedObject : {};
  if (io.kind === 'Namespace' || io.kind === 'Node' || !str(io.namespace)) {
    // cluster-scoped involved objects may be recorded in any namespace
  } else if (str(io.namespace) !== ns) {
    errs.push(invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  }
  if (str(ev.type) && !['Normal', 'Warning'].includes(ev.type)) errs.push(notSupported('type', ev.type, ['Normal', 'Warning']));
  nonNegative(ev.count, 'count', errs);
}

// ---------------- ReplicationController / PodTemplate ----------------

export function validateRCSpec(rc: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(rc.spec) ? rc.spec : {};
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  const sel: Obj = isObj(spec.selector) ? spec.selector : {};
  // the selector defaults to the template labels, so an absent one is not an error
  if (isObj(spec.selector) && Object.keys(sel).length === 0) errs.push(required('spec.selector', ''));
  nonNegative(spec.replicas, 'spec.replicas', errs);
  if (!isObj(spec.template)) {
    errs.push(required('spec.template', ''));
    return;
  }
  const labels = spec.template.metadata?.labels;
  if (Object.keys(sel).length && !mapSelectorMatches(sel, labels)) {
    errs.push(invalid('spec.template.metadata.labels', labels ?? null, '`selector` does not match template `labels`'));
  }
  validatePodTemplateSpec(spec.template, 'spec.template', errs);
  restartAlwaysOnly(spec.template, 'spec.template', 'ReplicationController', errs);
}

/** Workload controllers only run pods that restart forever and have no deadline. */
export function restartAlwaysOnly(template: Obj, path: string, kind: string, errs: FieldError[]): void {
  const rp = template?.spec?.restartPolicy;
  if (has(rp) && rp !== 'Always') errs.push(notSupported(child(path, 'spec', 'restartPolicy'), rp, ['Always']));
  if (has(template?.spec?.activeDeadlineSeconds)) {
    errs.push(forbiddenField(child(path, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
}

export function validatePodTemplate(pt: Obj, errs: FieldError[]): void {
  validatePodTemplateSpec(pt.template, 'template', errs);
}


