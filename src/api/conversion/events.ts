// core/v1 Event <-> events.k8s.io/v1 Event, one stored object (pkg/apis/events/v1/conversion.go plus the
// generated field copies). The output has the shape Go serializes: fields without `omitempty` (or structs,
// which omitempty never drops) are always present, zero times as null.
//
//   core/v1              events.k8s.io/v1
//   involvedObject   <-> regarding
//   message          <-> note
//   source           <-> deprecatedSource
//   firstTimestamp   <-> deprecatedFirstTimestamp
//   lastTimestamp    <-> deprecatedLastTimestamp
//   count            <-> deprecatedCount
//   reportingComponent <-> reportingController
//   reportingInstance, eventTime, series {count, lastObservedTime}, action, reason, type, related: same names
import { has, isObj, str } from './shared.ts';
import type { Obj } from './shared.ts';

const nz = (v: unknown): boolean => has(v) && v !== 0;

/** core/v1 Event (the stored form) as events.k8s.io/v1. */
export function coreEventToEventsV1(e: Obj): Obj {
  const out: Obj = {
    apiVersion: 'events.k8s.io/v1',
    kind: e.kind,
    metadata: isObj(e.metadata) ? { ...e.metadata } : {},
    eventTime: e.eventTime ?? null,
  };
  if (isObj(e.series)) out.series = { count: e.series.count ?? 0, lastObservedTime: e.series.lastObservedTime ?? null };
  if (str(e.reportingComponent)) out.reportingController = e.reportingComponent;
  if (str(e.reportingInstance)) out.reportingInstance = e.reportingInstance;
  if (str(e.action)) out.action = e.action;
  if (str(e.reason)) out.reason = e.reason;
  out.regarding = e.involvedObject ?? {};
  if (has(e.related)) out.related = e.related;
  if (str(e.message)) out.note = e.message;
  if (str(e.type)) out.type = e.type;
  out.deprecatedSource = e.source ?? {};
  out.deprecatedFirstTimestamp = e.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = e.lastTimestamp ?? null;
  if (nz(e.count)) out.deprecatedCount = e.count;
  return out;
}

/** events.k8s.io/v1 Event as core/v1 (how it is stored, and how `kubectl get events` sees it). */
export function eventsV1ToCoreEvent(e: Obj): Obj {
  const out: Obj = {
    apiVersion: 'v1',
    kind: e.kind,
    metadata: isObj(e.metadata) ? { ...e.metadata } : {},
    involvedObject: e.regarding ?? {},
  };
  if (str(e.reason)) out.reason = e.reason;
  if (str(e.note)) out.message = e.note;
  out.source = e.deprecatedSource ?? {};
  out.firstTimestamp = e.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = e.deprecatedLastTimestamp ?? null;
  if (nz(e.deprecatedCount)) out.count = e.deprecatedCount;
  if (str(e.type)) out.type = e.type;
  out.eventTime = e.eventTime ?? null;
  if (isObj(e.series)) {
    // core/v1 EventSeries.count is omitempty; lastObservedTime is a struct, so always written.
    const series: Obj = {};
    if (nz(e.series.count)) series.count = e.series.count;
    series.lastObservedTime = e.series.lastObservedTime ?? null;
    out.series = series;
  }
  if (str(e.action)) out.action = e.action;
  if (has(e.related)) out.related = e.related;
  out.reportingComponent = e.reportingController ?? '';
  out.reportingInstance = e.reportingInstance ?? '';
  return out;
}
