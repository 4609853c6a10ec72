// Authorization as kube-apiserver's `--authorization-mode=Node,RBAC`: the Node authorizer, RBAC
// with the default bootstrap policy and ClusterRole aggregation, their union, and
// upstream's 403 text.
export { chain, forbiddenError, forbiddenMessage, noOpinion, privilegedGroups, type Authorizer, type ChainOptions, type RuleSet } from './chain.ts';
export { rbacAuthorizer, storeLister, RbacAuthorizer, RBAC_GROUP, type RbacLister, type StoreSource } from './rbac.ts';
export { aggregateClusterRoles, aggregatedRules, sameRules } from './aggregation.ts';
export { bootstrapPolicy, nodeRules, BOOTSTRAP_LABEL, AUTOUPDATE_ANNOTATION, type BootstrapPolicy } from './bootstrap.ts';
export { nodeAuthorizer, NodeAuthorizer, NodeGraph, nodeIdentity, podReferences, type NodeAttributes, type EventSource, type CacheSource } from './node.ts';
export { ruleAllows, rulesAllow, rule, urlRule, type PolicyRule } from './rules.ts';
