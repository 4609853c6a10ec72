// CustomResourceDefinitions (apiextensions.k8s.io/v1): the public surface of this folder.
import type { Schema } from './schema.ts';
import type { CustomResources } from './controller.ts';

export { CustomResources, resourceInfoFor, type CrdHost } from './controller.ts';
export { validateCRD, validateCRDUpdate, structuralErrors, storageVersion, CLEANUP_FINALIZER } from './crd.ts';
export { customResourceStrategy, versionState, type VersionState } from './customresource.ts';
export { prune, applyDefaults, validateResource, validateValue, type Schema, type ValidationRule } from './schema.ts';
export { validateRules, ruleCompileErrors, celValue } from './cel.ts';
export { customDefinitions, reverseGroup } from './openapi.ts';

/**
 * The structural schema (CRD `openAPIV3Schema`) of a served custom resource kind, for
 * server-side apply: list types (`x-kubernetes-list-type` atomic/set/map with
 * `x-kubernetes-list-map-keys`), map types (`x-kubernetes-map-type`), and which objects keep
 * unknown fields. Undefined when the group/version/kind is not a served custom resource.
 * `server` is the ApiServer (its `customResources` field).
 */
export function customResourceSchema(server: { customResources: CustomResources }, group: string, version: string, kind: string): Schema | undefined {
  return server.customResources.schemaFor(group, version, kind);
}
