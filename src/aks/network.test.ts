// AKS network profiles on Skiff: no ranges → free loopback ranges; explicit ranges outside
// 127.0.0.0/8 → the cluster's own network namespace (VNet), which needs root, else a clear refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArmError } from './arm/errors.ts';
import { isVNetProfile, loopbackRanges, nodeCidrOf, resolveNetworkProfile, vnetRanges } from './network.ts';

const aksDefaults = { networkPlugin: 'kubenet', podCidr: '10.244.0.0/16', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' };

test('no ranges: the slot\'s loopback ranges, not a VNet', () => {
  const p = resolveNetworkProfile(undefined, 3, { isRoot: () => false });
  assert.equal(p.serviceCidr, loopbackRanges(3).serviceCidr);
  assert.equal(p.nodeCidr, loopbackRanges(3).nodeCidr);
  assert.equal(isVNetProfile(p), false);
});

test('explicit 10.x ranges as root: a VNet with AKS\'s node subnet 10.224.0.0/16', () => {
  const p = resolveNetworkProfile(aksDefaults, 0, { isRoot: () => true });
  assert.equal(p.podCidr, '10.244.0.0/16');
  assert.equal(p.serviceCidr, '10.0.0.0/16');
  assert.equal(p.dnsServiceIP, '10.0.0.10');
  assert.equal(p.nodeCidr, '10.224.0.0/16');
  assert.equal(isVNetProfile(p), true);
  assert.deepEqual(vnetRanges(p), { nodeCidr: '10.224.0.0/16', apiAddress: '10.224.255.254' });
  assert.equal(nodeCidrOf(p, 0), '10.224.0.0/16');
  // A pod range over AKS's node subnet moves the node range out of its way.
  assert.equal(vnetRanges({ podCidr: '10.224.0.0/12', serviceCidr: '10.0.0.0/16' }).nodeCidr, '172.16.0.0/16');
});

test('explicit 10.x ranges without root are refused with a clear NotSupported error', () => {
  assert.throws(
    () => resolveNetworkProfile(aksDefaults, 0, { isRoot: () => false }),
    (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'NotSupported');
      assert.match(e.message, /^The ranges 10\.244\.0\.0\/16, 10\.0\.0\.0\/16 lie outside loopback \(127\.0\.0\.0\/8\): Skiff serves such a cluster inside its own network namespace \(its VNet\), which it creates on this machine, and that needs root;/);
      assert.match(e.message, /Run it as root \(sudo skiff up\), or leave podCidr\/serviceCidr\/dnsServiceIP unset/);
      return true;
    },
  );
  // Validation still comes first: a DNS IP outside the service CIDR is InvalidParameter either way.
  assert.throws(() => resolveNetworkProfile({ ...aksDefaults, dnsServiceIP: '10.1.0.10' }, 0, { isRoot: () => false }), /must be within the service CIDR/);
});
