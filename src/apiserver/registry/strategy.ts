// Per-resource policy for the generic store, as upstream's registry strategies
// (pkg/registry/<group>/<resource>/strategy.go): what happens on create and update, validation,
// which fields field selectors may use, whether the status and generation are managed, and how
// deletion is graceful.
import type { FieldError } from '../../machinery/errors.ts';
import type { Obj, RequestContext } from '../types.ts';
import type { CustomColumn } from '../printers/custom.ts';

export interface Strategy {
  /** The resource has a status subresource: main writes keep the old status, /status writes keep everything else. */
  hasStatus: boolean;
  /** metadata.generation starts at 1 and increases when the spec changes. */
  hasGeneration: boolean;
  /** PUT to a missing object creates it (Services, Endpoints, Leases, RBAC objects, ...). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object rather than a Status (pods, services). */
  returnDeletedObject: boolean;
  /** Fills what the server owns on create (status reset, derived fields). */
  prepareForCreate(obj: Obj, ctx: RequestContext): void;
  /** Carries over what a main-resource update may not change. */
  prepareForUpdate(obj: Obj, old: Obj, ctx: RequestContext): void;
  validate(obj: Obj, ctx: RequestContext): FieldError[];
  validateUpdate(obj: Obj, old: Obj, ctx: RequestContext): FieldError[];
  /** Field-selector fields beyond metadata.name and metadata.namespace. */
  selectableFields(obj: Obj): Record<string, string>;
  /** Grace period for a delete, or 0 to delete at once (only pods are graceful). */
  gracePeriod(obj: Obj, requested: number | undefined): number;
  /** Marks an object on delete; true while something other than metadata.finalizers must finish first (namespaces). */
  prepareForDelete(obj: Obj): boolean;
  /** Custom resources: the Table columns (a CRD version's additionalPrinterColumns; [] gives Name and Age). */
  printerColumns?: readonly CustomColumn[];
  /** Custom resources: where the scale subresource reads and writes (`.spec.replicas`, `.status.replicas`, `.status.selector`). */
  scalePaths?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Custom resources: removes the fields the schema does not declare; returns their paths for field validation. */
  pruneUnknown?(obj: Obj): string[];
}

export const baseStrategy: Strategy = {
  hasStatus: false,
  hasGeneration: false,
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: () => [],
  validateUpdate: () => [],
  selectableFields: () => ({}),
  gracePeriod: () => 0,
  prepareForDelete: () => false,
};

/** Every selectable field of an object: metadata.name, metadata.namespace and the strategy's own. */
export function objectFields(strategy: Strategy, obj: Obj): Record<string, string> {
  return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '', ...strategy.selectableFields(obj) };
}
