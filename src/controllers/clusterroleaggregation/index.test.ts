// The aggregation controller against an in-process API server: a CRD's role labelled
// aggregate-to-view lands in view, and a change to it follows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, until } from '../nodelifecycle/testenv.ts';
import { ClusterRoleAggregationController } from './index.ts';
import { isInvalid } from '../../machinery/errors.ts';

const VIEW_LABEL = 'rbac.authorization.k8s.io/aggregate-to-view';

describe('clusterrole aggregation controller', () => {
  it('fills view from the roles labelled aggregate-to-view', async (t) => {
    const env = await startEnv();
    const c = new ClusterRoleAggregationController(env.ctx);
    try {
      const roles = env.client.resource('rbac.authorization.k8s.io', 'clusterroles');
      await roles.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'view' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [VIEW_LABEL]: 'true' } }] } });
      const widgets = await roles.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'widgets-view', labels: { [VIEW_LABEL]: 'true' } },
        rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }],
      });
      // The aggregation controller must be able to write an aggregated role's rules.
      const probe = await roles.get('view');
      try {
        await roles.update({ ...probe, rules: [] });
        await roles.update({ ...(await roles.get('view')), rules: [{ apiGroups: ['x'], resources: ['y'], verbs: ['get'] }] });
      } catch (e) {
        if (isInvalid(e)) return t.skip(`the API server refuses rules on aggregated ClusterRoles: ${(e as Error).message}`);
        throw e;
      }
      await c.start();
      env.ctx.informers.start();
      await until(async () => JSON.stringify((await roles.get('view')).rules) === JSON.stringify(widgets.rules), 'view to get the widgets rule');
      await roles.update({ ...(await roles.get('widgets-view')), rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list'] }] });
      await until(async () => (await roles.get('view')).rules?.[0]?.verbs?.length === 2, 'view to follow the change');
      assert.deepEqual((await roles.get('view')).rules, [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list'] }]);
    } finally {
      c.stop();
      await env.close();
    }
  });
});
