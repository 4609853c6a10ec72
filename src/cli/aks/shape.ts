// How az prints an ARM resource: the Python SDK flattens `properties` into the object and names
// every field by its snake_case attribute turned back into camelCase (enableRBAC → enableRbac,
// osDiskSizeGB → osDiskSizeGb, dnsServiceIP → dnsServiceIp, scale-down-delay-after-add →
// scaleDownDelayAfterAdd), user maps (tags, labels, add-on config) keep their keys, and azure-cli
// adds `resourceGroup` to every object that has an ARM `id`.

/** Maps whose keys are data, not field names: keys kept, values left as they are. */
const OPAQUE_MAPS = new Set(['tags', 'nodeLabels', 'config', 'labels', 'annotations', 'podLabels', 'sysctls', 'nodeSelector']);
/** Maps whose keys are data and whose values are models. */
const MODEL_MAPS = new Set(['addonProfiles', 'identityProfile', 'userAssignedIdentities', 'patchVersions']);

const WORD = /[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+/g;

/** The attribute name az prints for a REST field name. */
export function azKey(rest: string): string {
  const words: string[] = [];
  for (const part of rest.split(/[-_]+/)) for (const m of part.matchAll(WORD)) words.push(m[0].toLowerCase());
  if (words.length === 0) return rest;
  return words[0] + words.slice(1).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function convert(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(convert);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (OPAQUE_MAPS.has(k)) out[k] = v;
    else if (MODEL_MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      const m: Record<string, unknown> = {};
      for (const [mk, mv] of Object.entries(v)) m[mk] = convert(mv);
      out[k] = m;
    } else out[azKey(k)] = convert(v);
  }
  return out;
}

/** The resource group named in an ARM id, as azure-cli's parse_resource_id finds it. */
export function resourceGroupOf(id: string): string | undefined {
  const parts = id.split('/');
  for (let i = 0; i < parts.length - 1; i++) if (parts[i]!.toLowerCase() === 'resourcegroups') return parts[i + 1];
  return undefined;
}

function addResourceGroup(x: unknown): void {
  if (x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    for (const e of x) addResourceGroup(e);
    return;
  }
  const o = x as Record<string, unknown>;
  if (typeof o.id === 'string' && !Object.keys(o).some((k) => k.toLowerCase() === 'resourcegroup')) {
    const rg = resourceGroupOf(o.id);
    if (rg !== undefined) o.resourceGroup = rg;
  }
  for (const v of Object.values(o)) addResourceGroup(v);
}

/** An ARM resource (or list of them) as az prints it. */
export function toAz(arm: unknown): any {
  if (Array.isArray(arm)) return arm.map(toAz);
  if (arm === null || typeof arm !== 'object') return arm;
  const { properties, ...rest } = arm as Record<string, unknown>;
  const flat = properties && typeof properties === 'object' && !Array.isArray(properties) ? { ...rest, ...(properties as object) } : { ...rest };
  const out = convert(flat);
  addResourceGroup(out);
  return out;
}

/** A resource group as `az group show` prints it (not flattened: its model keeps `properties`). */
export function groupToAz(arm: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: arm.id,
    location: arm.location,
    managedBy: arm.managedBy ?? null,
    name: arm.name,
    properties: arm.properties ?? null,
    tags: arm.tags ?? null,
    type: arm.type ?? 'Microsoft.Resources/resourceGroups',
  };
  return out;
}
