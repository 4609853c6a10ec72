// The certificate and credential publishers of kube-controller-manager that need the cluster CA:
// the CSR signer (pkg/controller/certificates/signer) issuing approved requests of the kubernetes.io
// signers, the CSR approver (certificates/approver) auto-approving kubelet client certificates, the
// root CA publisher (kube-root-ca.crt in every namespace), and the legacy service-account token
// controller (tokens for Secrets of type kubernetes.io/service-account-token).
import type { Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import type { KubeClient } from '../../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { x509 } from '../../pki/x509lib.ts';
import { CSRSigningError, KUBE_APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, LEGACY_UNKNOWN_SIGNER } from '../../pki/pki.ts';

/** What these controllers need of the cluster's PKI and token issuer. */
export interface CredentialSource {
  caPEM(): string;
  signCSR(csrPEM: string, opts: { signerName: string; usages: string[]; expirationSeconds?: number }): Promise<string>;
  legacyToken(req: { namespace: string; serviceAccount: string; uid: string; secretName: string }): string;
}

const SIGNERS = new Set([KUBE_APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, LEGACY_UNKNOWN_SIGNER]);

const hasCondition = (csr: Obj, type: string) => (csr.status?.conditions ?? []).some((c: Obj) => c.type === type && c.status !== 'False');

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

abstract class QueueController implements Controller {
  abstract readonly name: string;
  protected readonly client: KubeClient;
  protected readonly queue: WorkQueue;
  protected readonly ctx: ControllerContext;
  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.client = ctx.client;
    this.queue = new WorkQueue({ clock: ctx.clock });
  }
  protected run(informers: Informer[], sync: (key: string) => Promise<void>): void {
    void Promise.all(informers.map((i) => i.synced())).then(() => runWorkers(this.queue, 1, sync));
  }
  abstract start(): void;
  stop(): void {
    this.queue.shutDown();
  }
}

/** Issues certificates for approved CSRs of the built-in signers, or marks them Failed. */
class CSRSigningController extends QueueController {
  readonly name = 'csrsigning';
  #csrs: Informer;
  #src: CredentialSource;
  constructor(ctx: ControllerContext, src: CredentialSource) {
    super(ctx);
    this.#src = src;
    this.#csrs = ctx.informers.informer('certificates.k8s.io', 'certificatesigningrequests');
  }
  start(): void {
    const add = (o: Obj) => this.queue.add(o.metadata.name);
    this.#csrs.addEventHandler({ add, update: (_o, n) => add(n) });
    this.run([this.#csrs], (k) => this.sync(k));
  }
  async sync(name: string): Promise<void> {
    const csr = this.#csrs.get('', name);
    if (!csr || csr.status?.certificate || !hasCondition(csr, 'Approved') || hasCondition(csr, 'Failed') || hasCondition(csr, 'Denied')) return;
    if (!SIGNERS.has(csr.spec?.signerName)) return;
    const status: Obj = { ...(csr.status ?? {}) };
    try {
      const pem = await this.#src.signCSR(Buffer.from(csr.spec.request ?? '', 'base64').toString('utf8'), {
        signerName: csr.spec.signerName,
        usages: csr.spec.usages ?? [],
        ...(csr.spec.expirationSeconds ? { expirationSeconds: csr.spec.expirationSeconds } : {}),
      });
      status.certificate = Buffer.from(pem).toString('base64');
    } catch (e) {
      if (!(e instanceof CSRSigningError)) throw e;
      const now = rfc3339(this.ctx.clock.now());
      status.conditions = [...(status.conditions ?? []), { type: 'Failed', status: 'True', reason: e.reason, message: e.message, lastUpdateTime: now, lastTransitionTime: now }];
    }
    try {
      await this.client.resource('certificates.k8s.io', 'certificatesigningrequests').updateStatus({ ...csr, status });
    } catch (e) {
      if (isConflict(e)) return this.queue.add(name);
      if (!isNotFound(e)) throw e;
    }
  }
}

/**
 * Auto-approves kubelet client CSRs (signer kube-apiserver-client-kubelet, subject
 * CN=system:node:<name>, O=system:nodes) from the node itself or from a bootstrapping identity, as
 * upstream's csrapproving controller does after its SubjectAccessReviews.
 */
class CSRApprovingController extends QueueController {
  readonly name = 'csrapproving';
  #csrs: Informer;
  constructor(ctx: ControllerContext) {
    super(ctx);
    this.#csrs = ctx.informers.informer('certificates.k8s.io', 'certificatesigningrequests');
  }
  start(): void {
    this.#csrs.addEventHandler({ add: (o) => this.queue.add(o.metadata.name) });
    this.run([this.#csrs], (k) => this.sync(k));
  }
  async sync(name: string): Promise<void> {
    const csr = this.#csrs.get('', name);
    if (!csr || csr.spec?.signerName !== KUBELET_CLIENT_SIGNER || (csr.status?.conditions ?? []).length) return;
    const subject = subjectOf(csr.spec.request);
    if (!subject || !subject.cn.startsWith('system:node:') || subject.o.length !== 1 || subject.o[0] !== 'system:nodes') return;
    const groups: string[] = csr.spec.groups ?? [];
    const self = csr.spec.username === subject.cn;
    if (!self && !groups.some((g) => g === 'system:bootstrappers' || g.startsWith('system:bootstrappers:') || g === 'system:nodes')) return;
    const now = rfc3339(this.ctx.clock.now());
    const condition = { type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.', lastUpdateTime: now, lastTransitionTime: now };
    try {
      await this.client.resource('certificates.k8s.io', 'certificatesigningrequests').updateSubresource(name, 'approval', { ...csr, status: { ...(csr.status ?? {}), conditions: [condition] } });
    } catch (e) {
      if (isConflict(e)) return this.queue.add(name);
      if (!isNotFound(e)) throw e;
    }
  }
}

/** CN and O of a base64 PEM PKCS#10 request (undefined when it does not parse). */
function subjectOf(requestB64: string | undefined): { cn: string; o: string[] } | undefined {
  try {
    const csr = new x509.Pkcs10CertificateRequest(Buffer.from(requestB64 ?? '', 'base64').toString('utf8'));
    const cn = csr.subjectName.getField('CN');
    return cn.length === 1 ? { cn: cn[0]!, o: csr.subjectName.getField('O') } : undefined;
  } catch {
    return undefined;
  }
}

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Keeps the `kube-root-ca.crt` ConfigMap, with the cluster CA, in every active namespace. */
class RootCACertPublisher extends QueueController {
  readonly name = 'root-ca-cert-publisher';
  #namespaces: Informer;
  #configmaps: Informer;
  #src: CredentialSource;
  constructor(ctx: ControllerContext, src: CredentialSource) {
    super(ctx);
    this.#src = src;
    this.#namespaces = ctx.informers.informer('', 'namespaces');
    this.#configmaps = ctx.informers.informer('', 'configmaps');
  }
  start(): void {
    this.#namespaces.addEventHandler({ add: (n) => this.queue.add(n.metadata.name), update: (_o, n) => this.queue.add(n.metadata.name) });
    const cm = (c: Obj) => c.metadata?.name === ROOT_CA_CONFIGMAP && this.queue.add(c.metadata.namespace);
    this.#configmaps.addEventHandler({ update: (_o, n) => cm(n), delete: cm });
    this.run([this.#namespaces, this.#configmaps], (k) => this.sync(k));
  }
  async sync(namespace: string): Promise<void> {
    const ns = this.#namespaces.get('', namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const ca = this.#src.caPEM();
    const existing = this.#configmaps.get(namespace, ROOT_CA_CONFIGMAP);
    const rc = this.client.resource('', 'configmaps', namespace);
    try {
      if (!existing) {
        await rc.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': ca } });
      } else if (existing.data?.['ca.crt'] !== ca || Object.keys(existing.data ?? {}).length !== 1) {
        await rc.update({ ...existing, data: { 'ca.crt': ca }, metadata: { ...existing.metadata, annotations: { ...(existing.metadata.annotations ?? {}), 'kubernetes.io/description': ROOT_CA_DESCRIPTION } } });
      }
    } catch (e) {
      if (isConflict(e) || isAlreadyExists(e)) return this.queue.add(namespace);
      if (!isNotFound(e) && !(e as { status?: Obj }).status?.details?.causes?.some((c: Obj) => c.reason === 'NamespaceTerminating')) throw e;
    }
  }
}

const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

/** Fills Secrets of type kubernetes.io/service-account-token with a legacy token, ca.crt and namespace. */
class LegacyTokensController extends QueueController {
  readonly name = 'serviceaccount-token';
  #secrets: Informer;
  #accounts: Informer;
  #src: CredentialSource;
  constructor(ctx: ControllerContext, src: CredentialSource) {
    super(ctx);
    this.#src = src;
    this.#secrets = ctx.informers.informer('', 'secrets');
    this.#accounts = ctx.informers.informer('', 'serviceaccounts');
  }
  start(): void {
    const s = (o: Obj) => o.type === SA_TOKEN_TYPE && this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    this.#secrets.addEventHandler({ add: s, update: (_o, n) => s(n) });
    this.run([this.#secrets, this.#accounts], (k) => this.sync(k));
  }
  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const secret = this.#secrets.get(namespace, name);
    if (!secret || secret.type !== SA_TOKEN_TYPE || secret.metadata.deletionTimestamp) return;
    const saName = secret.metadata.annotations?.['kubernetes.io/service-account.name'];
    const sa = saName ? this.#accounts.get(namespace, saName) : undefined;
    const rc = this.client.resource('', 'secrets', namespace);
    try {
      if (!sa) {
        // The account is gone (or never was): upstream deletes the token secret.
        if (saName) await rc.delete(name);
        return;
      }
      const uid = secret.metadata.annotations?.['kubernetes.io/service-account.uid'];
      if (uid && uid !== sa.metadata.uid) return void (await rc.delete(name));
      const data = secret.data ?? {};
      const ca = Buffer.from(this.#src.caPEM()).toString('base64');
      if (data.token && data['ca.crt'] === ca && data.namespace) return;
      const token = data.token ? data.token : Buffer.from(this.#src.legacyToken({ namespace, serviceAccount: sa.metadata.name, uid: sa.metadata.uid, secretName: name })).toString('base64');
      await rc.update({
        ...secret,
        metadata: { ...secret.metadata, annotations: { ...secret.metadata.annotations, 'kubernetes.io/service-account.uid': sa.metadata.uid } },
        data: { ...data, token, 'ca.crt': ca, namespace: Buffer.from(namespace).toString('base64') },
      });
    } catch (e) {
      if (isConflict(e)) return this.queue.add(key);
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The controllers that need the cluster's CA and token signer. */
export function credentialControllers(src: CredentialSource): ControllerFactory[] {
  return [(ctx) => new CSRSigningController(ctx, src), (ctx) => new CSRApprovingController(ctx), (ctx) => new RootCACertPublisher(ctx, src), (ctx) => new LegacyTokensController(ctx, src)];
}
