// A cluster's security as kubeadm and AKS set it up: the PKI in the data dir (cluster CA, serving
// and component certificates, service-account keys), HTTPS only, authentication (x509 client
// certificates, service-account JWTs, bootstrap tokens, an optional static token file, impersonation;
// anonymous off by default as on AKS), authorization Node,RBAC behind system:masters, the TokenRequest
// API, authorized IP ranges, the default RBAC policy written on start, and the credentials handed to
// kubeconfigs.
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { ClusterPKI, type CertAndKey } from '../pki/pki.ts';
import type { ApiServer, ApiServerOptions } from '../apiserver/server.ts';
import { x509Authenticator } from '../apiserver/authn/x509.ts';
import { serviceAccountTokens, type ServiceAccountTokens } from '../apiserver/authn/serviceaccount.ts';
import { bootstrapTokenAuthenticator } from '../apiserver/authn/bootstrap.ts';
import { tokenFileAuthenticator } from '../apiserver/authn/tokenfile.ts';
import { unionAuthenticator, type RequestAuthenticator } from '../apiserver/authn/union.ts';
import { impersonation, wantsImpersonation } from '../apiserver/authn/impersonation.ts';
import type { Authenticator } from '../apiserver/authn/types.ts';
import { chain, privilegedGroups, rbacAuthorizer, storeLister, nodeAuthorizer, NodeGraph, bootstrapPolicy } from '../apiserver/authz/index.ts';
import type { Authz } from '../apiserver/reviews.ts';
import { AuthorizedIPRanges } from '../apiserver/ipranges.ts';
import { tokenRequestHandler } from '../apiserver/tokenrequest.ts';
import type { CredentialSource } from '../controllers/certificates/index.ts';
import type { KubeClient } from '../client/client.ts';
import type { Obj } from '../client/types.ts';
import { isAlreadyExists } from '../machinery/errors.ts';
import type { Clock } from '../machinery/clock.ts';

export interface SecurityOptions {
  dataDir: string;
  /** The `kubernetes` Service ClusterIP (a SAN of the serving certificate). */
  serviceIP: string;
  /** More names and addresses clients dial (node addresses, an FQDN). */
  extraSANs?: string[];
  /** --anonymous-auth (default false, as AKS). */
  anonymousAuth?: boolean;
  /** --token-auth-file: a static token CSV. */
  tokenAuthFile?: string;
  /** --api-server-authorized-ip-ranges (empty: everyone may connect). */
  authorizedIPRanges?: string[];
  clock?: Clock;
}

/** A kubeconfig user's credentials (base64 PEM, as kubeconfigs carry them). */
export interface Credentials {
  server: string;
  caData: string;
  certData: string;
  keyData: string;
}

/** The identity AKS gives the clusterUser credential of a cluster with local accounts. */
export const CLUSTER_USER = { cn: 'clusterUser', groups: ['system:masters'] } as const;

export class ClusterSecurity {
  readonly pki: ClusterPKI;
  readonly tokens: ServiceAccountTokens;
  readonly ranges: AuthorizedIPRanges;
  readonly graph = new NodeGraph();
  #opts: SecurityOptions;
  #authn!: RequestAuthenticator;
  #authz!: Authz;
  #stopGraph: (() => void) | undefined;
  #userCert: CertAndKey | undefined;
  #api: (() => ApiServer) | undefined;

  private constructor(opts: SecurityOptions, pki: ClusterPKI) {
    this.#opts = opts;
    this.pki = pki;
    this.ranges = new AuthorizedIPRanges(opts.authorizedIPRanges ?? []);
    // Bound tokens are checked against the objects they name, read from the API server's caches.
    const cached = (resource: string) => (ns: string, name: string): Obj | undefined => {
      const s = this.#api?.().store('', resource);
      return s?.cache.get(s.key(ns, name))?.obj;
    };
    const getter = { getServiceAccount: cached('serviceaccounts'), getPod: cached('pods'), getSecret: cached('secrets'), getNode: (name: string) => cached('nodes')('', name) };
    this.tokens = serviceAccountTokens({ signingKey: pki.serviceAccountKeyPEM, getter, ...(opts.clock ? { clock: opts.clock } : {}) });
  }

  static async create(opts: SecurityOptions): Promise<ClusterSecurity> {
    const pki = await ClusterPKI.loadOrCreate(join(opts.dataDir, 'pki'), { serviceIP: opts.serviceIP, ...(opts.extraSANs ? { extraSANs: opts.extraSANs } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
    return new ClusterSecurity(opts, pki);
  }

  /** What the API server needs: TLS, the authenticator, the authorizer, the IP filter, TokenRequest. */
  apiServerOptions(api: () => ApiServer): Pick<ApiServerOptions, 'tls' | 'authenticate' | 'authz' | 'connectionFilter' | 'tokenRequest'> {
    this.#api = api;
    const tokens = this.tokens;
    const secret = (ns: string, name: string): Obj | undefined => {
      const s = api().store('', 'secrets');
      return s?.cache.get(s.key(ns, name))?.obj;
    };
    const authenticators: Authenticator[] = [x509Authenticator(() => this.pki.clientCABundlePEM, this.#opts.clock ? { clock: this.#opts.clock } : {})];
    if (this.#opts.tokenAuthFile) authenticators.push(tokenFileAuthenticator(this.#opts.tokenAuthFile));
    authenticators.push(tokens, bootstrapTokenAuthenticator(secret, this.#opts.clock ? { clock: this.#opts.clock } : {}));
    this.#authn = unionAuthenticator(authenticators, { anonymous: this.#opts.anonymousAuth ?? false, apiAudiences: tokens.apiAudiences });
    const authz = chain([privilegedGroups('system:masters'), nodeAuthorizer(this.graph), rbacAuthorizer(storeLister({ store: (g, r) => api().store(g, r) }))], {
      authenticateToken: async (token, audiences) => {
        const r = await this.#authn.authenticateToken(token, audiences);
        return 'user' in r ? r : undefined;
      },
    });
    this.#authz = authz;
    const impersonate = impersonation((u, a) => authz.authorize(u, a));
    const authenticate = async (req: IncomingMessage) => {
      const user = await this.#authn.authenticate(req);
      if (!user || !wantsImpersonation(req.headersDistinct)) return user;
      return impersonate(user, req.headersDistinct);
    };
    return {
      tls: this.tlsOptions(),
      authenticate,
      authz,
      connectionFilter: (addr) => this.ranges.allows(addr),
      tokenRequest: tokenRequestHandler(tokens, (r) => api().store('', r)!),
    };
  }

  tlsOptions(): NonNullable<ApiServerOptions['tls']> {
    const t = this.pki.serverTLSOptions();
    return { cert: t.cert, key: t.key, ca: t.ca, requestCert: true, rejectUnauthorized: false };
  }

  /** After the API server is up: follow pods for the Node authorizer, write the default RBAC policy. */
  async afterStart(api: ApiServer, client: KubeClient): Promise<void> {
    this.#stopGraph = await this.graph.watchStores(api);
    await writeDefaultPolicy(client);
    this.pki.onChange(() => api.setTLS(this.tlsOptions()));
  }

  /** What the certificate controllers need. */
  credentialSource(): CredentialSource {
    return {
      caPEM: () => this.pki.caPEM,
      signCSR: (pem, o) => this.pki.signCSR(pem, o),
      legacyToken: (r) => this.tokens.issueLegacy(r),
    };
  }

  /** Kubeconfig credentials: `admin` is CN=masterclient O=system:masters (as AKS's clusterAdmin). */
  async credentials(kind: 'admin' | 'user', server: string): Promise<Credentials> {
    let c: CertAndKey;
    if (kind === 'admin') c = this.pki.component('admin');
    else c = this.#userCert ??= await this.pki.issueClientCert(CLUSTER_USER.cn, [...CLUSTER_USER.groups]);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    return { server, caData: b64(this.pki.caPEM), certData: b64(c.certificatePEM), keyData: b64(c.keyPEM) };
  }

  /** Re-issues every certificate (and with `ca`, the CA); the server swaps its certificate at once. */
  async rotate(opts: { ca?: boolean } = {}): Promise<void> {
    this.#userCert = undefined;
    await this.pki.rotate(opts);
  }

  stop(): void {
    this.#stopGraph?.();
  }
}

/** Creates what is missing of the default RBAC policy (upstream reconciles it on every start). */
async function writeDefaultPolicy(client: KubeClient): Promise<void> {
  const p = bootstrapPolicy({ aggregated: true });
  const create = async (resource: string, o: Obj) => {
    try {
      await client.resource('rbac.authorization.k8s.io', resource, o.metadata.namespace).create(o);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  };
  await Promise.all(p.clusterRoles.map((o) => create('clusterroles', o)));
  await Promise.all(p.clusterRoleBindings.map((o) => create('clusterrolebindings', o)));
  await Promise.all(p.roles.map((o) => create('roles', o)));
  await Promise.all(p.roleBindings.map((o) => create('rolebindings', o)));
}
