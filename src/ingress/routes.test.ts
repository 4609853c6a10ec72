// The Ingress routing table against the examples of the Ingress documentation: Exact and Prefix
// path types (element-wise, trailing slashes ignored), the longest match winning with Exact first,
// exact hosts before one-label wildcards before rules without a host, defaultBackend, the older
// Ingress winning a conflict; and the IngressClass ownership rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../client/types.ts';
import { RouteTable, normalizeHost } from './routes.ts';
import { isOurIngress, INGRESS_CONTROLLER, ANN_DEFAULT_INGRESS_CLASS } from './class.ts';

const svc = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });

function ingress(name: string, spec: Obj, created = '2026-01-01T00:00:00Z', namespace = 'default'): Obj {
  return { metadata: { name, namespace, creationTimestamp: created }, spec };
}

function paths(...ps: [string, string, string][]): Obj {
  return { paths: ps.map(([path, pathType, backend]) => ({ path, pathType, backend: svc(backend) })) };
}

/** Which Service a request goes to, or undefined. */
function to(t: RouteTable, host: string, path: string): string | undefined {
  const m = t.match(host, path);
  return m?.backend.kind === 'service' ? m.backend.name : m ? `resource:${m.backend.name}` : undefined;
}

describe('RouteTable paths (the examples of the Ingress documentation)', () => {
  const one = (path: string, pathType: string) => new RouteTable([ingress('i', { rules: [{ http: paths([path, pathType, 'a']) }] })]);
  const cases: [string, string, string, boolean][] = [
    ['Prefix', '/', '(all paths)', true],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/bar', false],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo/', '/foo/', true],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb/', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/ccc', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbbxyz', false],
    ['Prefix', '/foo', '/foobar', false],
    ['ImplementationSpecific', '/foo', '/foo/bar', true],
    ['ImplementationSpecific', '/foo', '/foobar', false],
  ];
  for (const [type, path, request, matches] of cases) {
    it(`${type} ${path} ${matches ? 'matches' : 'does not match'} ${request}`, () => {
      const req = request === '(all paths)' ? '/any/thing' : request;
      assert.equal(to(one(path, type), '', req), matches ? 'a' : undefined);
    });
  }

  it('the longest matching path wins, Exact before Prefix on a tie', () => {
    const t = new RouteTable([
      ingress('i', {
        rules: [{ http: paths(['/', 'Prefix', 'root'], ['/foo', 'Prefix', 'foo'], ['/foo', 'Exact', 'foo-exact'], ['/foo/bar', 'Prefix', 'foobar'], ['/aaa', 'Prefix', 'aaa'], ['/aaa/bbb', 'Prefix', 'aaabbb']) }],
      }),
    ]);
    assert.equal(to(t, 'x', '/foo'), 'foo-exact');
    assert.equal(to(t, 'x', '/foo/'), 'foo');
    assert.equal(to(t, 'x', '/foo/bar/baz'), 'foobar');
    assert.equal(to(t, 'x', '/foo/barbaz'), 'foo');
    assert.equal(to(t, 'x', '/aaa/bbb/ccc'), 'aaabbb');
    assert.equal(to(t, 'x', '/aaa/ccc'), 'aaa');
    assert.equal(to(t, 'x', '/ccc'), 'root');
  });

  it('paths are case-sensitive', () => {
    assert.equal(to(one('/Foo', 'Prefix'), '', '/foo'), undefined);
    assert.equal(to(one('/Foo', 'Prefix'), '', '/Foo/x'), 'a');
  });
});

describe('RouteTable hosts', () => {
  const t = new RouteTable([
    ingress('exact', { rules: [{ host: 'foo.bar.com', http: paths(['/', 'Prefix', 'exact']) }] }),
    ingress('wild', { rules: [{ host: '*.bar.com', http: paths(['/', 'Prefix', 'wild'], ['/api', 'Prefix', 'wild-api']) }] }),
    ingress('any', { rules: [{ http: paths(['/other', 'Prefix', 'any']) }] }),
  ]);

  it('an exact host beats a wildcard; the Host header is case-insensitive and its port ignored', () => {
    assert.equal(to(t, 'foo.bar.com', '/'), 'exact');
    assert.equal(to(t, 'FOO.bar.com:8080', '/api'), 'exact');
  });

  it('a wildcard covers exactly one label', () => {
    assert.equal(to(t, 'baz.bar.com', '/'), 'wild');
    assert.equal(to(t, 'baz.bar.com', '/api/v1'), 'wild-api');
    assert.equal(to(t, 'bar.com', '/'), undefined);
    assert.equal(to(t, 'x.baz.bar.com', '/'), undefined);
  });

  it('rules without a host serve every host, after the host rules', () => {
    assert.equal(to(t, 'unknown.example', '/other/x'), 'any');
    assert.equal(to(t, 'foo.bar.com', '/other'), 'exact');
    assert.equal(to(t, 'unknown.example', '/'), undefined);
    assert.equal(to(t, '', '/other'), 'any');
  });

  it('normalizes Host headers', () => {
    assert.equal(normalizeHost('Example.COM:443'), 'example.com');
    assert.equal(normalizeHost('[::1]:8080'), '::1');
    assert.equal(normalizeHost('example.com.'), 'example.com');
    assert.equal(normalizeHost(undefined), '');
  });
});

describe('RouteTable defaults and conflicts', () => {
  it('a defaultBackend takes what no rule matches; the host Ingress default first, then the oldest', () => {
    const t = new RouteTable([
      ingress('late-default', { defaultBackend: svc('late') }, '2026-01-03T00:00:00Z'),
      ingress('global', { defaultBackend: svc('global') }, '2026-01-02T00:00:00Z'),
      ingress('hosted', { defaultBackend: svc('hosted-default'), rules: [{ host: 'h.example', http: paths(['/app', 'Prefix', 'app']) }] }, '2026-01-04T00:00:00Z'),
    ]);
    assert.equal(to(t, 'h.example', '/app/x'), 'app');
    assert.equal(to(t, 'h.example', '/other'), 'hosted-default');
    assert.equal(to(t, 'elsewhere', '/'), 'global');
    assert.equal(t.match('elsewhere', '/')?.rule, 'default backend');
  });

  it('the older Ingress wins the same host and path', () => {
    const t = new RouteTable([
      ingress('newer', { rules: [{ host: 'a', http: paths(['/', 'Prefix', 'newer']) }] }, '2026-01-02T00:00:00Z'),
      ingress('older', { rules: [{ host: 'a', http: paths(['/', 'Prefix', 'older']) }] }, '2026-01-01T00:00:00Z'),
    ]);
    assert.equal(to(t, 'a', '/'), 'older');
  });

  it('resource backends and named ports are kept as written', () => {
    const t = new RouteTable([
      ingress('r', {
        rules: [
          {
            http: {
              paths: [
                { path: '/static', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static-assets' } } },
                { path: '/named', pathType: 'Prefix', backend: svc('web', 'http') },
              ],
            },
          },
        ],
      }),
    ]);
    assert.equal(to(t, '', '/static/x'), 'resource:static-assets');
    const m = t.match('', '/named');
    assert.deepEqual(m?.backend, { kind: 'service', namespace: 'default', name: 'web', port: 'http', ingress: 'default/r' });
    assert.equal(m?.rule, '*/named (Prefix)');
  });
});

describe('isOurIngress', () => {
  const ours = { metadata: { name: 'skiff', annotations: { [ANN_DEFAULT_INGRESS_CLASS]: 'true' } }, spec: { controller: INGRESS_CONTROLLER } };
  const notDefault = { metadata: { name: 'skiff' }, spec: { controller: INGRESS_CONTROLLER } };
  const mine2 = { metadata: { name: 'internal' }, spec: { controller: INGRESS_CONTROLLER } };
  const nginx = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
  const ing = (spec: Obj, annotations?: Record<string, string>) => ({ metadata: { name: 'i', namespace: 'd', annotations }, spec });

  it('serves its class by name, any class of its controller, and the legacy annotation', () => {
    assert.equal(isOurIngress(ing({ ingressClassName: 'skiff' }), [], 'skiff'), true);
    assert.equal(isOurIngress(ing({ ingressClassName: 'internal' }), [ours, mine2, nginx], 'skiff'), true);
    assert.equal(isOurIngress(ing({ ingressClassName: 'nginx' }), [ours, nginx], 'skiff'), false);
    assert.equal(isOurIngress(ing({ ingressClassName: 'missing' }), [ours], 'skiff'), false);
    assert.equal(isOurIngress(ing({}, { 'kubernetes.io/ingress.class': 'skiff' }), [notDefault], 'skiff'), true);
    assert.equal(isOurIngress(ing({}, { 'kubernetes.io/ingress.class': 'nginx' }), [ours], 'skiff'), false);
  });

  it('serves Ingresses without a class only while its class is the default', () => {
    assert.equal(isOurIngress(ing({}), [ours, nginx], 'skiff'), true);
    assert.equal(isOurIngress(ing({}), [notDefault, nginx], 'skiff'), false);
    assert.equal(isOurIngress(ing({}), [], 'skiff'), false);
    const nginxDefault = { ...nginx, metadata: { name: 'nginx', annotations: { [ANN_DEFAULT_INGRESS_CLASS]: 'true' } } };
    assert.equal(isOurIngress(ing({}), [ours, nginxDefault], 'skiff'), false);
  });
});
