// DefaultBinder plugin (pkg/scheduler/framework/plugins/defaultbinder): binds through the
// pods/binding subresource.
import { errorStatus, type BindPlugin, type CycleState, type Handle, type Result } from '../../types.ts';
import type { PodInfo } from '../../nodeinfo.ts';

export const NAME = 'DefaultBinder';

export function defaultBinder(h: Handle): BindPlugin {
  return {
    name: NAME,
    async bind(_s: CycleState, pod: PodInfo, nodeName: string): Promise<Result> {
      try {
        await h.client.pods(pod.namespace).createSubresource(pod.name, 'binding', {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.name, namespace: pod.namespace, uid: pod.pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        });
        return null;
      } catch (e) {
        return errorStatus(e);
      }
    },
  };
}
