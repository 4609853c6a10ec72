// A pod's resolv.conf as the kubelet forms it for each dnsPolicy, merged with dnsConfig and cut
// to the kubelet's limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvConf, podDNS, resolvConf } from './resolvconf.ts';

const host = parseResolvConf('# host\nnameserver 10.255.255.53\nnameserver 10.255.255.54\nsearch corp.example. lab.example\noptions timeout:2 attempts:3\n');

describe('pod resolv.conf', () => {
  it('parses the host file as the kubelet does', () => {
    assert.deepEqual(host, { nameservers: ['10.255.255.53', '10.255.255.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] });
  });

  it('ClusterFirst: the cluster DNS, the namespace search path then the host\'s, ndots:5', () => {
    assert.equal(
      resolvConf('shop', { host }),
      'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 127.96.0.10\noptions ndots:5\n',
    );
    assert.equal(resolvConf('default', { dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true, host }).split('\n')[1], 'nameserver 127.96.0.10');
  });

  it('ClusterFirst on the host network and Default use the node\'s resolv.conf', () => {
    const want = 'search corp.example lab.example\nnameserver 10.255.255.53\nnameserver 10.255.255.54\noptions timeout:2 attempts:3\n';
    assert.equal(resolvConf('x', { dnsPolicy: 'Default', host }), want);
    assert.equal(resolvConf('x', { hostNetwork: true, host }), want);
  });

  it('None takes everything from dnsConfig; dnsConfig merges into the others', () => {
    const dnsConfig = { nameservers: ['1.2.3.4'], searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    assert.equal(resolvConf('x', { dnsPolicy: 'None', dnsConfig, host }), 'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\noptions ndots:2 edns0\n');
    const merged = podDNS('web', { dnsConfig: { searches: ['svc.cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }] }, host });
    assert.deepEqual(merged.searches, ['web.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'extra.example']);
    assert.deepEqual(merged.options, ['ndots:1']);
  });

  it('cuts nameservers to 3 and search paths to 32, warning as the kubelet does', () => {
    const warnings: string[] = [];
    const dns = podDNS('x', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'], searches: Array.from({ length: 40 }, (_, i) => `s${i}.example`) }, host, warn: (m) => warnings.push(m) });
    assert.deepEqual(dns.nameservers, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
    assert.equal(dns.searches.length, 32);
    assert.match(warnings[0]!, /^Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 1.1.1.2 1.1.1.3$/);
    assert.match(warnings[1]!, /^Search Line limits were exceeded/);
  });

  it('honours another cluster domain and DNS address', () => {
    assert.equal(resolvConf('a', { clusterDomain: 'corp.local', clusterDNS: ['10.0.0.10'], host: { nameservers: [], searches: [], options: [] } }), 'search a.svc.corp.local svc.corp.local corp.local\nnameserver 10.0.0.10\noptions ndots:5\n');
  });
});
