// `skiff group create|show|list|delete|exists` — az group's resource-group commands against the
// management service's ARM API (api-version 2022-09-01 as az's resource client sends).
import { keyValues, list, str } from './args.ts';
import { GROUPS_API_VERSION } from './client.ts';
import type { AzCmd } from './cmd.ts';
import { NO_WAIT, YES } from './cmd.ts';
import { groupToAz } from './shape.ts';

const NAME = { names: ['--name', '-n', '--resource-group', '-g'], dest: 'name', kind: 'string' as const, required: true, help: 'Name of resource group.' };
const TAGS = { names: ['--tags'], kind: 'list' as const, help: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.' };

export const groupCommands: AzCmd[] = [
  {
    path: 'group create',
    summary: 'Create a new resource group.',
    opts: [NAME, { names: ['--location', '-l'], kind: 'string', required: true, help: 'Location.' }, TAGS, { names: ['--managed-by'], kind: 'string', help: 'The ID of the resource that manages this resource group.' }],
    examples: ['skiff group create -l westus -n MyResourceGroup'],
    async run(ctx) {
      const c = ctx.client();
      const name = str(ctx.values, 'name')!;
      const tags = keyValues(list(ctx.values, 'tags'), '--tags');
      const body: Record<string, unknown> = { location: str(ctx.values, 'location') };
      if (tags) body.tags = tags;
      const managedBy = str(ctx.values, 'managed-by');
      if (managedBy) body.managedBy = managedBy;
      const r = await c.call('PUT', c.groupPath(name), body, GROUPS_API_VERSION);
      return groupToAz(r.body);
    },
  },
  {
    path: 'group show',
    summary: 'Gets a resource group.',
    opts: [NAME],
    async run(ctx) {
      const c = ctx.client();
      return groupToAz(await c.get(c.groupPath(str(ctx.values, 'name')!), GROUPS_API_VERSION));
    },
  },
  {
    path: 'group list',
    summary: 'List resource groups.',
    opts: [{ names: ['--tag'], kind: 'string', help: 'a single tag in "key[=value]" format' }],
    async run(ctx) {
      const c = ctx.client();
      let groups = (await c.list(c.groupPath(), GROUPS_API_VERSION)).map(groupToAz);
      const tag = str(ctx.values, 'tag');
      if (tag) {
        const [k, v] = tag.split('=', 2) as [string, string | undefined];
        groups = groups.filter((g) => {
          const t = (g.tags ?? {}) as Record<string, string>;
          return k in t && (v === undefined || t[k] === v);
        });
      }
      return groups;
    },
    table: (rows: any[]) => rows.map((g) => ({ name: g.name, location: g.location, status: g.properties?.provisioningState })),
  },
  {
    path: 'group exists',
    summary: 'Check if a resource group exists.',
    opts: [NAME],
    async run(ctx) {
      const c = ctx.client();
      const r = await c.request('HEAD', c.groupPath(str(ctx.values, 'name')!), undefined, GROUPS_API_VERSION);
      if (r.status === 204 || r.status === 200) return true;
      if (r.status === 404) return false;
      // A service without HEAD: ask with GET.
      const g = await c.request('GET', c.groupPath(str(ctx.values, 'name')!), undefined, GROUPS_API_VERSION);
      return g.status === 200;
    },
  },
  {
    path: 'group delete',
    summary: 'Delete a resource group.',
    opts: [NAME, NO_WAIT, YES, { names: ['--force-deletion-types', '-f'], kind: 'string', help: 'Accepted for compatibility.' }],
    async run(ctx) {
      await ctx.confirm('Are you sure you want to perform this operation?');
      const c = ctx.client();
      await ctx.progress(c.lro('DELETE', c.groupPath(str(ctx.values, 'name')!), undefined, ctx.lro(), GROUPS_API_VERSION));
      return undefined;
    },
  },
];
