// Container environment as the kubelet builds it: $(VAR) expansion rules, service variables
// (kubernetes always, the namespace's only with enableServiceLinks), precedence of env over envFrom
// over service variables, optional references and the CreateContainerConfigError messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../client/types.ts';
import { ContainerConfigError, buildEnv, expand, expandCommand, formatMap, resourceFieldValue, serviceEnv, type EnvContext } from './env.ts';

const services: Obj[] = [
  { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '127.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
  { metadata: { name: 'db', namespace: 'app' }, spec: { clusterIP: '127.96.0.7', ports: [{ port: 5432, protocol: 'TCP' }, { name: 'metrics', port: 9187, protocol: 'UDP' }] } },
  { metadata: { name: 'headless', namespace: 'app' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
  { metadata: { name: 'other', namespace: 'elsewhere' }, spec: { clusterIP: '127.96.0.9', ports: [{ port: 80 }] } },
];

function ctx(extra: Partial<EnvContext> = {}): EnvContext {
  const cms: Record<string, Obj> = { 'app/cm': { data: { k: 'v', X: 'from-cm' } } };
  const secs: Record<string, Obj> = { 'app/s': { data: { t: Buffer.from('tok').toString('base64') } } };
  return {
    configMap: (ns, n) => cms[`${ns}/${n}`],
    secret: (ns, n) => secs[`${ns}/${n}`],
    services,
    podIP: '127.244.0.9',
    hostIP: '127.10.0.1',
    nodeName: 'n1',
    allocatable: { cpu: '2', memory: '4Gi' },
    ...extra,
  };
}
const pod = (spec: Obj = {}): Obj => ({ metadata: { name: 'p', namespace: 'app', uid: 'u1', labels: { b: '2', a: '1' } }, spec: { containers: [{ name: 'c' }], ...spec } });

describe('expand', () => {
  const m = (n: string) => ({ A: 'x', B: 'y' })[n];
  it('follows the upstream rules', () => {
    assert.equal(expand('$(A)-$(B)', m), 'x-y');
    assert.equal(expand('$$(A)', m), '$(A)');
    assert.equal(expand('$(C)', m), '$(C)');
    assert.equal(expand('$A $', m), '$A $');
    assert.equal(expand('$(A', m), '$(A');
    assert.equal(expand('$$$$', m), '$$');
  });
});

describe('serviceEnv', () => {
  it('makes docker-link variables for the namespace and kubernetes', () => {
    const e = serviceEnv(services, 'app');
    assert.equal(e.KUBERNETES_SERVICE_HOST, '127.96.0.1');
    assert.equal(e.KUBERNETES_SERVICE_PORT, '443');
    assert.equal(e.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(e.KUBERNETES_PORT_443_TCP, 'tcp://127.96.0.1:443');
    assert.equal(e.DB_SERVICE_HOST, '127.96.0.7');
    assert.equal(e.DB_SERVICE_PORT, '5432');
    assert.equal(e.DB_PORT, 'tcp://127.96.0.7:5432');
    assert.equal(e.DB_PORT_9187_UDP_PROTO, 'udp');
    assert.equal(e.DB_SERVICE_PORT_METRICS, '9187');
    assert.equal(Object.keys(e).some((k) => k.startsWith('HEADLESS_') || k.startsWith('OTHER_')), false);
  });
  it('keeps only kubernetes without service links', () => {
    const e = serviceEnv(services, 'app', false);
    assert.ok(e.KUBERNETES_SERVICE_HOST);
    assert.equal(e.DB_SERVICE_HOST, undefined);
  });
});

describe('buildEnv', () => {
  it('applies envFrom, then env, then service variables where unset', () => {
    const c = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 'missing', optional: true } }],
      env: [
        { name: 'X', value: 'from-env' },
        { name: 'DB_SERVICE_HOST', value: 'override' },
        { name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 't' } } },
        { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['a']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'REF', value: '$(X)/$(KUBERNETES_SERVICE_HOST)/$(LATER)' },
        { name: 'LATER', value: 'z' },
      ],
    };
    const { env } = buildEnv(pod(), c, ctx());
    assert.equal(env.k, 'v');
    assert.equal(env.X, 'from-env');
    assert.equal(env.DB_SERVICE_HOST, 'override');
    assert.equal(env.T, 'tok');
    assert.equal(env.L, '1');
    assert.equal(env.IP, '127.10.0.1');
    assert.equal(env.REF, 'from-env/127.96.0.1/$(LATER)');
    const { command, args } = expandCommand({ command: ['echo', '$(LATER)'], args: ['$(NOPE)'] }, env);
    assert.deepEqual(command, ['echo', 'z']);
    assert.deepEqual(args, ['$(NOPE)']);
  });
  it('fails with the upstream messages', () => {
    const bad = (env: Obj[], re: RegExp) => assert.throws(() => buildEnv(pod(), { name: 'c', env }, ctx()), (e: unknown) => e instanceof ContainerConfigError && re.test(e.message));
    bad([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }], /^configmap "nope" not found$/);
    bad([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }], /^couldn't find key zz in ConfigMap app\/cm$/);
    bad([{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }], /^secret "nope" not found$/);
    bad([{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'zz' } } }], /^couldn't find key zz in Secret app\/s$/);
    const { env } = buildEnv(pod(), { name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz', optional: true } } }] }, ctx());
    assert.equal('A' in env, false);
  });
});

describe('downward API values', () => {
  it('formats labels sorted and quoted', () => {
    assert.equal(formatMap({ b: '2', a: 'say "hi"' }), 'a="say \\"hi\\""\nb="2"');
  });
  it('resolves resource fields with divisors and node allocatable for unset limits', () => {
    const p = pod({ containers: [{ name: 'c', resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { memory: '1Gi' } } }] });
    assert.equal(resourceFieldValue(p, 'c', { resource: 'requests.cpu', divisor: '1m' }, { cpu: '2' }), '250');
    assert.equal(resourceFieldValue(p, 'c', { resource: 'requests.cpu' }, { cpu: '2' }), '1');
    assert.equal(resourceFieldValue(p, 'c', { resource: 'limits.cpu' }, { cpu: '2' }), '2');
    assert.equal(resourceFieldValue(p, 'c', { resource: 'limits.memory', divisor: '1Mi' }, {}), '1024');
    assert.equal(resourceFieldValue(p, 'c', { resource: 'requests.memory' }, {}), String(100 * 1024 * 1024));
  });
});
