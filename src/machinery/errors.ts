// The one error type of the API: a StatusError carries a metav1 Status with the upstream reason,
// code, message and field causes (k8s.io/apimachinery/pkg/api/errors). Callers branch on the
// predicates, never on message text.

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'Expired'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable'
  | '';

/** A field-level problem (metav1.StatusCause; field.Error upstream). */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? '';
  }
}

/** The group-qualified resource as upstream messages print it: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export const notFound = (gr: GroupResource, name: string) =>
  new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource });

export const alreadyExists = (gr: GroupResource, name: string) =>
  new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource });

export const conflict = (gr: GroupResource, name: string, why: string) =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group, kind: gr.resource });

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
export const methodNotAllowed = (message: string) => new StatusError(405, 'MethodNotAllowed', message);
export const gone = (message: string) => new StatusError(410, 'Expired', message);
export const internalError = (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message }] });
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
export const forbidden = (gr: GroupResource, name: string, why: string) =>
  new StatusError(403, 'Forbidden', name ? `${qualified(gr)} "${name}" is forbidden: ${why}` : `${qualified(gr)} is forbidden: ${why}`, { name, group: gr.group, kind: gr.resource });

/** field.ErrorType strings as upstream writes them into causes[].reason. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** For Invalid/NotSupported/Duplicate/NotFound: the offending value, printed in the message. */
  value?: unknown;
  detail?: string;
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

const withValue = new Set<FieldErrorType>(['FieldValueNotFound', 'FieldValueDuplicate', 'FieldValueInvalid', 'FieldValueNotSupported', 'FieldValueTypeInvalid']);

function printValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The body of a field error without the field path: `Invalid value: "X": must be ...`. */
export function fieldErrorBody(e: FieldError): string {
  let s = typeText[e.type];
  if (withValue.has(e.type)) s += `: ${printValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `field: Invalid value: "X": detail`, as field.Error.Error(). */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

// Constructors mirroring k8s.io/apimachinery/pkg/util/validation/field.
export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
export const invalid = (field: string, value: unknown, detail = ''): FieldError => ({ type: 'FieldValueInvalid', field, value, detail });
export const forbiddenField = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value });
export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
});
export const tooLong = (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `may not be more than ${max} bytes` });

/** 422 Invalid, as errors.NewInvalid: `Kind "name" is invalid: <errors>`. */
export function invalidError(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
  const msgs = errs.map(fieldErrorString);
  const joined = msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

export const isStatusError = (e: unknown): e is StatusError => e instanceof StatusError;
export const isNotFound = (e: unknown) => e instanceof StatusError && e.reason === 'NotFound';
export const isAlreadyExists = (e: unknown) => e instanceof StatusError && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown) => e instanceof StatusError && e.reason === 'Conflict';
export const isInvalid = (e: unknown) => e instanceof StatusError && e.reason === 'Invalid';
export const isGone = (e: unknown) => e instanceof StatusError && (e.code === 410);
export const isTooManyRequests = (e: unknown) => e instanceof StatusError && e.code === 429;
