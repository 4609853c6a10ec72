// The OpenAPI definitions of a served custom resource version, as apiextensions-apiserver's
// openapi builder publishes them (`io.cert-manager.v1.Certificate` and its List), so that
// `kubectl explain` and kubectl's validation see CRD schemas beside the built-in ones.
import type { Schema } from './schema.ts';

type Def = Record<string, unknown>;
const META = '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.';

const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DOC =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** "cert-manager.io" → "io.cert-manager" (the definition name prefix upstream uses). */
export function reverseGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

export interface CustomDefinitions {
  definition: string;
  listDefinition: string;
  definitions: Record<string, Def>;
}

/** Swagger 2.0 cannot say these; upstream drops them from the v2 document. */
const V2_DROPPED = new Set(['nullable', 'anyOf', 'oneOf', 'allOf', 'not', 'x-kubernetes-validations']);

function v2Clean(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(v2Clean);
  if (!s || typeof s !== 'object') return s;
  const out: Def = {};
  for (const [k, v] of Object.entries(s as Def)) {
    if (V2_DROPPED.has(k)) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      const props: Def = {};
      for (const [pk, pv] of Object.entries(v as Def)) props[pk] = v2Clean(pv);
      out[k] = props;
    } else if (k === 'items' || k === 'additionalProperties') out[k] = v2Clean(v);
    else out[k] = v;
  }
  return out;
}

/** The Kind and KindList definitions of one CRD version (swagger 2.0 `$ref`s, as the built-ins). */
export function customDefinitions(group: string, version: string, kind: string, listKind: string, schema: Schema | undefined, forV2 = false): CustomDefinitions {
  const base = `${reverseGroup(group)}.${version}.`;
  const definition = base + kind;
  const listDefinition = base + listKind;
  const root: Def = schema ? { ...(forV2 ? (v2Clean(schema) as Def) : schema) } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const props: Def = { ...((root.properties as Def) ?? {}) };
  props.apiVersion = { description: API_VERSION_DOC, type: 'string' };
  props.kind = { description: KIND_DOC, type: 'string' };
  props.metadata = { $ref: META + 'ObjectMeta', description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" };
  root.properties = props;
  root.type ??= 'object';
  root['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
  const list: Def = {
    description: `${listKind} is a list of ${kind}`,
    required: ['items'],
    type: 'object',
    properties: {
      apiVersion: { description: API_VERSION_DOC, type: 'string' },
      items: { description: `List of ${kind.toLowerCase()}s. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: 'array', items: { $ref: '#/definitions/' + definition } },
      kind: { description: KIND_DOC, type: 'string' },
      metadata: { $ref: META + 'ListMeta', description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: listKind, version }],
  };
  return { definition, listDefinition, definitions: { [definition]: root, [listDefinition]: list } };
}
