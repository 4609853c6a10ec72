// The DNS wire format: what we encode, a resolver decodes the same; compression; truncation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_IN, TYPE, decode, emptyMessage, encode, optRecord, type Message } from './wire.ts';

function answer(): Message {
  const m = emptyMessage(0x1234);
  m.qr = true;
  m.aa = true;
  m.rd = true;
  m.ra = true;
  m.questions.push({ name: 'Web.Default.svc.cluster.local', type: TYPE.SRV, class: CLASS_IN });
  m.answers.push({ name: 'Web.Default.svc.cluster.local', type: TYPE.SRV, class: CLASS_IN, ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } });
  m.additionals.push({ name: 'web.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: '127.96.0.20' });
  m.authorities.push({ name: 'cluster.local', type: TYPE.SOA, class: CLASS_IN, ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 7, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } });
  m.answers.push({ name: 'x.example', type: TYPE.TXT, class: CLASS_IN, ttl: 1, data: ['1.1.0', 'b'] });
  m.answers.push({ name: 'x.example', type: TYPE.AAAA, class: CLASS_IN, ttl: 1, data: 'fd00::1:2' });
  m.answers.push({ name: 'x.example', type: TYPE.CNAME, class: CLASS_IN, ttl: 1, data: 'y.example' });
  m.additionals.push(optRecord(1232));
  return m;
}

describe('dns wire format', () => {
  it('round-trips every record type it knows, keeping the question\'s case', () => {
    const m = answer();
    const back = decode(encode(m));
    assert.deepEqual(back.questions, m.questions);
    assert.deepEqual(back.answers, m.answers);
    assert.deepEqual(back.authorities, m.authorities);
    assert.equal(back.additionals[0]!.data, '127.96.0.20');
    assert.equal(back.additionals[1]!.type, TYPE.OPT);
    assert.equal(back.additionals[1]!.class, 1232);
    assert.deepEqual([back.id, back.qr, back.aa, back.rd, back.ra, back.tc], [0x1234, true, true, true, true, false]);
  });

  it('compresses repeated names', () => {
    const m = emptyMessage(1);
    m.questions.push({ name: 'a.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN });
    for (let i = 0; i < 10; i++) m.answers.push({ name: 'a.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: `127.244.0.${i}` });
    const buf = encode(m);
    // 12 header + 33 question + 10 × (2 pointer + 10 + 4) = 205
    assert.equal(buf.length, 205);
    assert.equal(decode(buf).answers.length, 10);
  });

  it('truncates past the client\'s size and sets TC, keeping the OPT record', () => {
    const m = emptyMessage(2);
    m.questions.push({ name: 'big.example', type: TYPE.A, class: CLASS_IN });
    for (let i = 0; i < 60; i++) m.answers.push({ name: `host-${i}.big.example`, type: TYPE.A, class: CLASS_IN, ttl: 5, data: `10.0.0.${i}` });
    m.additionals.push(optRecord());
    const small = decode(encode(m, 512));
    assert.equal(small.tc, true);
    assert.equal(small.answers.length, 0);
    assert.equal(small.additionals[0]!.type, TYPE.OPT);
    assert.equal(decode(encode(m, 65535)).answers.length, 60);
  });

  it('refuses malformed packets', () => {
    assert.throws(() => decode(Buffer.alloc(5)));
    const bad = Buffer.from(encode(answer()));
    bad.writeUInt16BE(9, 6); // more answers than there are
    assert.throws(() => decode(bad));
    const loop = Buffer.alloc(18);
    loop.writeUInt16BE(1, 4);
    loop[12] = 0xc0;
    loop[13] = 12; // a pointer to itself
    assert.throws(() => decode(loop), /compression loop/);
  });
});
