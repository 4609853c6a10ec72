// The AKS cluster autoscaler's public surface: the autoscaler, its profile (ARM autoScalerProfile)
// and the node group contract the managed service's node pools implement.
export { ClusterAutoscaler, STATUS_CONFIGMAP, PRIORITY_CONFIGMAP, TO_BE_DELETED_TAINT, type ClusterAutoscalerOptions } from './autoscaler.ts';
export { defaultAutoscalerProfile, parseAutoscalerProfile, normalizeArmProfile, parseDuration, DEFAULT_ARM_AUTOSCALER_PROFILE, AutoscalerProfileError, EXPANDERS, type AutoscalerProfile, type ArmAutoscalerProfile, type Expander } from './profile.ts';
export type { NodeGroup, NodeTemplate } from './types.ts';
