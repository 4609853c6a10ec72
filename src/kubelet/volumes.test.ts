// Volume materialization: the atomic writer's ..data layout and updates, configMap/secret items
// and modes, optional sources, projected volumes (token placeholder, ca.crt, namespace), hostPath
// type checks, PVCs bound to local PVs, and the pod's /etc/hosts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Obj } from '../client/types.ts';
import { PLACEHOLDER_TOKEN, VolumeError, containerMounts, etcHosts, setUpVolumes, writeAtomic, type VolumeContext } from './volumes.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-vol-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function ctx(objs: Record<string, Obj> = {}, token?: string): VolumeContext {
  return {
    podDir: join(dir, 'pod'),
    configMap: (ns, n) => objs[`cm/${ns}/${n}`],
    secret: (ns, n) => objs[`secret/${ns}/${n}`],
    pvc: (ns, n) => objs[`pvc/${ns}/${n}`],
    pv: (n) => objs[`pv/${n}`],
    token: async () => token,
    podIP: '127.244.0.5',
    hostIP: '127.10.0.1',
    nodeName: 'n1',
    allocatable: { cpu: '2', memory: '4Gi' },
  };
}
const pod = (volumes: Obj[]): Obj => ({ metadata: { name: 'p', namespace: 'ns1', uid: 'u' }, spec: { volumes, containers: [{ name: 'c' }] } });

describe('writeAtomic', () => {
  it('writes through ..data and swaps it on change only', () => {
    const d = join(dir, 'atomic');
    const f = (s: string) => ({ data: Buffer.from(s), mode: 0o644 });
    assert.equal(writeAtomic(d, new Map([['a', f('1')], ['sub/b', f('2')]])), true);
    assert.equal(lstatSync(join(d, 'a')).isSymbolicLink(), true);
    assert.equal(readlinkSync(join(d, 'a')), '..data/a');
    assert.equal(readFileSync(join(d, 'sub/b'), 'utf8'), '2');
    const first = readlinkSync(join(d, '..data'));
    assert.equal(writeAtomic(d, new Map([['a', f('1')], ['sub/b', f('2')]])), false);
    assert.equal(writeAtomic(d, new Map([['a', f('changed')]])), true);
    assert.notEqual(readlinkSync(join(d, '..data')), first);
    assert.equal(readFileSync(join(d, 'a'), 'utf8'), 'changed');
    assert.equal(existsSync(join(d, 'sub')), false);
    assert.equal(existsSync(join(d, first)), false);
    assert.deepEqual(readdirSync(d).filter((e) => e.startsWith('..2')).length, 1);
  });
});

describe('setUpVolumes', () => {
  it('writes configMap items with modes and secrets decoded', async () => {
    const objs = {
      'cm/ns1/c': { data: { k1: 'v1', k2: 'v2' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } },
      'secret/ns1/s': { data: { pw: Buffer.from('x').toString('base64') } },
    };
    const v = await setUpVolumes(
      pod([
        { name: 'all', configMap: { name: 'c' } },
        { name: 'some', configMap: { name: 'c', items: [{ key: 'k2', path: 'deep/k', mode: 0o600 }], defaultMode: 0o444 } },
        { name: 's', secret: { secretName: 's', defaultMode: 0o400 } },
        { name: 'opt', configMap: { name: 'missing', optional: true } },
      ]),
      ctx(objs),
    );
    const all = v.paths.get('all')!;
    assert.deepEqual(readdirSync(all).filter((e) => !e.startsWith('..')).sort(), ['bin', 'k1', 'k2']);
    assert.deepEqual([...readFileSync(join(all, 'bin'))], [1, 2]);
    assert.equal(statSync(join(all, 'k1')).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(v.paths.get('some')!, 'deep/k'), 'utf8'), 'v2');
    assert.equal(statSync(join(v.paths.get('some')!, 'deep/k')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(v.paths.get('s')!, 'pw'), 'utf8'), 'x');
    assert.equal(statSync(join(v.paths.get('s')!, 'pw')).mode & 0o777, 0o400);
    assert.deepEqual(readdirSync(v.paths.get('opt')!).filter((e) => !e.startsWith('..')), []);
    assert.ok(v.readOnly.has('all'));
  });

  it('fails like the kubelet for missing sources and keys', async () => {
    await assert.rejects(setUpVolumes(pod([{ name: 'v', configMap: { name: 'nope' } }]), ctx()), (e: unknown) => e instanceof VolumeError && e.message === 'MountVolume.SetUp failed for volume "v" : configmap "nope" not found');
    await assert.rejects(setUpVolumes(pod([{ name: 'v', secret: { secretName: 'nope' } }]), ctx()), /secret "nope" not found/);
    await assert.rejects(setUpVolumes(pod([{ name: 'v', configMap: { name: 'c', items: [{ key: 'zz', path: 'z' }] } }]), ctx({ 'cm/ns1/c': { data: {} } })), /configmap references non-existent config key: zz/);
    await assert.rejects(setUpVolumes(pod([{ name: 'v', configMap: { name: 'c', items: [{ key: 'a', path: '../escape' }] } }]), ctx({ 'cm/ns1/c': { data: { a: '1' } } })), /invalid path/);
  });

  it('projects a token (placeholder when not served), ca.crt and the namespace', async () => {
    const proj = {
      name: 'kube-api-access',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    const a = await setUpVolumes(pod([proj]), ctx({ 'cm/ns1/kube-root-ca.crt': { data: { 'ca.crt': 'PEM' } } }, 'jwt'));
    const p = a.paths.get('kube-api-access')!;
    assert.equal(readFileSync(join(p, 'token'), 'utf8'), 'jwt');
    assert.equal(readFileSync(join(p, 'ca.crt'), 'utf8'), 'PEM');
    assert.equal(readFileSync(join(p, 'namespace'), 'utf8'), 'ns1');
    assert.equal(a.placeholderToken, false);
    const b = await setUpVolumes(pod([proj]), ctx());
    assert.equal(b.placeholderToken, true);
    assert.equal(readFileSync(join(p, 'token'), 'utf8'), PLACEHOLDER_TOKEN);
    assert.equal(existsSync(join(p, 'ca.crt')), false);
  });

  it('checks hostPath types and resolves PVCs to their local PV', async () => {
    const hp = join(dir, 'host');
    const v = await setUpVolumes(pod([{ name: 'h', hostPath: { path: hp, type: 'DirectoryOrCreate' } }]), ctx());
    assert.equal(statSync(v.paths.get('h')!).isDirectory(), true);
    await assert.rejects(setUpVolumes(pod([{ name: 'h', hostPath: { path: join(dir, 'nope'), type: 'Directory' } }]), ctx()), /hostPath type check failed: .*nope is not a directory/);
    await assert.rejects(setUpVolumes(pod([{ name: 'h', hostPath: { path: hp, type: 'File' } }]), ctx()), /is not a file/);
    const objs = {
      'pvc/ns1/data': { spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } },
      'pv/pv1': { spec: { hostPath: { path: join(dir, 'pv1') } } },
      'pvc/ns1/unbound': { spec: {}, status: { phase: 'Pending' } },
    };
    const w = await setUpVolumes(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }]), ctx(objs));
    assert.equal(w.paths.get('d'), join(dir, 'pv1'));
    await assert.rejects(setUpVolumes(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'unbound' } }]), ctx(objs)), /PersistentVolumeClaim is not bound: "unbound"/);
    const mounts = containerMounts({ volumeMounts: [{ name: 'd', mountPath: '/data', subPath: 'x/y' }] }, w, {});
    assert.deepEqual(mounts, [{ containerPath: '/data', hostPath: join(dir, 'pv1', 'x/y') }]);
  });
});

describe('etcHosts', () => {
  it('writes the kubelet-managed hosts file', () => {
    const text = etcHosts({ metadata: { name: 'web-0', namespace: 'ns' }, spec: { hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '127.0.0.9', hostnames: ['foo', 'bar'] }] } }, '127.244.0.5', 'cluster.local');
    assert.match(text, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
    assert.match(text, /127\.244\.0\.5\tweb-0\.web\.ns\.svc\.cluster\.local\tweb-0\n/);
    assert.match(text, /# Entries added by HostAliases\.\n127\.0\.0\.9\tfoo\tbar\n$/);
  });
});
