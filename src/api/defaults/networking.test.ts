// Tests for NetworkPolicy, IngressClass, Ingress and EndpointSlice defaulting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

test('NetworkPolicy: policyTypes, port protocol, podSelector {}', () => {
  const np: any = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { ingress: [{ ports: [{ port: 80 }] }] } };
  applyDefaults(np);
  assert.deepEqual(np.spec, { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }], policyTypes: ['Ingress'] });

  const eg: any = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { podSelector: { matchLabels: { a: 'b' } }, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] } };
  applyDefaults(eg);
  assert.deepEqual(eg.spec.policyTypes, ['Ingress', 'Egress']);

  const emptyEgress: any = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { podSelector: {}, egress: [] } };
  applyDefaults(emptyEgress);
  assert.deepEqual(emptyEgress.spec.policyTypes, ['Ingress']);

  const explicit: any = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { podSelector: {}, policyTypes: ['Egress'] } };
  applyDefaults(explicit);
  assert.deepEqual(explicit.spec.policyTypes, ['Egress']);
});

test('IngressClass: parameters.scope Cluster only when parameters are set', () => {
  const ic: any = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', spec: { controller: 'skiff.dev/ingress', parameters: { kind: 'Params', name: 'p' } } };
  applyDefaults(ic);
  assert.equal(ic.spec.parameters.scope, 'Cluster');
  const bare: any = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', spec: { controller: 'x' } };
  applyDefaults(bare);
  assert.deepEqual(bare.spec, { controller: 'x' });
});

test('Ingress: no pathType default', () => {
  const ing: any = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', spec: { rules: [{ http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } };
  const before = structuredClone(ing);
  applyDefaults(ing);
  assert.deepEqual(ing, before);
});

test('EndpointSlice: port name "" and protocol TCP', () => {
  const es: any = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', endpoints: [], ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] };
  applyDefaults(es);
  assert.deepEqual(es.ports, [{ port: 80, name: '', protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
});
