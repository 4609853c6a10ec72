// The service load-balancer controller against the in-process API server: a LoadBalancer Service
// gets an address from the pool in status.loadBalancer.ingress (ipMode VIP) and the cleanup
// finalizer, with upstream's events; spec.loadBalancerIP is honoured when free and refused when
// taken; the address is released on a type change and on deletion; a restarted controller keeps
// the addresses it handed out.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { ControllerManager } from '../manager.ts';
import { serviceLBController, serviceLBControllerWith, LB_FINALIZER, AddressPool } from './index.ts';
import { startEnv, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([serviceLBControllerWith({ pool: '127.20.0.0/29' })]);
});
after(() => env.close());

const NS = 'default';
const svcs = () => env.client.resource('', 'services', NS);

async function lbService(name: string, extra: Obj = {}): Promise<Obj> {
  return svcs().create({ metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...extra } });
}

async function ingressOf(name: string): Promise<Obj[] | undefined> {
  try {
    return (await svcs().get(name)).status?.loadBalancer?.ingress;
  } catch {
    return undefined;
  }
}

async function reasons(name: string): Promise<string[]> {
  const evs = (await env.client.events(NS).list()).items.filter((e) => e.involvedObject?.name === name && e.involvedObject?.kind === 'Service');
  // Events made within the same second cannot be ordered by their timestamps: sorted by reason.
  return evs.map((e) => e.reason).sort();
}

describe('AddressPool', () => {
  it('skips the network and broadcast addresses and hands out each address once', () => {
    const p = new AddressPool('127.20.0.0/30');
    assert.equal(p.next('a'), '127.20.0.1');
    assert.equal(p.next('b'), '127.20.0.2');
    assert.equal(p.next('c'), undefined);
    p.release('127.20.0.1', 'a');
    assert.equal(p.next('c'), '127.20.0.1');
    assert.equal(p.take('127.20.0.2', 'd'), false);
    assert.throws(() => new AddressPool('127.20.0.0'), /invalid load balancer pool/);
  });
});

describe('service-lb controller', () => {
  it('assigns an address from the pool with ipMode VIP, the cleanup finalizer and upstream events', async () => {
    await lbService('web');
    await env.until(async () => !!(await ingressOf('web'))?.length, 'an ingress address');
    const svc = await svcs().get('web');
    assert.deepEqual(svc.status.loadBalancer.ingress, [{ ip: '127.20.0.1', ipMode: 'VIP' }]);
    assert.deepEqual(svc.metadata.finalizers, [LB_FINALIZER]);
    await env.until(async () => (await reasons('web')).includes('EnsuredLoadBalancer'), 'the events');
    assert.deepEqual(await reasons('web'), ['EnsuredLoadBalancer', 'EnsuringLoadBalancer']);
    const ev = (await env.client.events(NS).list()).items.find((e) => e.reason === 'EnsuringLoadBalancer')!;
    assert.equal(ev.message, 'Ensuring load balancer');
    assert.equal(ev.source.component, 'service-controller');
  });

  it('leaves ClusterIP Services and other load-balancer classes alone', async () => {
    await svcs().create({ metadata: { name: 'plain' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
    await lbService('other-class', { loadBalancerClass: 'example.com/lb' });
    await lbService('marker');
    await env.until(async () => !!(await ingressOf('marker'))?.length, 'the marker to be served');
    assert.equal(await ingressOf('plain'), undefined);
    assert.equal(await ingressOf('other-class'), undefined);
    assert.equal((await svcs().get('other-class')).metadata.finalizers, undefined);
  });

  it('honours a free spec.loadBalancerIP and refuses a taken one', async () => {
    await lbService('fixed', { loadBalancerIP: '127.20.0.6' });
    await env.until(async () => (await ingressOf('fixed'))?.[0]?.ip === '127.20.0.6', 'the requested address');
    await lbService('clash', { loadBalancerIP: '127.20.0.6' });
    await env.until(async () => (await reasons('clash')).includes('SyncLoadBalancerFailed'), 'a failure event');
    const ev = (await env.client.events(NS).list()).items.find((e) => e.involvedObject.name === 'clash' && e.reason === 'SyncLoadBalancerFailed')!;
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^Error syncing load balancer: failed to ensure load balancer: requested loadBalancerIP 127\.20\.0\.6 is already used by service default\/fixed/);
    assert.equal(await ingressOf('clash'), undefined);
  });

  it('releases the address when the type changes, and on deletion after removing the finalizer', async () => {
    await svcs().patch('web', 'merge', { spec: { type: 'ClusterIP', allocateLoadBalancerNodePorts: null, externalTrafficPolicy: null, ports: [{ port: 80, targetPort: 8080 }] } });
    await env.until(async () => (await ingressOf('web')) === undefined && !(await svcs().get('web')).metadata.finalizers, 'the address to be released');
    assert.deepEqual((await svcs().get('web')).status, { loadBalancer: {} });
    assert.ok((await reasons('web')).includes('DeletedLoadBalancer'), 'a DeletedLoadBalancer event');

    await svcs().delete('fixed');
    await env.until(async () => (await ingressOf('fixed')) === undefined, 'the Service to be gone');
    // The freed address goes to the Service that wanted it.
    await svcs().patch('clash', 'merge', { metadata: { annotations: { poke: '1' } } });
    await env.until(async () => (await ingressOf('clash'))?.[0]?.ip === '127.20.0.6', 'the released address to be reused');
  });

  it('keeps the addresses it handed out across a restart', async () => {
    const before = new Map<string, string>();
    for (const n of ['marker', 'clash']) before.set(n, (await ingressOf(n))![0].ip);
    env.manager.stop();
    const again = new ControllerManager(env.client, [serviceLBController], { clock: env.clock, config: { leaderElect: false } });
    await again.start();
    try {
      await lbService('late');
      await env.until(async () => !!(await ingressOf('late'))?.length, 'an address for the new Service');
      for (const [n, ip] of before) assert.equal((await ingressOf(n))![0].ip, ip, n);
      const late = (await ingressOf('late'))![0].ip;
      assert.ok(![...before.values()].includes(late), `${late} is not handed out twice`);
    } finally {
      again.stop();
    }
  });
});
