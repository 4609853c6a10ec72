// Versioned defaulting of networking.k8s.io/v1 NetworkPolicy and IngressClass and of
// discovery.k8s.io/v1 EndpointSlice (pkg/apis/{networking,discovery}/v1/defaults.go).
import type { Obj } from './pod.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function portsProtocolTCP(rules: unknown): void {
  if (!Array.isArray(rules)) return;
  for (const r of rules) {
    if (!isObj(r) || !Array.isArray(r.ports)) continue;
    for (const p of r.ports) if (isObj(p) && !p.protocol) p.protocol = 'TCP';
  }
}

export function defaultNetworkPolicy(obj: Obj): void {
  if (!isObj(obj.spec)) obj.spec = {};
  const s = obj.spec;
  // podSelector is a required non-pointer struct: an omitted one reads back as {}.
  if (!isObj(s.podSelector)) s.podSelector = {};
  portsProtocolTCP(s.ingress);
  portsProtocolTCP(s.egress);
  if (!Array.isArray(s.policyTypes) || s.policyTypes.length === 0) {
    s.policyTypes = ['Ingress'];
    if (Array.isArray(s.egress) && s.egress.length > 0) s.policyTypes.push('Egress');
  }
}

export function defaultIngressClass(obj: Obj): void {
  const params = obj.spec?.parameters;
  if (isObj(params) && params.scope == null) params.scope = 'Cluster';
}

export function defaultEndpointSlice(obj: Obj): void {
  if (!Array.isArray(obj.ports)) return;
  for (const p of obj.ports) {
    if (!isObj(p)) continue;
    if (p.name == null) p.name = '';
    if (p.protocol == null) p.protocol = 'TCP';
  }
}
