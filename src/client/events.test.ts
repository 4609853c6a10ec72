// The event recorder as client-go's: one write at a time, at most 1,000 events queued (the rest
// dropped and counted), and a repeat within ten minutes counted on the first event by a patch.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from './client.ts';
import { EventRecorder, MAX_QUEUED_EVENTS } from './events.ts';
import type { RawRequest, RawResponse, Transport, WatchStream } from './types.ts';
import { FakeClock } from '../machinery/clock.ts';

/** A transport that answers each request only when the test lets it. */
class HeldTransport implements Transport {
  requests: RawRequest[] = [];
  #waiting: (() => void)[] = [];
  request(req: RawRequest): Promise<RawResponse> {
    this.requests.push(req);
    return new Promise((resolve) => this.#waiting.push(() => resolve({ status: req.method === 'POST' ? 201 : 200, headers: {}, body: Buffer.from(typeof req.body === 'string' ? req.body : '{}') })));
  }
  watch(): Promise<WatchStream> {
    throw new Error('not used');
  }
  /** Answers the requests in flight and lets the recorder send the next. */
  async release(): Promise<void> {
    for (const w of this.#waiting.splice(0)) w();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } });

describe('EventRecorder', () => {
  it('writes one event at a time, in order', async () => {
    const t = new HeldTransport();
    const r = new EventRecorder(new KubeClient(t), { component: 'test', clock: new FakeClock() });
    for (const n of ['a', 'b', 'c']) r.event(pod(n), 'Normal', 'Scheduled', `placed ${n}`);
    await new Promise((res) => setImmediate(res));
    assert.equal(t.requests.length, 1);
    await t.release();
    await t.release();
    await t.release();
    assert.deepEqual(t.requests.map((q) => JSON.parse(String(q.body)).message), ['placed a', 'placed b', 'placed c']);
  });

  it('queues at most 1,000 events behind the one in flight and drops the rest', async () => {
    const t = new HeldTransport();
    const r = new EventRecorder(new KubeClient(t), { component: 'test', clock: new FakeClock() });
    const before = process.stderr.write;
    process.stderr.write = () => true;
    try {
      for (let i = 0; i < 1 + MAX_QUEUED_EVENTS + 5; i++) r.event(pod(`p${i}`), 'Normal', 'Scheduled', 'placed');
    } finally {
      process.stderr.write = before;
    }
    assert.equal(r.dropped, 5);
    for (let i = 0; i < 1 + MAX_QUEUED_EVENTS; i++) await t.release();
    assert.equal(t.requests.length, 1 + MAX_QUEUED_EVENTS);
    assert.equal(JSON.parse(String(t.requests.at(-1)!.body)).involvedObject.name, `p${MAX_QUEUED_EVENTS}`);
  });

  it('counts a repeat on the first event with a patch', async () => {
    const t = new HeldTransport();
    const r = new EventRecorder(new KubeClient(t), { component: 'test', clock: new FakeClock() });
    r.event(pod('x'), 'Warning', 'FailedScheduling', '0/1 nodes are available');
    r.event(pod('x'), 'Warning', 'FailedScheduling', '0/1 nodes are available');
    await t.release();
    await t.release();
    assert.equal(t.requests.length, 2);
    assert.equal(t.requests[1]!.method, 'PATCH');
    assert.equal(JSON.parse(String(t.requests[1]!.body)).count, 2);
  });
});
