// Image references and what the process runtime runs for them (command/args vs ENTRYPOINT/CMD).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerArgv, normalizedImage, parseImageReference, resolveImage } from './images.ts';

describe('process runtime images', () => {
  it('normalizes references as container runtimes report them', () => {
    assert.equal(normalizedImage(parseImageReference('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(normalizedImage(parseImageReference('bitnami/nginx:1.25')), 'docker.io/bitnami/nginx:1.25');
    assert.equal(normalizedImage(parseImageReference('localhost:5000/app')), 'localhost:5000/app:latest');
    const digest = 'sha256:' + 'a'.repeat(64);
    assert.equal(normalizedImage(parseImageReference(`registry.k8s.io/pause@${digest}`)), `registry.k8s.io/pause@${digest}`);
    for (const bad of ['', 'UPPER', 'a b', 'busybox:', 'busybox@sha256:xyz']) {
      assert.throws(() => parseImageReference(bad), (e: Error & { reason?: string }) => e.reason === 'InvalidImageName', bad);
    }
  });

  it('knows the built-in images under their current and legacy names, any tag', () => {
    for (const img of ['registry.k8s.io/pause:3.10', 'k8s.gcr.io/pause:3.2', 'registry.k8s.io/pause']) {
      assert.equal(resolveImage(img, []).builtin, 'pause', img);
    }
    for (const img of ['registry.k8s.io/e2e-test-images/agnhost:2.53', 'k8s.gcr.io/e2e-test-images/agnhost:2.39', 'gcr.io/kubernetes-e2e-test-images/agnhost:2.8']) {
      assert.equal(resolveImage(img, []).builtin, 'agnhost', img);
    }
    // The managed add-ons run as stand-ins (Skiff serves DNS, proxy and metrics in-process), even with their own command.
    const proxy = resolveImage('mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.32.6', ['kube-proxy']);
    assert.equal(proxy.builtin, 'addon');
    assert.match(containerArgv(proxy, ['kube-proxy', '--v=3'], []).join(' '), /pause\.(ts|js|mjs)/);
  });

  it('refuses an image with no command that is not built in', () => {
    assert.throws(
      () => resolveImage('nginx:1.25', []),
      (e: Error & { reason?: string }) =>
        e.reason === 'ErrImageNeverPull' &&
        e.message ===
          'image "nginx:1.25" cannot run on the process runtime: it has no command and is not built in (registry.k8s.io/pause, registry.k8s.io/e2e-test-images/agnhost); run it on a node with the cri runtime',
    );
    assert.deepEqual(resolveImage('nginx:1.25', ['nginx', '-g', 'daemon off;']), { imageRef: 'docker.io/library/nginx:1.25' });
  });

  it("applies Kubernetes' command/args rules against the built-in images' ENTRYPOINT and CMD", () => {
    const agn = resolveImage('registry.k8s.io/e2e-test-images/agnhost:2.53', []);
    const tail = (argv: string[]) => argv.slice(argv.findIndex((a) => /agnhost\.(ts|js|mjs)$/.test(a)) + 1);
    const isNode = (argv: string[]) => argv[0] === process.execPath;
    // args only: ENTRYPOINT /agnhost + args
    let argv = containerArgv(agn, [], ['netexec', '--http-port=8080']);
    assert.ok(isNode(argv));
    assert.deepEqual(tail(argv), ['netexec', '--http-port=8080']);
    // neither: ENTRYPOINT + CMD (pause)
    assert.deepEqual(tail(containerArgv(agn, [], [])), ['pause']);
    // command names the image's binary
    assert.deepEqual(tail(containerArgv(agn, ['/agnhost', 'serve-hostname'], ['--port', '9376'])), ['serve-hostname', '--port', '9376']);
    // any other command runs on the host
    assert.deepEqual(containerArgv(agn, ['sh', '-c', 'echo hi'], []), ['sh', '-c', 'echo hi']);
    const pause = resolveImage('registry.k8s.io/pause:3.10', []);
    argv = containerArgv(pause, [], []);
    assert.match(argv[argv.length - 1]!, /(images|skiff-images)\/pause\.(ts|js|mjs)$/);
    assert.deepEqual(containerArgv(resolveImage('busybox', ['sleep']), ['sleep'], ['10']), ['sleep', '10']);
  });
});
