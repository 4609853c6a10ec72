// Parses a request path into the attributes authorization and routing need, as upstream's
// RequestInfoResolver (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) does:
// /api/v1/namespaces/ns/pods/name/status → {verb, group "", version v1, namespace, resource, name, subresource}.

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; or the lowercased HTTP method for non-resource requests. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the subresource (e.g. proxy paths). */
  parts: string[];
}

const specialVerbs = new Set(['proxy', 'watch']);

/** `query` is the parsed URL search params (watch=true turns list into watch). */
export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path: pathname,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = pathname.replace(/^\/+|\/+$/g, '').split('/').map(safeDecode);
  if (parts.length < 3) return info;
  const prefix = parts[0]!;
  if (prefix !== 'api' && prefix !== 'apis') return info;
  info.apiPrefix = prefix;
  parts = parts.slice(1);
  if (prefix === 'api') {
    info.apiVersion = parts[0]!;
    parts = parts.slice(1);
  } else {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    info.apiVersion = parts[1]!;
    parts = parts.slice(2);
  }
  info.isResourceRequest = true;

  // Deprecated /watch/ and /proxy/ path prefixes.
  if (specialVerbs.has(parts[0]!)) {
    if (parts.length < 2) return { ...info, isResourceRequest: false };
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    switch (method) {
      case 'POST':
        info.verb = 'create';
        break;
      case 'GET':
      case 'HEAD':
        info.verb = 'get';
        break;
      case 'PUT':
        info.verb = 'update';
        break;
      case 'PATCH':
        info.verb = 'patch';
        break;
      case 'DELETE':
        info.verb = 'delete';
        break;
      default:
        info.verb = '';
    }
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      // /namespaces/{name}, /namespaces/{name}/status and /finalize address the Namespace itself.
      if (parts.length > 2 && parts[2] !== 'finalize' && parts[2] !== 'status') parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;
  if (parts.length > 3) info.parts = parts.slice(3);
  else info.parts = [];

  if (info.name === '' && info.verb === 'get') info.verb = query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
  if (info.verb === 'get' && (query.get('watch') === 'true' || query.get('watch') === '1')) info.verb = 'watch';
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
