// LimitRanger through the API server: default requests and limits with the limit-ranger
// annotation, and upstream's min/max/ratio messages for containers, pods and claims.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { StatusError } from '../../machinery/errors.ts';
import { limitRanger } from './limitranger.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(limitRanger({ limitRanges: () => api.store('', 'limitranges')! }));
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  for (const ns of ['lr', 'podlr', 'pvclr']) await c.resource('', 'namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await range('lr', [
    { type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '250m', memory: '64Mi' }, max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } },
  ]);
  await range('podlr', [{ type: 'Pod', max: { cpu: '1' } }]);
  await range('pvclr', [{ type: 'PersistentVolumeClaim', max: { storage: '1Gi' }, min: { storage: '100Mi' } }]);
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

const range = (ns: string, limits: unknown[]) => c.resource('', 'limitranges', ns).create({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits } });
const pod = (name: string, containers: Record<string, unknown>[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: containers.map((x, i) => ({ name: `c${i}`, image: 'busybox', ...x })) } });

async function refused(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected the request to be refused');
}

describe('LimitRanger', () => {
  it('fills in default requests and limits and says so in the annotation', async () => {
    const p = await c.pods('lr').create(pod('d', [{ resources: { requests: { cpu: '300m' } } }]));
    assert.deepEqual(p.spec.containers[0].resources, { requests: { cpu: '300m', memory: '64Mi' }, limits: { cpu: '500m' } });
    assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: memory request for container c0; cpu limit for container c0');
    const q = await c.pods('lr').create(pod('e', [{}]));
    assert.equal(q.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container c0; cpu limit for container c0');
  });

  it('refuses containers above max, below min or beyond the ratio', async () => {
    const big = await refused(c.pods('lr').create(pod('big', [{ resources: { limits: { cpu: '2' }, requests: { cpu: '1' } } }])));
    assert.equal(big.code, 403);
    assert.equal(big.message, 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    const small = await refused(c.pods('lr').create(pod('small', [{ resources: { requests: { memory: '32Mi' } } }])));
    assert.equal(small.message, 'pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi');
    const ratio = await refused(c.pods('lr').create(pod('ratio', [{ resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } } }])));
    assert.equal(ratio.message, 'pods "ratio" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000');
    const both = await refused(c.pods('lr').create(pod('both', [{ resources: { requests: { cpu: '100m', memory: '1Mi' }, limits: { cpu: '500m' } } }])));
    assert.equal(both.message, 'pods "both" is forbidden: [minimum memory usage per Container is 64Mi, but request is 1Mi, cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000]');
  });

  it('checks the sum of the containers against a Pod range', async () => {
    await c.pods('podlr').create(pod('fits', [{ resources: { limits: { cpu: '500m' } } }, { resources: { limits: { cpu: '500m' } } }]));
    const e = await refused(c.pods('podlr').create(pod('over', [{ resources: { limits: { cpu: '750m' } } }, { resources: { limits: { cpu: '750m' } } }])));
    assert.equal(e.message, 'pods "over" is forbidden: maximum cpu usage per Pod is 1, but limit is 1500m');
    const none = await refused(c.pods('podlr').create(pod('none', [{}])));
    assert.equal(none.message, 'pods "none" is forbidden: maximum cpu usage per Pod is 1.  No limit is specified');
  });

  it('checks claims against a PersistentVolumeClaim range', async () => {
    const claim = (name: string, storage: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    const pvcs = c.resource('', 'persistentvolumeclaims', 'pvclr');
    await pvcs.create(claim('ok', '500Mi'));
    const big = await refused(pvcs.create(claim('big', '5Gi')));
    assert.equal(big.message, 'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 5Gi');
    const small = await refused(pvcs.create(claim('small', '10Mi')));
    assert.equal(small.message, 'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 100Mi, but request is 10Mi');
  });

  it('leaves namespaces without ranges alone', async () => {
    const p = await c.pods('default').create(pod('free', [{}]));
    assert.equal(p.metadata.annotations?.['kubernetes.io/limit-ranger'], undefined);
  });
});
