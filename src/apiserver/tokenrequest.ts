// The TokenRequest API (POST serviceaccounts/<name>/token, authentication.k8s.io/v1): a signed,
// audience- and expiry-bound JWT for a ServiceAccount, optionally bound to a Pod, Secret or Node
// that must exist with the given uid, as kube-apiserver's serviceaccount token REST storage.
import { StatusError, invalidError, notFound, invalid, notSupported, required, type FieldError } from '../machinery/errors.ts';
import type { ServiceAccountTokens } from './authn/serviceaccount.ts';
import type { Store } from './registry/store.ts';
import type { TokenRequestHandler } from './server.ts';
import type { Obj } from './types.ts';

const BOUND_KINDS: Record<string, { resource: string; namespaced: boolean }> = {
  Pod: { resource: 'pods', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true },
  Node: { resource: 'nodes', namespaced: false },
};

export function tokenRequestHandler(tokens: ServiceAccountTokens, store: (resource: string) => Store): TokenRequestHandler {
  return async (namespace, name, body, ctx) => {
    const spec: Obj = body.spec ?? {};
    const errs: FieldError[] = [];
    const exp = spec.expirationSeconds ?? 3600;
    if (typeof exp !== 'number' || !Number.isInteger(exp)) errs.push(invalid('spec.expirationSeconds', exp, 'must be an integer'));
    else if (exp < 600) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
    else if (exp > 2 ** 32) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
    if (spec.audiences !== undefined && (!Array.isArray(spec.audiences) || spec.audiences.some((a: unknown) => typeof a !== 'string'))) {
      errs.push(invalid('spec.audiences', spec.audiences, 'must be a list of strings'));
    }
    const ref: Obj | undefined = spec.boundObjectRef ?? undefined;
    if (ref) {
      if (!BOUND_KINDS[ref.kind]) errs.push(notSupported('spec.boundObjectRef.kind', ref.kind, Object.keys(BOUND_KINDS)));
      if (!ref.name) errs.push(required('spec.boundObjectRef.name', ''));
    }
    if (errs.length) throw invalidError('TokenRequest', 'authentication.k8s.io', name, errs);

    const sa = await store('serviceaccounts').get(namespace, name);
    const issue: Parameters<ServiceAccountTokens['issue']>[0] = {
      namespace,
      serviceAccount: name,
      uid: sa.metadata.uid,
      expirationSeconds: exp,
      ...(spec.audiences?.length ? { audiences: spec.audiences } : {}),
    };
    if (ref) {
      const kind = BOUND_KINDS[ref.kind]!;
      let obj: Obj;
      try {
        obj = await store(kind.resource).get(kind.namespaced ? namespace : '', ref.name);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) throw notFound({ group: '', resource: kind.resource }, ref.name);
        throw e;
      }
      if (ref.uid && ref.uid !== obj.metadata.uid) {
        throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      if (ref.kind === 'Pod') {
        if (obj.spec?.serviceAccountName && obj.spec.serviceAccountName !== name) {
          throw invalidError('TokenRequest', 'authentication.k8s.io', name, [invalid('spec.boundObjectRef', ref.name, `cannot bind to pod with service account "${obj.spec.serviceAccountName}"`)]);
        }
        Object.assign(issue, { podName: obj.metadata.name, podUID: obj.metadata.uid, ...(obj.spec?.nodeName ? { nodeName: obj.spec.nodeName } : {}) });
      } else if (ref.kind === 'Secret') Object.assign(issue, { secretName: obj.metadata.name, secretUID: obj.metadata.uid });
      else Object.assign(issue, { nodeName: obj.metadata.name, nodeUID: obj.metadata.uid });
    }
    const t = ctx.dryRun ? { token: '', expirationTimestamp: new Date(ctx.now + exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') } : tokens.issue(issue);
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences: spec.audiences?.length ? spec.audiences : tokens.apiAudiences, expirationSeconds: exp, boundObjectRef: ref ?? null },
      status: { token: t.token, expirationTimestamp: t.expirationTimestamp },
    };
  };
}
