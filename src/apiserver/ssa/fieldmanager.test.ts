// managedFields bookkeeping and server-side apply, as kube-apiserver's field manager does them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfig, recordUpdate, LAST_APPLIED, type Target } from './fieldmanager.ts';
import { managerFromUserAgent } from './managed.ts';
import { registerSchemaProvider } from './schema.ts';
import { StatusError } from '../../machinery/errors.ts';

const CM: Target = { group: '', version: 'v1', kind: 'ConfigMap', hasStatus: false };
const DEP: Target = { group: 'apps', version: 'v1', kind: 'Deployment', hasStatus: true };
const T0 = Date.parse('2025-01-01T00:00:00Z');

const cm = (data: Record<string, string>, extra: Record<string, unknown> = {}): any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', ...extra }, data });

function entries(o: any) {
  return (o.metadata.managedFields ?? []).map((e: any) => ({ m: e.manager, op: e.operation, f: e.fieldsV1, ...(e.subresource ? { sub: e.subresource } : {}) }));
}

describe('Update operations', () => {
  it('record what a create sets, and hand fields over to the next updater', () => {
    const created = cm({ a: '1', b: '2' });
    recordUpdate(CM, created, undefined, 'kubectl-create', '', T0);
    assert.deepEqual(created.metadata, {
      name: 'c',
      namespace: 'ns',
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } } }],
    });
    const next = structuredClone(created) as any;
    next.data.a = '9';
    delete next.data.b;
    recordUpdate(CM, next, created, 'kubectl-edit', '', T0 + 5000);
    assert.deepEqual(entries(next), [
      // The map itself stays with its creator; `.` is only written for a member with children.
      { m: 'kubectl-create', op: 'Update', f: { 'f:data': {} } },
      { m: 'kubectl-edit', op: 'Update', f: { 'f:data': { 'f:a': {} } } },
    ]);
  });

  it('an update that changes nothing leaves managedFields alone; [] resets them', () => {
    const o = cm({ a: '1' });
    recordUpdate(CM, o, undefined, 'x', '', T0);
    const same = structuredClone(o);
    recordUpdate(CM, same, o, 'y', '', T0 + 1000);
    assert.deepEqual(same.metadata.managedFields, o.metadata.managedFields);
    const reset = structuredClone(o) as any;
    reset.metadata.managedFields = [];
    recordUpdate(CM, reset, o, 'y', '', T0 + 1000);
    assert.equal(reset.metadata.managedFields, undefined);
  });

  it('status writes are recorded with their subresource; the main resource never owns status', () => {
    const d: any = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 3 } };
    recordUpdate(DEP, d, undefined, 'kubectl-create', '', T0);
    assert.deepEqual(entries(d), [{ m: 'kubectl-create', op: 'Update', f: { 'f:spec': { 'f:replicas': {} } } }]);
    const s = structuredClone(d);
    s.status = { replicas: 1, readyReplicas: 1 };
    recordUpdate(DEP, s, d, 'kube-controller-manager', 'status', T0);
    assert.deepEqual(entries(s).find((e: any) => e.sub === 'status'), { m: 'kube-controller-manager', op: 'Update', f: { 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {} } }, sub: 'status' });
  });

  it('keeps at most 10 Update entries, merging the oldest into ancient-changes', () => {
    let o: any = cm({});
    recordUpdate(CM, o, undefined, 'm0', '', T0);
    for (let i = 1; i <= 11; i++) {
      const n = structuredClone(o);
      n.data[`k${i}`] = 'v';
      recordUpdate(CM, n, o, `m${i}`, '', T0 + i * 1000);
      o = n;
    }
    const names = o.metadata.managedFields.map((e: any) => e.manager);
    assert.equal(names.length, 10);
    assert.equal(names[0], 'ancient-changes');
    // m0 (created data), m1 and m2 merged.
    assert.deepEqual(o.metadata.managedFields[0].fieldsV1, { 'f:data': { '.': {}, 'f:k1': {}, 'f:k2': {} } });
  });

  it('takes the manager from the User-Agent up to the first slash', () => {
    assert.equal(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/abc'), 'kubectl');
    assert.equal(managerFromUserAgent('Go-http-client/1.1'), 'Go-http-client');
    assert.equal(managerFromUserAgent(undefined), '');
    assert.equal(managerFromUserAgent('x'.repeat(200)).length, 128);
  });
});

describe('Apply operations', () => {
  it('creates, then prunes fields the applier no longer sets', () => {
    const { obj } = applyConfig(CM, undefined, cm({ a: '1', b: '2' }), 'mgr', false, '', T0);
    assert.deepEqual(entries(obj), [{ m: 'mgr', op: 'Apply', f: { 'f:data': { 'f:a': {}, 'f:b': {} } } }]);
    const { obj: after } = applyConfig(CM, obj, cm({ a: '1' }), 'mgr', false, '', T0 + 1000);
    assert.deepEqual(after.data, { a: '1' });
  });

  it('keeps a dropped field another manager also owns', () => {
    const { obj } = applyConfig(CM, undefined, cm({ a: '1', b: '2' }), 'one', false, '', T0);
    const { obj: two } = applyConfig(CM, obj, cm({ b: '2' }), 'two', false, '', T0);
    const { obj: out } = applyConfig(CM, two, cm({ a: '1' }), 'one', false, '', T0);
    assert.deepEqual(out.data, { a: '1', b: '2' });
    // "two" changed nothing, so its entry has no time and sorts first (as upstream).
    assert.deepEqual(entries(out).map((e: any) => e.m), ['two', 'one']);
  });

  it('conflicts name every manager and path; force takes them over', () => {
    const { obj } = applyConfig(CM, undefined, cm({ a: '1', b: '1' }), 'one', false, '', T0);
    const upd = structuredClone(obj) as any;
    upd.data.c = '1';
    recordUpdate(CM, upd, obj, 'editor', '', T0);
    const err = (() => {
      try {
        applyConfig(CM, upd, cm({ a: '2', b: '2', c: '2' }), 'two', false, '', T0);
      } catch (e) {
        return e as StatusError;
      }
      throw new Error('no conflict');
    })();
    assert.equal(err.code, 409);
    assert.equal(err.status.message, 'Apply failed with 3 conflicts: conflicts with "editor" using v1:\n- .data.c\nconflicts with "one":\n- .data.a\n- .data.b');
    assert.deepEqual(err.status.details?.causes?.[0], { reason: 'FieldManagerConflict', message: 'conflict with "editor" using v1', field: '.data.c' });
    const { obj: forced } = applyConfig(CM, upd, cm({ a: '2', b: '2', c: '2' }), 'two', true, '', T0);
    assert.deepEqual(entries(forced), [{ m: 'two', op: 'Apply', f: { 'f:data': { 'f:a': {}, 'f:b': {}, 'f:c': {} } } }]);
  });

  it('applying the same value as another manager shares ownership without a conflict', () => {
    const { obj } = applyConfig(CM, undefined, cm({ a: '1' }), 'one', false, '', T0);
    const { obj: out } = applyConfig(CM, obj, cm({ a: '1' }), 'two', false, '', T0 + 1000);
    assert.deepEqual(out.metadata.managedFields.map((e: any) => [e.manager, e.time]), [['two', undefined], ['one', '2025-01-01T00:00:00Z']]);
  });

  it('an object nobody tracked is owned by before-first-apply', () => {
    const live = { ...cm({ a: '1' }), metadata: { name: 'c', namespace: 'ns', uid: 'u' } };
    assert.throws(() => applyConfig(CM, live, cm({ a: '2' }), 'mgr', false, '', T0), /conflict with "before-first-apply" using v1: \.data\.a/);
  });

  it('kubectl takes over what its client-side apply set, and keeps last-applied in step', () => {
    const cfg = cm({ a: '1' });
    const live: any = structuredClone(cfg);
    live.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(cfg) };
    recordUpdate(CM, live, undefined, 'kubectl-client-side-apply', '', T0);
    // Another manager's field is still a conflict.
    const other = structuredClone(live);
    other.data.z = '1';
    recordUpdate(CM, other, live, 'someone', '', T0);
    assert.throws(() => applyConfig(CM, other, cm({ a: '2', z: '2' }), 'kubectl', false, '', T0), /conflict with "someone" using v1: \.data\.z/);
    const { obj } = applyConfig(CM, live, cm({ a: '2' }), 'kubectl', false, '', T0);
    assert.equal(obj.data.a, '2');
    assert.equal(obj.metadata.annotations[LAST_APPLIED], '{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"}}\n');
    // Any other manager conflicts.
    assert.throws(() => applyConfig(CM, live, cm({ a: '2' }), 'other', false, '', T0), /conflict with "kubectl-client-side-apply" using v1: \.data\.a/);
  });

  it('refuses a wrong apiVersion, managedFields in the configuration, and undeclared fields', () => {
    assert.throws(() => applyConfig(CM, undefined, { ...cm({}), apiVersion: 'v2' }, 'm', false, '', T0), /Incorrect version specified in apply patch. Specified patch version: v2, expected: v1/);
    assert.throws(() => applyConfig(CM, undefined, cm({}, { managedFields: [] }), 'm', false, '', T0), /metadata.managedFields must be nil/);
    assert.throws(() => applyConfig(CM, undefined, { ...cm({}), bogus: 1 }, 'm', false, '', T0), /^StatusError: failed to create typed patch object \(ns\/c; v1, Kind=ConfigMap\): \.bogus: field not declared in schema$|failed to create typed patch object \(ns\/c; v1, Kind=ConfigMap\): \.bogus: field not declared in schema/);
  });

  it('custom resources merge with the schema a provider registers', () => {
    const T: Target = { group: 'ex.com', version: 'v1', kind: 'Widget', hasStatus: false };
    const off = registerSchemaProvider((g, _v, k) =>
      g === 'ex.com' && k === 'Widget'
        ? { type: 'object', properties: { spec: { type: 'object', properties: { items: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'], items: { type: 'object', properties: { id: { type: 'string' }, v: { type: 'string' } } } } } } } }
        : undefined,
    );
    try {
      const w = (items: unknown[]) => ({ apiVersion: 'ex.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items } });
      const { obj } = applyConfig(T, undefined, w([{ id: 'a', v: '1' }]), 'one', false, '', T0);
      const { obj: two } = applyConfig(T, obj, w([{ id: 'b', v: '2' }]), 'two', false, '', T0);
      assert.deepEqual(two.spec.items, [{ id: 'a', v: '1' }, { id: 'b', v: '2' }]);
    } finally {
      off();
    }
  });
});
