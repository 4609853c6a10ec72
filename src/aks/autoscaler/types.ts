// The cluster autoscaler's cloud-provider contract (upstream cloudprovider.NodeGroup, cut down):
// what AKS's node pools (VM scale sets) offer the autoscaler — sizes, a template node for
// scale-up simulation, the member nodes, and resizing.

export interface NodeTemplate {
  /** Node capacity/allocatable, e.g. { cpu: '4', memory: '16Gi', pods: '110' }. */
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
}

export interface NodeGroup {
  name: string;
  minSize(): number;
  maxSize(): number;
  targetSize(): number;
  nodeTemplate(): NodeTemplate;
  nodeNames(): string[];
  increaseSize(delta: number): Promise<void>;
  deleteNodes(names: string[]): Promise<void>;
}
