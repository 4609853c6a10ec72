// apps/v1 workloads validated as pkg/apis/apps/validation does: Deployment, ReplicaSet, StatefulSet,
// DaemonSet, ControllerRevision (spec rules and update immutability; ObjectMeta is checked by the caller).
import type { FieldError } from '../../machinery/errors.ts';
import { required, invalid, forbiddenField, notSupported } from '../../machinery/errors.ts';
import {
  type Obj, child, isObj, has, nonNegative, immutable, deepEqual, validateLabels, validateAnnotations, validateLabelSelector,
  selectorIsEmpty, selectorConvertible, selectorMatches, positiveIntOrPercent, notMoreThan100Percent, intOrPercentValue,
} from './common.ts';
import { validatePodTemplateSpec } from './pod.ts';
import { restartAlwaysOnly } from './core.ts';

const MATCH_MSG = '`selector` does not match template `labels`';

/** Selector required, valid, non-empty, and matching the template labels (Deployment, ReplicaSet). */
function selectorAndTemplate(spec: Obj, kind: string, errs: FieldError[], validateTemplate: boolean, emptyKind = 'deployment'): void {
  if (!has(spec.selector)) errs.push(required('spec.selector', ''));
  else {
    validateLabelSelector(spec.selector, 'spec.selector', errs);
    if (selectorIsEmpty(spec.selector)) errs.push(invalid('spec.selector', spec.selector, `empty selector is invalid for ${emptyKind}`));
  }
  if (has(spec.selector) && !selectorConvertible(spec.selector)) {
    errs.push(invalid('spec.selector', spec.selector, 'invalid label selector'));
    return;
  }
  const tpl: Obj = isObj(spec.template) ? spec.template : {};
  const labels = tpl.metadata?.labels;
  if (has(spec.selector) && !selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, labels)) {
    errs.push(invalid('spec.template.metadata.labels', labels ?? null, MATCH_MSG));
  }
  if (validateTemplate) validatePodTemplateSpec(tpl, 'spec.template', errs);
  restartAlwaysOnly(tpl, 'spec.template', kind, errs);
}

export function validateDeploymentSpec(d: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(d.spec) ? d.spec : {};
  nonNegative(spec.replicas, 'spec.replicas', errs);
  selectorAndTemplate(spec, 'ReplicaSet', errs, true);
  const strategy = spec.strategy;
  if (isObj(strategy) && has(strategy.type)) {
    switch (strategy.type) {
      case 'Recreate':
        if (has(strategy.rollingUpdate)) errs.push(forbiddenField('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
        break;
      case 'RollingUpdate':
        if (isObj(strategy.rollingUpdate)) {
          const ru = strategy.rollingUpdate;
          const p = 'spec.strategy.rollingUpdate';
          positiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable'), errs);
          positiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge'), errs);
          // unset values default to 25%
          const mu = has(ru.maxUnavailable) ? intOrPercentValue(ru.maxUnavailable) : 25;
          const ms = has(ru.maxSurge) ? intOrPercentValue(ru.maxSurge) : 25;
          if (mu === 0 && ms === 0) errs.push(invalid(child(p, 'maxUnavailable'), ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
          notMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable'), errs);
        }
        break;
      default:
        errs.push(notSupported('spec.strategy', strategy, ['Recreate', 'RollingUpdate']));
    }
  }
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errs);
  if (isObj(spec.rollbackTo)) nonNegative(spec.rollbackTo.revision, 'spec.rollback.version', errs);
  if (typeof spec.progressDeadlineSeconds === 'number') {
    nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', errs);
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
}

export function validateReplicaSetSpec(rs: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(rs.spec) ? rs.spec : {};
  nonNegative(spec.replicas, 'spec.replicas', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  selectorAndTemplate(spec, 'ReplicaSet', errs, true);
}

/** apps/v1 selectors are immutable (the registry strategies enforce this on update). */
export function validateSelectorUpdate(obj: Obj, old: Obj, errs: FieldError[]): void {
  immutable(obj.spec?.selector, old.spec?.selector, 'spec.selector', errs);
}

export function validateStatefulSetSpec(ss: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(ss.spec) ? ss.spec : {};
  if (has(spec.podManagementPolicy)) {
    if (spec.podManagementPolicy === '') errs.push(required('spec.podManagementPolicy', ''));
    else if (!['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy)) {
      errs.push(invalid('spec.podManagementPolicy', spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
    }
  }
  const us = spec.updateStrategy;
  if (isObj(us) && has(us.type)) {
    if (us.type === 'OnDelete') {
      if (has(us.rollingUpdate)) errs.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
    } else if (us.type === 'RollingUpdate') {
      if (isObj(us.rollingUpdate)) {
        const p = 'spec.updateStrategy.rollingUpdate';
        nonNegative(us.rollingUpdate.partition, child(p, 'partition'), errs);
        const mu = us.rollingUpdate.maxUnavailable;
        if (has(mu)) {
          positiveIntOrPercent(mu, child(p, 'maxUnavailable'), errs);
          if (intOrPercentValue(mu) === 0) errs.push(invalid(child(p, 'maxUnavailable'), mu, 'cannot be 0'));
          notMoreThan100Percent(mu, child(p, 'maxUnavailable'), errs);
        }
      }
    } else if (us.type === '') {
      errs.push(required('spec.updateStrategy', ''));
    } else {
      errs.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }
  const pvcPolicy = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(pvcPolicy)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      if (has(pvcPolicy[f]) && !['Retain', 'Delete'].includes(pvcPolicy[f])) {
        errs.push(notSupported(child('spec.persistentVolumeClaimRetentionPolicy', f), pvcPolicy[f], ['Retain', 'Delete']));
      }
    }
  }
  nonNegative(spec.replicas, 'spec.replicas', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  if (isObj(spec.ordinals)) nonNegative(spec.ordinals.start, 'spec.ordinals.start', errs);
  if (!has(spec.selector)) errs.push(required('spec.selector', ''));
  else {
    validateLabelSelector(spec.selector, 'spec.selector', errs);
    if (selectorIsEmpty(spec.selector)) errs.push(invalid('spec.selector', spec.selector, 'empty selector is invalid for statefulset'));
  }
  if (has(spec.selector) && !selectorConvertible(spec.selector)) {
    errs.push(invalid('spec.selector', spec.selector, ''));
  } else {
    // Upstream checks only the template's labels and annotations here, not the pod spec.
    const tpl: Obj = isObj(spec.template) ? spec.template : {};
    const labels = tpl.metadata?.labels;
    if (has(spec.selector) && !selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, labels)) {
      errs.push(invalid('spec.template.metadata.labels', labels ?? null, MATCH_MSG));
    }
    validateLabels(labels, 'spec.template.labels', errs);
    validateAnnotations(tpl.metadata?.annotations, 'spec.template.annotations', errs);
  }
  const rp = spec.template?.spec?.restartPolicy;
  if (has(rp) && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (has(spec.template?.spec?.activeDeadlineSeconds)) {
    errs.push(forbiddenField('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
}

export function validateStatefulSetUpdate(ss: Obj, old: Obj, errs: FieldError[]): void {
  const n: Obj = { ...(isObj(ss.spec) ? ss.spec : {}) };
  const o: Obj = isObj(old.spec) ? old.spec : {};
  for (const f of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy']) n[f] = o[f];
  if (!deepEqual(n, o)) {
    errs.push(forbiddenField('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
}

export function validateDaemonSetSpec(ds: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(ds.spec) ? ds.spec : {};
  if (!has(spec.selector)) errs.push(required('spec.selector', ''));
  validateLabelSelector(spec.selector, 'spec.selector', errs);
  const tpl: Obj = isObj(spec.template) ? spec.template : {};
  if (has(spec.selector) && selectorConvertible(spec.selector) && !selectorMatches(spec.selector, tpl.metadata?.labels)) {
    errs.push(invalid('spec.template.metadata.labels', tpl.metadata?.labels ?? null, MATCH_MSG));
  }
  if (has(spec.selector) && selectorIsEmpty(spec.selector)) errs.push(invalid('spec.selector', spec.selector, 'empty selector is invalid for daemonset'));
  validatePodTemplateSpec(tpl, 'spec.template', errs);
  restartAlwaysOnly(tpl, 'spec.template', 'DaemonSet', errs);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errs);
  nonNegative(spec.templateGeneration, 'spec.templateGeneration', errs);
  const us = spec.updateStrategy;
  if (isObj(us) && has(us.type)) {
    if (us.type === 'RollingUpdate') {
      if (isObj(us.rollingUpdate)) {
        const ru = us.rollingUpdate;
        const p = 'spec.updateStrategy.rollingUpdate';
        positiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable'), errs);
        positiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge'), errs);
        notMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable'), errs);
        notMoreThan100Percent(ru.maxSurge, child(p, 'maxSurge'), errs);
        const hasU = (has(ru.maxUnavailable) ? intOrPercentValue(ru.maxUnavailable) : 1) !== 0;
        const hasS = intOrPercentValue(ru.maxSurge) !== 0;
        if (hasU && hasS) errs.push(invalid(child(p, 'maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
        else if (!hasU && !hasS) errs.push(required(child(p, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
    } else if (us.type !== 'OnDelete') {
      errs.push(notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
    }
  }
  nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errs);
}

export function validateControllerRevision(cr: Obj, errs: FieldError[]): void {
  if (!has(cr.data)) errs.push(required('data', 'data is mandatory'));
  nonNegative(cr.revision, 'revision', errs);
}

export function validateControllerRevisionUpdate(cr: Obj, old: Obj, errs: FieldError[]): void {
  immutable(cr.data, old.data, 'data', errs);
}
