// Status conditions of workload objects, as upstream's deployment/replicaset util SetCondition,
// GetCondition and RemoveCondition: setting a condition with the same status and reason is a no-op;
// a changed reason keeps lastTransitionTime when the status is unchanged.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export function getCondition<C extends Condition>(conds: C[] | undefined | null, type: string): C | undefined {
  if (!conds) return undefined;
  for (const c of conds) if (c.type === type) return c;
  return undefined;
}

/** Returns the new condition list (the input is not modified). */
export function setCondition<C extends Condition>(conds: C[] | undefined | null, cond: C): C[] {
  const list = conds ?? [];
  const cur = getCondition(list, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return list;
  const next = { ...cond };
  if (cur && cur.status === cond.status && cur.lastTransitionTime !== undefined) next.lastTransitionTime = cur.lastTransitionTime;
  return [...list.filter((c) => c.type !== cond.type), next];
}

export function removeCondition<C extends Condition>(conds: C[] | undefined | null, type: string): C[] {
  return (conds ?? []).filter((c) => c.type !== type);
}
