// `skiff account show|list|get-access-token` and `skiff cloud show`: az's view of the signed-in
// subscription and cloud, here the one local subscription of the management service, its bearer
// token, and its ARM endpoint (with the CA file to trust, a Skiff-specific field).
import { userInfo } from 'node:os';
import { str } from './args.ts';
import { readEndpoint, endpointFile, type Endpoint } from './client.ts';
import type { AzCmd, Ctx } from './cmd.ts';
import { readFileSync } from 'node:fs';

function account(ep: Endpoint) {
  let user = 'skiff';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry
  }
  return {
    environmentName: 'Skiff',
    homeTenantId: ep.tenantId,
    id: ep.subscriptionId,
    isDefault: true,
    managedByTenants: [],
    name: 'Skiff local subscription',
    state: 'Enabled',
    tenantId: ep.tenantId,
    user: { name: user, type: 'user' },
  };
}

function checkSubscription(ctx: Ctx, ep: Endpoint): void {
  const sub = str(ctx.values, 'subscription');
  if (sub !== undefined && sub !== ep.subscriptionId && sub !== 'Skiff local subscription') {
    throw new Error(`Subscription '${sub}' not found. Check the spelling and casing and try again.`);
  }
}

/** az prints expiresOn in local time as "YYYY-MM-DD HH:MM:SS.ffffff". */
function localTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

export const accountCommands: AzCmd[] = [
  {
    path: 'account show',
    summary: 'Get the details of a subscription.',
    opts: [{ names: ['--name', '-n'], dest: 'subscription-name', kind: 'string', help: 'Name or ID of subscription.' }],
    async run(ctx) {
      const ep = readEndpoint(ctx.dataDir);
      checkSubscription(ctx, ep);
      const n = str(ctx.values, 'subscription-name');
      if (n !== undefined && n !== ep.subscriptionId && n !== 'Skiff local subscription') throw new Error(`Subscription '${n}' not found. Check the spelling and casing and try again.`);
      return account(ep);
    },
  },
  {
    path: 'account list',
    summary: 'Get a list of subscriptions for the logged in account.',
    opts: [{ names: ['--all'], kind: 'bool', help: 'List all subscriptions.' }, { names: ['--refresh'], kind: 'bool', help: 'Accepted for compatibility.' }],
    async run(ctx) {
      return [account(readEndpoint(ctx.dataDir))];
    },
    table: (rows: any[]) => rows.map((a) => ({ name: a.name, cloudName: a.environmentName, subscriptionId: a.id, tenantId: a.tenantId, state: a.state, isDefault: a.isDefault })),
  },
  {
    path: 'account get-access-token',
    summary: 'Get a token for utilities to access the management service.',
    opts: [
      { names: ['--resource'], kind: 'string', help: 'Accepted for compatibility; the service has one token.' },
      { names: ['--resource-type'], kind: 'string', help: 'Accepted for compatibility.' },
      { names: ['--scope'], kind: 'list', help: 'Accepted for compatibility.' },
      { names: ['--tenant', '-t'], kind: 'string', help: 'Tenant ID.' },
    ],
    async run(ctx) {
      const ep = readEndpoint(ctx.dataDir);
      checkSubscription(ctx, ep);
      const token = readFileSync(ep.tokenFile, 'utf8').trim();
      // The service's token does not expire; report the hour az's tokens last so tools refresh sanely.
      const expires = new Date(Date.now() + 3600_000);
      return {
        accessToken: token,
        expiresOn: localTime(expires),
        expires_on: Math.floor(expires.getTime() / 1000),
        subscription: ep.subscriptionId,
        tenant: ep.tenantId,
        tokenType: 'Bearer',
      };
    },
  },
  {
    path: 'cloud show',
    summary: 'Get the details of a registered cloud.',
    opts: [{ names: ['--name', '-n'], dest: 'cloud-name', kind: 'string', help: 'Name of a registered cloud (only "Skiff").' }],
    async run(ctx) {
      const ep = readEndpoint(ctx.dataDir);
      const n = str(ctx.values, 'cloud-name');
      if (n !== undefined && n !== 'Skiff') throw new Error(`The cloud '${n}' is not registered.`);
      const url = ep.url.endsWith('/') ? ep.url : `${ep.url}/`;
      return {
        endpoints: {
          activeDirectory: null,
          activeDirectoryResourceId: url,
          management: url,
          resourceManager: url,
        },
        isActive: true,
        name: 'Skiff',
        profile: 'latest',
        skiff: { caFile: ep.caFile, endpointFile: endpointFile(ctx.dataDir), dataDir: ctx.dataDir, pid: ep.pid ?? null },
        suffixes: {},
      };
    },
  },
];
