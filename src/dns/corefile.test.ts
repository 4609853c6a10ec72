// The Corefile subset: AKS's default Corefile, the coredns-custom `*.override` and `*.server` keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CorefileError, DEFAULT_COREFILE, loadConfig, parseCorefile } from './corefile.ts';

describe('Corefile', () => {
  it('reads AKS\'s default Corefile', () => {
    const c = loadConfig(DEFAULT_COREFILE);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.servers.length, 1);
    const s = c.servers[0]!;
    assert.deepEqual(s.zones, ['']);
    assert.deepEqual(s.kubernetes, { zones: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'], pods: 'insecure', fallthrough: ['in-addr.arpa', 'ip6.arpa'], ttl: 30, endpointPodNames: false, namespaces: [] });
    assert.deepEqual(s.forward, { from: '', to: ['resolv'], except: [], policy: 'random', forceTcp: false });
    assert.deepEqual(s.cache, { ttl: 30, zones: [''] });
  });

  it('imports coredns-custom: overrides into the main block, servers as blocks', () => {
    const c = loadConfig(DEFAULT_COREFILE, {
      'test.override': 'hosts {\n  10.0.0.1 example.internal\n  fallthrough\n}\n',
      'rewrite.override': 'rewrite name exact old.example new.example',
      'corp.server': 'corp.example:53 {\n  errors\n  cache 30\n  forward . 10.0.0.53 dns://10.0.0.54:5353 {\n    policy sequential\n  }\n}\n',
      'ignored.txt': 'not imported',
    });
    assert.deepEqual(c.warnings, []);
    const [main, corp] = c.servers;
    assert.deepEqual(main!.hosts!.byName.get('example.internal'), ['10.0.0.1']);
    assert.deepEqual(main!.hosts!.fallthrough, []);
    assert.deepEqual(main!.rewrites.map((r) => [r.match, r.from, r.to]), [['exact', 'old.example', 'new.example']]);
    assert.deepEqual(corp!.zones, ['corp.example']);
    assert.deepEqual(corp!.forward!.to, [{ host: '10.0.0.53', port: 53 }, { host: '10.0.0.54', port: 5353 }]);
    assert.equal(corp!.forward!.policy, 'sequential');
  });

  it('parses the rewrite block form AKS documents', () => {
    const c = loadConfig('example.com:53 {\n rewrite stop {\n  name regex (.*)\\.example\\.com {1}.default.svc.cluster.local\n  answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.example.com\n }\n forward . 127.0.0.1\n}\n');
    const r = c.servers[0]!.rewrites[0]!;
    assert.equal(r.match, 'regex');
    assert.equal(r.stop, true);
    assert.ok(r.answer && 'regex' in r.answer);
  });

  it('reports what it does not support and refuses what CoreDNS refuses', () => {
    const c = loadConfig('.:53 {\n  template IN A example { answer "x" }\n  forward . tls://1.1.1.1\n}\nother:8053 {\n  whoami\n}\n');
    assert.equal(c.warnings.length, 3);
    assert.match(c.warnings[0]!, /plugin template is not supported/);
    assert.throws(() => loadConfig('.:53 {\n kubernetes cluster.local {\n  ttl 9999\n }\n}\n'), CorefileError);
    assert.throws(() => loadConfig('.:53 {\n errors\n}\n.:53 {\n log\n}\n'), /served by two server blocks/);
    assert.throws(() => parseCorefile('.:53 {\n errors\n'), /missing closing brace/);
  });
});
