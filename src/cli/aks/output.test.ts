// az's output formats: sorted JSON, tabulate's simple tables with az's AKS columns, tsv, yaml, --query.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatResult, formatTable, checkQuery } from './output.ts';
import { clusterRow, upgradesRow, versionsRows, defaultDnsPrefix } from './aks.ts';
import { poolRow } from './nodepool.ts';

const mc = {
  id: '/subscriptions/s/resourcegroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1',
  name: 'c1',
  location: 'eastus',
  resourceGroup: 'rg1',
  kubernetesVersion: '1.31',
  currentKubernetesVersion: '1.31.2',
  provisioningState: 'Succeeded',
  fqdn: 'c1-rg1-000000.hcp.eastus.skiff.local',
  agentPoolProfiles: [{ name: 'nodepool1', count: 2, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'System', maxPods: 110, provisioningState: 'Succeeded', orchestratorVersion: '1.31.2', osDiskSizeGb: 128 }],
  enableRbac: true,
};

describe('json', () => {
  it('sorts keys at every level and indents by two', () => {
    assert.equal(formatResult({ b: 1, a: { d: true, c: null } }, { output: 'json' }), '{\n  "a": {\n    "c": null,\n    "d": true\n  },\n  "b": 1\n}\n');
  });
  it('prints nothing for a null result', () => {
    assert.equal(formatResult({ a: 1 }, { output: 'json', query: 'nope' }), '');
  });
});

describe('table', () => {
  it('lays out az aks list columns as tabulate does', () => {
    const out = formatResult([mc], { output: 'table', table: (rows: any[]) => rows.map(clusterRow) });
    assert.equal(
      out,
      [
        'Name    Location    ResourceGroup    KubernetesVersion    CurrentKubernetesVersion    ProvisioningState    Fqdn',
        '------  ----------  ---------------  -------------------  --------------------------  -------------------  ------------------------------------',
        'c1      eastus      rg1              1.31                 1.31.2                      Succeeded            c1-rg1-000000.hcp.eastus.skiff.local',
        '',
      ].join('\n'),
    );
  });

  it('drops null columns as az does (nodepool list has no OsDiskSizeGB: az prints osDiskSizeGb)', () => {
    const out = formatTable(mc.agentPoolProfiles, (rows: any[]) => rows.map(poolRow), false);
    const [head, dashes, row] = out.split('\n');
    assert.equal(head, 'Name       OsType    KubernetesVersion    VmSize           Count    MaxPods    ProvisioningState    Mode');
    assert.equal(dashes, '---------  --------  -------------------  ---------------  -------  ---------  -------------------  ------');
    assert.equal(row, 'nodepool1  Linux     1.31.2               Standard_DS2_v2  2        110        Succeeded            System');
  });

  it('without a transformer: scalar fields only, sorted, id/type skipped, Python booleans', () => {
    const out = formatResult({ zeta: 'z', id: 'x', type: 't', alpha: true, nested: { a: 1 } }, { output: 'table' });
    assert.equal(out, 'Alpha    Zeta\n-------  ------\nTrue     z\n');
  });

  it('with --query, keeps the query\'s column order and ignores the transformer', () => {
    const out = formatResult([mc], { output: 'table', query: '[].{n:name, v:currentKubernetesVersion}', table: () => [{ x: 1 }] });
    assert.equal(out, 'N    V\n---  ------\nc1   1.31.2\n');
  });

  it('get-upgrades and get-versions rows', () => {
    assert.deepEqual(upgradesRow({ name: 'default', resourceGroup: 'rg', controlPlaneProfile: { kubernetesVersion: '1.30.1', upgrades: [{ kubernetesVersion: '1.31.2' }, { kubernetesVersion: '1.30.10' }, { kubernetesVersion: '1.30.9', isPreview: true }] } }), {
      name: 'default',
      resourceGroup: 'rg',
      masterVersion: '1.30.1',
      upgrades: '1.30.9(preview), 1.30.10, 1.31.2',
    });
    assert.equal(upgradesRow({ controlPlaneProfile: { kubernetesVersion: '1.32.0' } }).upgrades, 'None available');
    const rows = versionsRows({ values: [{ version: '1.30', capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { '1.30.9': { upgrades: ['1.31.1'] } } }, { version: '1.31', patchVersions: { '1.31.1': { upgrades: [] } } }] });
    assert.deepEqual(rows.map((r) => r.kubernetesVersion), ['1.31.1', '1.30.9']);
    assert.equal(rows[0]!.upgrades, 'None available');
    assert.equal(rows[1]!.supportPlan, 'KubernetesOfficial');
  });
});

describe('tsv', () => {
  it('prints values in key order, list lengths, empty for objects, None for nulls', () => {
    assert.equal(formatResult([{ b: 'x', a: [1, 2], c: { d: 1 }, e: null, f: false }], { output: 'tsv' }), '2\tx\t\tNone\tFalse\n');
  });
  it('keeps a query\'s order and prints bare scalars', () => {
    assert.equal(formatResult([mc], { output: 'tsv', query: '[].[name, location]' }), 'c1\teastus\n');
    assert.equal(formatResult(mc, { output: 'tsv', query: '{z: name, a: location}' }), 'c1\teastus\n');
    assert.equal(formatResult(mc, { output: 'tsv', query: 'name' }), 'c1\n');
    assert.equal(formatResult(true, { output: 'tsv' }), 'true\n');
  });
});

describe('yaml, none, query checks', () => {
  it('yaml has sorted keys and unindented lists as PyYAML', () => {
    assert.equal(formatResult({ b: [1], a: 'x' }, { output: 'yaml' }), 'a: x\nb:\n- 1\n');
  });
  it('none prints nothing', () => {
    assert.equal(formatResult(mc, { output: 'none' }), '');
  });
  it('a malformed query is a usage error', () => {
    assert.throws(() => checkQuery('[?'), { message: "argument --query: invalid jmespath_type value: '[?'" });
    checkQuery('agentPoolProfiles[0].count');
  });
  it('dns prefix as az derives it', () => {
    assert.equal(defaultDnsPrefix('my_cluster-name-long', 'my.resource.group.name.x', '1234567890'), 'mycluster--myresourcegroupn-123456');
    assert.equal(defaultDnsPrefix('1abc', 'rg', 'abcdef12'), 'a1abc-rg-abcdef');
  });
});
