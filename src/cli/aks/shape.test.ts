// ARM JSON as az prints it: properties flattened, SDK attribute names, user maps untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { azKey, toAz, resourceGroupOf } from './shape.ts';

describe('az shape', () => {
  it('names fields by the Python SDK attribute, camel-cased', () => {
    const cases: Record<string, string> = {
      enableRBAC: 'enableRbac',
      osDiskSizeGB: 'osDiskSizeGb',
      dnsServiceIP: 'dnsServiceIp',
      podCidr: 'podCidr',
      podCIDRs: 'podCidrs',
      authorizedIPRanges: 'authorizedIpRanges',
      azurePortalFQDN: 'azurePortalFqdn',
      nodeOSUpgradeChannel: 'nodeOsUpgradeChannel',
      'scale-down-delay-after-add': 'scaleDownDelayAfterAdd',
      vnetSubnetID: 'vnetSubnetId',
      count: 'count',
      kubernetesVersion: 'kubernetesVersion',
    };
    for (const [rest, az] of Object.entries(cases)) assert.equal(azKey(rest), az, rest);
  });

  it('flattens properties, keeps tags and labels, adds resourceGroup', () => {
    const arm = {
      id: '/subscriptions/s/resourceGroups/RG1/providers/Microsoft.ContainerService/managedClusters/c1',
      name: 'c1',
      tags: { 'Cost-Center': 'x' },
      properties: {
        enableRBAC: true,
        agentPoolProfiles: [{ name: 'p', nodeLabels: { 'team.io/Owner': 'a' }, osDiskSizeGB: 128 }],
        autoScalerProfile: { 'scan-interval': '10s' },
        addonProfiles: { omsAgent: { enabled: false, config: { logAnalyticsWorkspaceResourceID: 'x' } } },
      },
    };
    const az = toAz(arm);
    assert.equal(az.resourceGroup, 'RG1');
    assert.equal(az.enableRbac, true);
    assert.deepEqual(az.tags, { 'Cost-Center': 'x' });
    assert.deepEqual(az.agentPoolProfiles[0], { name: 'p', nodeLabels: { 'team.io/Owner': 'a' }, osDiskSizeGb: 128 });
    assert.deepEqual(az.autoScalerProfile, { scanInterval: '10s' });
    assert.deepEqual(az.addonProfiles, { omsAgent: { enabled: false, config: { logAnalyticsWorkspaceResourceID: 'x' } } });
    assert.equal(az.properties, undefined);
  });

  it('finds the resource group in any casing of the segment', () => {
    assert.equal(resourceGroupOf('/subscriptions/s/resourcegroups/abc/providers/x'), 'abc');
    assert.equal(resourceGroupOf('/subscriptions/s'), undefined);
  });
});
