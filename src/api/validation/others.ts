// Validation for the remaining built-in groups, following their pkg/apis/<group>/validation packages:
// networking (Ingress, IngressClass, NetworkPolicy), discovery (EndpointSlice), coordination (Lease),
// rbac, storage (StorageClass, CSIDriver, VolumeAttachment), scheduling (PriorityClass),
// certificates (CertificateSigningRequest), autoscaling (HorizontalPodAutoscaler), policy (PodDisruptionBudget).
import type { FieldError } from '../../machinery/errors.ts';
import { required, invalid, forbiddenField, duplicate, notSupported } from '../../machinery/errors.ts';
import { isValidCIDR, isWildcardDNS1123Subdomain, isDNS1123Subdomain, isValidPortName } from '../../machinery/validation.ts';
import {
  type Obj, child, index, isObj, arr, str, has, nonNegative, immutable, deepEqual, dns1123Label, dns1123Subdomain,
  qualifiedName, nameWith, ipAddress, portNum, validateLabelSelector, nameIsDNSSubdomain, nameIsPathSegment,
  positiveIntOrPercent, isValidPercent,
} from './common.ts';
import { csiDriverName } from './pod.ts';

// ---------------- networking.k8s.io ----------------

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function ingressBackend(b: Obj, path: string, errs: FieldError[]): void {
  const hasService = isObj(b?.service);
  const hasResource = isObj(b?.resource);
  if (hasService && hasResource) {
    errs.push(invalid(path, '', 'cannot set both resource and service backends'));
    return;
  }
  if (hasService) {
    const sp = child(path, 'service');
    if (!str(b.service.name)) errs.push(required(child(sp, 'name'), ''));
    else nameWith(nameIsDNSSubdomain, b.service.name, child(sp, 'name'), errs);
    const port = b.service.port;
    const pp = child(sp, 'port');
    const hasName = str(port?.name) !== '';
    const hasNumber = typeof port?.number === 'number' && port.number !== 0;
    if (hasName && hasNumber) errs.push(invalid(pp, port, 'cannot set both port name & port number'));
    else if (hasName) for (const m of isValidPortName(port.name)) errs.push(invalid(child(pp, 'name'), port.name, m));
    else if (hasNumber) portNum(port.number, child(pp, 'number'), errs);
    else errs.push(required(pp, 'port name or number is required'));
  } else if (hasResource) {
    const rp = child(path, 'resource');
    if (!str(b.resource.kind)) errs.push(required(child(rp, 'kind'), ''));
    if (!str(b.resource.name)) errs.push(required(child(rp, 'name'), ''));
  } else {
    errs.push(invalid(path, '', 'resource or service backend is required'));
  }
}

export function validateIngressSpec(ing: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(ing.spec) ? ing.spec : {};
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend)) errs.push(invalid('spec', 'rules', 'either `defaultBackend` or `rules` must be specified'));
  if (isObj(spec.defaultBackend)) ingressBackend(spec.defaultBackend, 'spec.defaultBackend', errs);
  rules.forEach((r: Obj, i: number) => {
    const rp = index('spec.rules', i);
    const host = str(r?.host);
    if (host) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':')) errs.push(invalid(child(rp, 'host'), host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(child(rp, 'host'), host, m));
    }
    if (!isObj(r?.http)) return;
    const hp = child(rp, 'http', 'paths');
    const paths = arr(r.http.paths);
    if (paths.length === 0) errs.push(required(hp, ''));
    paths.forEach((p: Obj, j: number) => {
      const pp = index(hp, j);
      const pt = p?.pathType;
      if (!has(pt)) errs.push(required(child(pp, 'pathType'), 'pathType must be specified'));
      else if (!PATH_TYPES.includes(pt)) errs.push(notSupported(child(pp, 'pathType'), pt, PATH_TYPES));
      else {
        const path = str(p.path);
        if (pt === 'Exact' || pt === 'Prefix') {
          if (!path.startsWith('/')) errs.push(invalid(child(pp, 'path'), path, 'must be an absolute path'));
          if (path) {
            for (const bad of ['//', '/./', '/../', '%2f', '%2F']) if (path.includes(bad)) errs.push(invalid(child(pp, 'path'), path, `must not contain '${bad}'`));
            for (const bad of ['/..', '/.']) if (path.endsWith(bad)) errs.push(invalid(child(pp, 'path'), path, `cannot end with '${bad}'`));
          }
        } else if (path && !path.startsWith('/')) {
          errs.push(invalid(child(pp, 'path'), path, 'must be an absolute path'));
        }
      }
      ingressBackend(p?.backend, child(pp, 'backend'), errs);
    });
  });
  arr(spec.tls).forEach((t: Obj, i: number) => {
    arr(t?.hosts).forEach((h, j) => {
      const hs = str(h);
      const msgs = hs.includes('*') ? isWildcardDNS1123Subdomain(hs) : isDNS1123Subdomain(hs);
      for (const m of msgs) errs.push(invalid(index(child(index('spec.tls', i), 'hosts'), j), hs, m));
    });
  });
  if (has(spec.ingressClassName)) nameWith(nameIsDNSSubdomain, str(spec.ingressClassName), 'spec.ingressClassName', errs);
}

export function validateIngressClassSpec(ic: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(ic.spec) ? ic.spec : {};
  const ctrl = str(spec.controller);
  if (!ctrl) errs.push(required('spec.controller', ''));
  else {
    if (ctrl.length > 250) errs.push({ type: 'FieldValueTooLong', field: 'spec.controller', detail: 'must have at most 250 bytes' });
    const [domain, ...rest] = ctrl.split('/');
    if (rest.length === 0) errs.push(invalid('spec.controller', ctrl, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else dns1123Subdomain(domain!, 'spec.controller', errs);
  }
  const p = spec.parameters;
  if (isObj(p)) {
    if (!str(p.kind)) errs.push(required('spec.parameters.kind', ''));
    if (!str(p.name)) errs.push(required('spec.parameters.name', ''));
    if (has(p.scope) && !['Cluster', 'Namespace'].includes(p.scope)) errs.push(notSupported('spec.parameters.scope', p.scope, ['Cluster', 'Namespace']));
    if (p.scope === 'Namespace' && !str(p.namespace)) errs.push(required('spec.parameters.namespace', '`parameters.scope` is set to "Namespace"'));
    if (p.scope === 'Cluster' && has(p.namespace)) errs.push(forbiddenField('spec.parameters.namespace', '`parameters.scope` is set to "Cluster"'));
  }
}

export function validateIngressClassUpdate(ic: Obj, old: Obj, errs: FieldError[]): void {
  immutable(ic.spec?.controller, old.spec?.controller, 'spec.controller', errs);
}

function networkPolicyPeers(peers: unknown, path: string, errs: FieldError[]): void {
  arr(peers).forEach((p: Obj, i: number) => {
    const pp = index(path, i);
    let n = 0;
    if (isObj(p?.podSelector)) {
      n++;
      validateLabelSelector(p.podSelector, child(pp, 'podSelector'), errs);
    }
    if (isObj(p?.namespaceSelector)) {
      n++;
      validateLabelSelector(p.namespaceSelector, child(pp, 'namespaceSelector'), errs);
    }
    if (isObj(p?.ipBlock)) {
      n++;
      const ib = p.ipBlock;
      const ip = child(pp, 'ipBlock');
      if (!str(ib.cidr)) errs.push(required(child(ip, 'cidr'), ''));
      else for (const m of isValidCIDR(ib.cidr)) errs.push(invalid(child(ip, 'cidr'), ib.cidr, m));
      arr(ib.except).forEach((e, k) => {
        for (const m of isValidCIDR(str(e))) errs.push(invalid(index(child(ip, 'except'), k), e, m));
      });
    }
    if (n === 0) errs.push(required(pp, 'must specify a peer'));
    else if (n > 1 && isObj(p?.ipBlock)) errs.push(forbiddenField(pp, 'may not specify both ipBlock and another peer'));
  });
}

function networkPolicyPorts(ports: unknown, path: string, errs: FieldError[]): void {
  arr(ports).forEach((p: Obj, i: number) => {
    const pp = index(path, i);
    if (has(p?.protocol) && !['SCTP', 'TCP', 'UDP'].includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (typeof p?.port === 'number') {
      portNum(p.port, child(pp, 'port'), errs);
      if (has(p.endPort)) {
        if (p.endPort < p.port) errs.push(invalid(child(pp, 'endPort'), p.endPort, 'must be greater than or equal to `port`'));
        portNum(p.endPort, child(pp, 'endPort'), errs);
      }
    } else if (typeof p?.port === 'string') {
      for (const m of isValidPortName(p.port)) errs.push(invalid(child(pp, 'port'), p.port, m));
      if (has(p.endPort)) errs.push(invalid(child(pp, 'endPort'), p.endPort, 'may not be specified when `port` is non-numeric'));
    } else if (has(p?.endPort)) {
      errs.push(required(child(pp, 'port'), 'must be specified when `endPort` is specified'));
    }
  });
}

export function validateNetworkPolicySpec(np: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(np.spec) ? np.spec : {};
  validateLabelSelector(spec.podSelector, 'spec.podSelector', errs);
  arr(spec.ingress).forEach((r: Obj, i: number) => {
    const rp = index('spec.ingress', i);
    networkPolicyPorts(r?.ports, child(rp, 'ports'), errs);
    networkPolicyPeers(r?.from, child(rp, 'from'), errs);
  });
  arr(spec.egress).forEach((r: Obj, i: number) => {
    const rp = index('spec.egress', i);
    networkPolicyPorts(r?.ports, child(rp, 'ports'), errs);
    networkPolicyPeers(r?.to, child(rp, 'to'), errs);
  });
  const types = arr(spec.policyTypes);
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
  });
  if (types.length > 2) errs.push(invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
}

// ---------------- discovery.k8s.io ----------------

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

export function validateEndpointSlice(es: Obj, errs: FieldError[]): void {
  const at = es.addressType;
  if (!has(at)) errs.push(required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(notSupported('addressType', at, ADDRESS_TYPES));
  const eps = arr(es.endpoints);
  if (eps.length > 1000) errs.push({ type: 'FieldValueTooMany', field: 'endpoints', detail: `must have at most 1000 items` });
  eps.forEach((e: Obj, i: number) => {
    const ep = index('endpoints', i);
    const addrs = arr(e?.addresses);
    if (addrs.length === 0) errs.push(required(child(ep, 'addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push({ type: 'FieldValueTooMany', field: child(ep, 'addresses'), detail: 'must have at most 100 items' });
    addrs.forEach((a, j) => {
      const ap = index(child(ep, 'addresses'), j);
      const s = str(a);
      if (at === 'IPv4') {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(s)) errs.push(invalid(ap, s, 'must be a valid IPv4 address'));
        else ipAddress(s, ap, errs);
      } else if (at === 'IPv6') {
        if (!s.includes(':')) errs.push(invalid(ap, s, 'must be a valid IPv6 address'));
        else ipAddress(s, ap, errs);
      } else if (at === 'FQDN') {
        dns1123Subdomain(s, ap, errs);
      }
    });
    if (has(e?.nodeName)) nameWith(nameIsDNSSubdomain, str(e.nodeName), child(ep, 'nodeName'), errs);
    if (has(e?.hostname)) dns1123Label(str(e.hostname), child(ep, 'hostname'), errs);
  });
  const ports = arr(es.ports);
  if (ports.length > 20000) errs.push({ type: 'FieldValueTooMany', field: 'ports', detail: 'must have at most 20000 items' });
  const names = new Set<string>();
  ports.forEach((p: Obj, i: number) => {
    const pp = index('ports', i);
    if (str(p?.name)) dns1123Label(p.name, child(pp, 'name'), errs);
    if (names.has(str(p?.name))) errs.push(duplicate(child(pp, 'name'), str(p?.name)));
    names.add(str(p?.name));
    if (has(p?.port)) portNum(p.port, child(pp, 'port'), errs);
    if (has(p?.protocol) && !['SCTP', 'TCP', 'UDP'].includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (has(p?.appProtocol)) qualifiedName(str(p.appProtocol), child(pp, 'appProtocol'), errs);
  });
}

export function validateEndpointSliceUpdate(es: Obj, old: Obj, errs: FieldError[]): void {
  // Legacy IP address type may become IPv4; otherwise addressType is immutable.
  if (!(old.addressType === 'IP' && es.addressType === 'IPv4')) immutable(es.addressType, old.addressType, 'addressType', errs);
}

// ---------------- coordination.k8s.io ----------------

export function validateLeaseSpec(lease: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(lease.spec) ? lease.spec : {};
  if (has(spec.leaseDurationSeconds) && spec.leaseDurationSeconds <= 0) errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  nonNegative(spec.leaseTransitions, 'spec.leaseTransitions', errs);
  if (has(spec.strategy) && spec.strategy !== 'OldestEmulationVersion') errs.push(notSupported('spec.strategy', spec.strategy, ['OldestEmulationVersion']));
}

// ---------------- rbac.authorization.k8s.io ----------------

function policyRule(r: Obj, path: string, errs: FieldError[], namespaced: boolean): void {
  if (arr(r?.verbs).length === 0) errs.push(required(child(path, 'verbs'), 'verbs must contain at least one value'));
  if (arr(r?.nonResourceURLs).length > 0) {
    if (namespaced) errs.push(invalid(child(path, 'nonResourceURLs'), r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(r.apiGroups).length > 0 || arr(r.resources).length > 0 || arr(r.resourceNames).length > 0) {
      errs.push(invalid(child(path, 'nonResourceURLs'), r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return;
  }
  if (arr(r?.apiGroups).length === 0) errs.push(required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(r?.resources).length === 0) errs.push(required(child(path, 'resources'), 'resource rules must supply at least one resource'));
}

export function validateRoleRules(role: Obj, namespaced: boolean, errs: FieldError[]): void {
  arr(role.rules).forEach((r: Obj, i: number) => policyRule(r, index('rules', i), errs, namespaced));
  if (!namespaced && isObj(role.aggregationRule)) {
    const sels = arr(role.aggregationRule.clusterRoleSelectors);
    if (sels.length === 0) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s: Obj, i: number) => validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i), errs));
  }
}

function subject(s: Obj, namespaced: boolean, path: string, errs: FieldError[]): void {
  if (!str(s?.name)) errs.push(required(child(path, 'name'), ''));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (str(s.name)) nameWith(nameIsDNSSubdomain, s.name, child(path, 'name'), errs);
      if (str(s.apiGroup)) errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !str(s.namespace)) errs.push(required(child(path, 'namespace'), ''));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== 'rbac.authorization.k8s.io') errs.push(notSupported(child(path, 'apiGroup'), s.apiGroup ?? '', ['rbac.authorization.k8s.io']));
      break;
    default:
      errs.push(notSupported(child(path, 'kind'), s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
}

export function validateRoleBinding(rb: Obj, namespaced: boolean, errs: FieldError[]): void {
  const ref: Obj = isObj(rb.roleRef) ? rb.roleRef : {};
  if (ref.apiGroup !== 'rbac.authorization.k8s.io') errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', ['rbac.authorization.k8s.io']));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!str(ref.name)) errs.push(required('roleRef.name', ''));
  else nameWith(nameIsPathSegment, ref.name, 'roleRef.name', errs);
  arr(rb.subjects).forEach((s: Obj, i: number) => subject(s, namespaced, index('subjects', i), errs));
}

export function validateRoleBindingUpdate(rb: Obj, old: Obj, errs: FieldError[]): void {
  if (!deepEqual(rb.roleRef, old.roleRef)) errs.push(invalid('roleRef', rb.roleRef ?? null, 'cannot change roleRef'));
}

// ---------------- storage.k8s.io ----------------

const RECLAIM = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export function validateStorageClass(sc: Obj, errs: FieldError[]): void {
  const prov = str(sc.provisioner);
  if (!prov) errs.push(required('provisioner', ''));
  else {
    if (prov.length > 63) errs.push({ type: 'FieldValueTooLong', field: 'provisioner', detail: 'must have at most 63 bytes' });
    qualifiedName(prov.toLowerCase(), 'provisioner', errs);
  }
  const params: Obj = isObj(sc.parameters) ? sc.parameters : {};
  let total = 0;
  for (const [k, v] of Object.entries(params)) {
    if (!k) errs.push(invalid('parameters', k, 'field can not be empty.'));
    total += k.length + str(v).length;
  }
  if (Object.keys(params).length > 512) errs.push(invalid('parameters', params, 'must have at most 512 parameters'));
  if (total > 256 * 1024) errs.push(invalid('parameters', params, `must be less than or equal to ${256 * 1024} bytes`));
  if (has(sc.reclaimPolicy) && !RECLAIM.includes(sc.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, RECLAIM));
  if (has(sc.volumeBindingMode) && !BINDING_MODES.includes(sc.volumeBindingMode)) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  arr(sc.allowedTopologies).forEach((t: Obj, i: number) => {
    const tp = index('allowedTopologies', i);
    const seen = new Set<string>();
    arr(t?.matchLabelExpressions).forEach((e: Obj, j: number) => {
      const ep = index(child(tp, 'matchLabelExpressions'), j);
      if (arr(e?.values).length === 0) errs.push(required(child(ep, 'values'), ''));
      if (seen.has(str(e?.key))) errs.push(duplicate(child(ep, 'key'), str(e?.key)));
      seen.add(str(e?.key));
      qualifiedName(str(e?.key), child(ep, 'key'), errs);
    });
  });
}

export function validateStorageClassUpdate(sc: Obj, old: Obj, errs: FieldError[]): void {
  if (!deepEqual(sc.parameters, old.parameters)) errs.push(forbiddenField('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbiddenField('provisioner', 'updates to provisioner are forbidden.'));
  if ((sc.reclaimPolicy ?? 'Delete') !== (old.reclaimPolicy ?? 'Delete')) errs.push(forbiddenField('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  immutable(sc.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode', errs);
}

export function validateCSIDriver(d: Obj, errs: FieldError[]): void {
  csiDriverName(str(d.metadata?.name), 'name', errs);
  const spec: Obj = isObj(d.spec) ? d.spec : {};
  for (const f of ['attachRequired', 'podInfoOnMount', 'storageCapacity', 'requiresRepublish', 'seLinuxMount']) {
    if (has(spec[f]) && typeof spec[f] !== 'boolean') errs.push(invalid(child('spec', f), spec[f], 'must be a boolean'));
  }
  if (has(spec.fsGroupPolicy) && !['File', 'None', 'ReadWriteOnceWithFSType'].includes(spec.fsGroupPolicy)) {
    errs.push(notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, ['File', 'None', 'ReadWriteOnceWithFSType']));
  }
  const modes = arr(spec.volumeLifecycleModes);
  modes.forEach((m) => {
    if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(notSupported('spec.volumeLifecycleModes', m, ['Ephemeral', 'Persistent']));
  });
  arr(spec.tokenRequests).forEach((t: Obj, i: number) => {
    if (has(t?.expirationSeconds) && t.expirationSeconds < 600) errs.push(invalid(child(index('spec.tokenRequests', i), 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
  });
}

export function validateCSIDriverUpdate(d: Obj, old: Obj, errs: FieldError[]): void {
  for (const f of ['attachRequired', 'podInfoOnMount', 'volumeLifecycleModes', 'fsGroupPolicy']) {
    immutable(d.spec?.[f], old.spec?.[f], child('spec', f), errs);
  }
}

export function validateVolumeAttachment(va: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(va.spec) ? va.spec : {};
  csiDriverName(str(spec.attacher), 'spec.attacher', errs);
  if (!str(spec.nodeName)) errs.push(required('spec.nodeName', ''));
  else nameWith(nameIsDNSSubdomain, spec.nodeName, 'spec.nodeName', errs);
  const src: Obj = isObj(spec.source) ? spec.source : {};
  const hasPV = has(src.persistentVolumeName);
  const hasInline = isObj(src.inlineVolumeSpec);
  if (!hasPV && !hasInline) errs.push(required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  else if (hasPV && hasInline) errs.push(forbiddenField('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  else if (hasPV && !str(src.persistentVolumeName)) errs.push(required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
}

export function validateVolumeAttachmentUpdate(va: Obj, old: Obj, errs: FieldError[]): void {
  if (!deepEqual(va.spec, old.spec)) errs.push(invalid('spec', va.spec ?? null, 'field is immutable'));
}

// ---------------- scheduling.k8s.io ----------------

const HIGHEST_USER_PRIORITY = 1000000000;
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export function validatePriorityClass(pc: Obj, errs: FieldError[]): void {
  const name = str(pc.metadata?.name);
  const value = typeof pc.value === 'number' ? pc.value : 0;
  if (name in SYSTEM_PRIORITY_CLASSES) {
    if (value !== SYSTEM_PRIORITY_CLASSES[name]) errs.push(forbiddenField('metadata.name', `${name} is a reserved system priority class name and its value should be ${SYSTEM_PRIORITY_CLASSES[name]}`));
  } else {
    if (name.startsWith('system-')) errs.push(forbiddenField('metadata.name', "priority class names with 'system-' prefix are reserved"));
    if (value > HIGHEST_USER_PRIORITY) errs.push(forbiddenField('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (has(pc.preemptionPolicy) && !['PreemptLowerPriority', 'Never'].includes(pc.preemptionPolicy)) {
    errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  }
}

export function validatePriorityClassUpdate(pc: Obj, old: Obj, errs: FieldError[]): void {
  if (pc.value !== old.value) errs.push(forbiddenField('value', 'may not be changed in an update.'));
  immutable(pc.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy', errs);
}

// ---------------- certificates.k8s.io ----------------

const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign',
  'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system',
  'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];

export function validateCSR(csr: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(csr.spec) ? csr.spec : {};
  const req = str(spec.request);
  let pem = '';
  try {
    pem = Buffer.from(req, 'base64').toString('utf8');
  } catch {
    pem = '';
  }
  if (!/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----/.test(pem)) {
    errs.push(invalid('spec.request', req.length > 0 ? '<certificate request>' : '', 'PEM block type must be CERTIFICATE REQUEST'));
  }
  const signer = str(spec.signerName);
  if (!signer) errs.push(required('spec.signerName', ''));
  else {
    const parts = signer.split('/');
    if (parts.length !== 2 || !parts[1]) errs.push(invalid('spec.signerName', signer, 'must be a fully qualified domain and path of the form \'example.com/signer-name\''));
    else for (const m of isDNS1123Subdomain(parts[0]!)) errs.push(invalid('spec.signerName', signer, `domain part: ${m}`));
  }
  const usages = arr(spec.usages);
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(index('spec.usages', i), u, KEY_USAGES));
    if (seen.has(u)) errs.push(duplicate(index('spec.usages', i), u));
    seen.add(u);
  });
  if (has(spec.expirationSeconds) && spec.expirationSeconds < 600) errs.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
}

export function validateCSRUpdate(csr: Obj, old: Obj, errs: FieldError[]): void {
  if (!deepEqual(csr.spec, old.spec)) errs.push(forbiddenField('spec', 'updates to certificate request spec are forbidden'));
}

// ---------------- autoscaling ----------------

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];

function crossVersionRef(ref: unknown, path: string, errs: FieldError[]): void {
  const r: Obj = isObj(ref) ? ref : {};
  if (!str(r.kind)) errs.push(required(child(path, 'kind'), ''));
  else for (const m of nameIsPathSegment(r.kind, false)) errs.push(invalid(child(path, 'kind'), r.kind, m));
  if (!str(r.name)) errs.push(required(child(path, 'name'), ''));
  else for (const m of nameIsPathSegment(r.name, false)) errs.push(invalid(child(path, 'name'), r.name, m));
}

function metricTarget(t: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(t)) {
    errs.push(required(path, 'must specify a metric target'));
    return;
  }
  if (!str(t.type)) errs.push(required(child(path, 'type'), 'must specify a metric target type'));
  else if (!['Utilization', 'Value', 'AverageValue'].includes(t.type)) errs.push(notSupported(child(path, 'type'), t.type, ['Utilization', 'Value', 'AverageValue']));
  if (!has(t.value) && !has(t.averageValue) && !has(t.averageUtilization)) errs.push(required(path, 'must set either a target raw value, a target average value, or a target percentage'));
  if (has(t.averageUtilization) && t.averageUtilization < 1) errs.push(invalid(child(path, 'averageUtilization'), t.averageUtilization, 'must be greater than 0'));
}

export function validateHPA(hpa: Obj, apiVersion: string, errs: FieldError[]): void {
  const spec: Obj = isObj(hpa.spec) ? hpa.spec : {};
  if (has(spec.minReplicas) && spec.minReplicas < 1) errs.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (typeof spec.maxReplicas !== 'number' || spec.maxReplicas < 1) errs.push(invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (typeof spec.minReplicas === 'number' && typeof spec.maxReplicas === 'number' && spec.maxReplicas < spec.minReplicas) {
    errs.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  crossVersionRef(spec.scaleTargetRef, 'spec.scaleTargetRef', errs);
  if (apiVersion === 'autoscaling/v1') {
    if (has(spec.targetCPUUtilizationPercentage) && spec.targetCPUUtilizationPercentage < 1) {
      errs.push(invalid('spec.targetCPUUtilizationPercentage', spec.targetCPUUtilizationPercentage, 'must be greater than 0'));
    }
    return;
  }
  arr(spec.metrics).forEach((m: Obj, i: number) => {
    const mp = index('spec.metrics', i);
    const type = str(m?.type);
    if (!type) {
      errs.push(required(child(mp, 'type'), 'must specify a metric source type'));
      return;
    }
    if (!METRIC_TYPES.includes(type)) {
      errs.push(notSupported(child(mp, 'type'), type, METRIC_TYPES));
      return;
    }
    const field = type === 'ContainerResource' ? 'containerResource' : type[0]!.toLowerCase() + type.slice(1);
    for (const other of ['object', 'pods', 'resource', 'containerResource', 'external']) {
      if (other !== field && isObj(m[other])) errs.push(forbiddenField(child(mp, other), 'must populate the given metric source only'));
    }
    const src = m[field];
    const sp = child(mp, field);
    if (!isObj(src)) {
      errs.push(required(sp, 'must populate information for the given metric source'));
      return;
    }
    if (type === 'Resource' || type === 'ContainerResource') {
      if (!str(src.name)) errs.push(required(child(sp, 'name'), 'must specify a resource name'));
      if (type === 'ContainerResource' && !str(src.container)) errs.push(required(child(sp, 'container'), 'must specify a container'));
    } else {
      if (!isObj(src.metric) || !str(src.metric.name)) errs.push(required(child(sp, 'metric', 'name'), 'must specify a metric name'));
      if (type === 'Object') crossVersionRef(src.describedObject, child(sp, 'describedObject'), errs);
    }
    metricTarget(src.target, child(sp, 'target'), errs);
  });
  const b = spec.behavior;
  if (isObj(b)) {
    for (const dir of ['scaleUp', 'scaleDown']) {
      const r = b[dir];
      if (!isObj(r)) continue;
      const rp = child('spec.behavior', dir);
      if (has(r.stabilizationWindowSeconds) && (r.stabilizationWindowSeconds < 0 || r.stabilizationWindowSeconds > 3600)) {
        errs.push(invalid(child(rp, 'stabilizationWindowSeconds'), r.stabilizationWindowSeconds, r.stabilizationWindowSeconds < 0 ? 'must be greater than or equal to zero' : 'must be less than or equal to 3600'));
      }
      if (has(r.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(r.selectPolicy)) errs.push(notSupported(child(rp, 'selectPolicy'), r.selectPolicy, ['Disabled', 'Max', 'Min']));
      arr(r.policies).forEach((p: Obj, i: number) => {
        const pp = index(child(rp, 'policies'), i);
        if (!['Percent', 'Pods'].includes(str(p?.type))) errs.push(notSupported(child(pp, 'type'), p?.type ?? '', ['Percent', 'Pods']));
        if (typeof p?.value !== 'number' || p.value <= 0) errs.push(invalid(child(pp, 'value'), p?.value ?? 0, 'must be greater than zero'));
        if (typeof p?.periodSeconds !== 'number' || p.periodSeconds <= 0) errs.push(invalid(child(pp, 'periodSeconds'), p?.periodSeconds ?? 0, 'must be greater than zero'));
        else if (p.periodSeconds > 1800) errs.push(invalid(child(pp, 'periodSeconds'), p.periodSeconds, 'must be less than or equal to 1800'));
      });
    }
  }
}

// ---------------- policy ----------------

export function validatePDBSpec(pdb: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(pdb.spec) ? pdb.spec : {};
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    const v = spec[f];
    if (!has(v)) continue;
    positiveIntOrPercent(v, child('spec', f), errs);
    if (typeof v === 'string' && isValidPercent(v).length === 0 && Number(v.slice(0, -1)) > 100) errs.push(invalid(child('spec', f), v, 'must not be greater than 100%'));
  }
  validateLabelSelector(spec.selector, 'spec.selector', errs);
  if (has(spec.unhealthyPodEvictionPolicy) && !['AlwaysAllow', 'IfHealthyBudget'].includes(spec.unhealthyPodEvictionPolicy)) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
}


