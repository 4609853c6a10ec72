// The CSR cleaner with a FakeClock: denied CSRs go after an hour, issued ones after an hour,
// approved-but-unissued ones stay, pending ones go after a day.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv } from '../nodelifecycle/testenv.ts';
import { CSRCleanerController, shouldDelete } from './index.ts';

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('CSR cleaner', () => {
  it('decides by age and state', () => {
    const now = Date.UTC(2026, 0, 2);
    const csr = (conditions: object[], certificate?: string, createdAgo = 0) => ({ metadata: { name: 'x', creationTimestamp: ts(now - createdAgo) }, status: { conditions, ...(certificate ? { certificate } : {}) } });
    assert.equal(shouldDelete(csr([{ type: 'Denied', status: 'True', lastUpdateTime: ts(now - 61 * 60_000) }]), now), true);
    assert.equal(shouldDelete(csr([{ type: 'Denied', status: 'True', lastUpdateTime: ts(now - 59 * 60_000) }]), now), false);
    assert.equal(shouldDelete(csr([{ type: 'Approved', status: 'True', lastUpdateTime: ts(now - 2 * 3600_000) }], 'Y2VydA=='), now), true);
    assert.equal(shouldDelete(csr([{ type: 'Approved', status: 'True', lastUpdateTime: ts(now - 2 * 3600_000) }]), now), false);
    assert.equal(shouldDelete(csr([], undefined, 25 * 3600_000), now), true);
    assert.equal(shouldDelete(csr([], undefined, 23 * 3600_000), now), false);
  });

  it('deletes expired CSRs through the API', async () => {
    const env = await startEnv();
    const c = new CSRCleanerController(env.ctx);
    try {
      const csrs = env.client.resource('certificates.k8s.io', 'certificatesigningrequests');
      const req = Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIBVTCB/QIBADAbMRkwFwYDVQQDExBzeXN0ZW06bm9kZTpub2RlMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB\n-----END CERTIFICATE REQUEST-----\n').toString('base64');
      const make = (name: string) => csrs.create({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request: req, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } });
      await make('pending').catch((e) => assert.fail(e));
      const denied = await make('denied');
      await csrs.updateSubresource('denied', 'approval', { ...denied, status: { conditions: [{ type: 'Denied', status: 'True', reason: 'No', message: 'no', lastUpdateTime: ts(env.clock.now()) }] } });
      // Passes are driven by hand here (start() would also run them every hour).
      env.ctx.informers.start();
      await env.ctx.informers.synced();
      assert.deepEqual(await c.clean(), []);
      env.clock.advance(2 * 3600_000);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await c.clean(), ['denied']);
      env.clock.advance(24 * 3600_000);
      assert.deepEqual(await c.clean(), ['pending']);
    } finally {
      c.stop();
      await env.close();
    }
  });
});
