// Name, label and address validators with upstream messages (k8s.io/apimachinery/pkg/util/validation,
// api/validation ValidateObjectMeta / ValidateObjectMetaUpdate, meta/v1/validation ValidateLabels), as of v0.32.
import { forbiddenField, invalid, required } from './errors.ts';
import type { FieldError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// Message builders (validation.MaxLenError, RegexError, EmptyError, InclusiveRangeError)

export const maxLenError = (n: number): string => `must be no more than ${n} characters`;
export const emptyError = (): string => 'must be non-empty';
export const inclusiveRangeError = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join('or ')}regex used for validation is '${fmt}')`;
}

/** Go's len(): the number of UTF-8 bytes, which is what upstream length limits count. */
function byteLen(s: string): number {
  // Fast path: pure ASCII strings (the usual case) have as many bytes as UTF-16 units.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

// ---------------------------------------------------------------------------------------------
// DNS names

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1035_LABEL_MAX_LENGTH = 63;

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(v)) {
    // A valid subdomain that is not a valid label (length already checked) must contain dots.
    if (dns1123SubdomainRe.test(v)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(v)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(v)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

const wildcardFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardRe = new RegExp(`^${wildcardFmt}$`);
const wildcardErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/** `*.example.com` (Ingress hosts). */
export function isWildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!wildcardRe.test(v)) errs.push(regexError(wildcardErrMsg, wildcardFmt, '*.example.com'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Qualified names (label and annotation keys) and label values

const qnameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qnameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qnameRe = new RegExp(`^${qnameFmt}$`);
const QNAME_MAX_LENGTH = 63;

/** A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    errs.push(
      `a qualified name ${regexError(qnameErrMsg, qnameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    return errs;
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLen(name) > QNAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QNAME_MAX_LENGTH)}`);
  if (!qnameRe.test(name)) errs.push(`name part ${regexError(qnameErrMsg, qnameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const labelValueFmt = `(${qnameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
export const LABEL_VALUE_MAX_LENGTH = 63;

export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(v)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Ports

export function isValidPortNum(n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isInRange(n: number, lo: number, hi: number): string[] {
  return n >= lo && n <= hi ? [] : [inclusiveRangeError(lo, hi)];
}

const portNameCharsetRe = /^[-a-z0-9]+$/;
const portNameLetterRe = /[a-z]/;

/** IANA_SVC_NAME: at most 15 characters of [-a-z0-9], at least one letter, no leading/trailing/double hyphen. */
export function isValidPortName(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > 15) errs.push(maxLenError(15));
  if (!portNameCharsetRe.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!portNameLetterRe.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (v.length > 0 && (v[0] === '-' || v[v.length - 1] === '-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDRs, parsed as k8s.io/utils/net ParseIPSloppy / ParseCIDRSloppy do (the Go 1.16
// parser: IPv4 octets may have leading zeros; no zones).

const BIG = 0xffffff;

function dtoi(s: string, start: number): [n: number, end: number] | null {
  let n = 0;
  let i = start;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    if (n >= BIG) return null;
  }
  return i === start ? null : [n, i];
}

function xtoi(s: string, start: number): [n: number, end: number] | null {
  let n = 0;
  let i = start;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else break;
    n = n * 16 + d;
    if (n >= BIG) return null;
  }
  return i === start ? null : [n, i];
}

function parseIPv4(s: string): number[] | null {
  const out: number[] = [];
  let pos = 0;
  for (let i = 0; i < 4; i++) {
    if (pos >= s.length) return null;
    if (i > 0) {
      if (s[pos] !== '.') return null;
      pos++;
    }
    const r = dtoi(s, pos);
    if (!r || r[0] > 0xff) return null;
    out.push(r[0]);
    pos = r[1];
  }
  return pos === s.length ? out : null;
}

function parseIPv6(s: string): number[] | null {
  const ip = new Array<number>(16).fill(0);
  let ellipsis = -1;
  let pos = 0;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    pos = 2;
    if (pos === s.length) return ip;
  }
  let i = 0;
  while (i < 16) {
    const r = xtoi(s, pos);
    if (!r || r[0] > 0xffff) return null;
    const [n, c] = r;
    if (c < s.length && s[c] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const ip4 = parseIPv4(s.slice(pos));
      if (!ip4) return null;
      for (let k = 0; k < 4; k++) ip[i + k] = ip4[k]!;
      i += 4;
      pos = s.length;
      break;
    }
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    pos = c;
    if (pos === s.length) break;
    if (s[pos] !== ':' || pos + 1 === s.length) return null;
    pos++;
    if (s[pos] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      pos++;
      if (pos === s.length) break;
    }
  }
  if (pos !== s.length) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

/** The address bytes (4 for IPv4, 16 for IPv6), or null when the string is not an IP address. */
export function parseIPSloppy(s: string): number[] | null {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '.') return parseIPv4(s);
    if (s[i] === ':') return parseIPv6(s);
  }
  return null;
}

/** {ip bytes, prefix length}, or null when the string is not a CIDR (ParseCIDRSloppy). */
export function parseCIDRSloppy(s: string): { ip: number[]; bits: number } | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  const ip = parseIPv4(addr) ?? parseIPv6(addr);
  if (!ip) return null;
  const r = dtoi(mask, 0);
  if (!r || r[1] !== mask.length || r[0] > 8 * ip.length) return null;
  return { ip, bits: r[0] };
}

export function isValidIP(v: string): string[] {
  return parseIPSloppy(v) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

export function isValidIPv4Address(v: string): string[] {
  const ip = parseIPSloppy(v);
  return ip && isV4(ip) ? [] : ['must be a valid IPv4 address'];
}

export function isValidIPv6Address(v: string): string[] {
  const ip = parseIPSloppy(v);
  return ip && !isV4(ip) ? [] : ['must be a valid IPv6 address'];
}

/** IPv4, or IPv4-mapped IPv6 (`::ffff:a.b.c.d`), as net.IP.To4() != nil. */
function isV4(ip: number[]): boolean {
  if (ip.length === 4) return true;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

export function isValidCIDR(v: string): string[] {
  return parseCIDRSloppy(v) ? [] : ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
}

// ---------------------------------------------------------------------------------------------
// Identifiers, environment variable names, ConfigMap keys, percentages, HTTP header names

const cIdentifierFmt = '[A-Za-z_][A-Za-z0-9_]*';
const cIdentifierRe = new RegExp(`^${cIdentifierFmt}$`);
const cIdentifierErrMsg = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'";

export function isCIdentifier(v: string): string[] {
  return cIdentifierRe.test(v) ? [] : [regexError(cIdentifierErrMsg, cIdentifierFmt, 'my_name', 'MY_NAME', 'MyName')];
}

function hasChDirPrefix(v: string): string[] {
  if (v === '.') return [`must not be '.'`];
  if (v === '..') return [`must not be '..'`];
  if (v.startsWith('..')) return [`must not start with '..'`];
  return [];
}

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);
const envVarNameErrMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";

export function isEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(v)) errs.push(regexError(envVarNameErrMsg, envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  errs.push(...hasChDirPrefix(v));
  return errs;
}

/** IsRelaxedEnvVarName: the rule used when the RelaxedEnvironmentVariableValidation feature gate is on. */
export function isRelaxedEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (v.length === 0) errs.push(`environment variable name ${emptyError()}`);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x3d) {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (byteLen(v) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!configMapKeyRe.test(v)) errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  errs.push(...hasChDirPrefix(v));
  return errs;
}

const percentFmt = '[0-9]+%';
const percentRe = new RegExp(`^${percentFmt}$`);

export function isValidPercent(v: string): string[] {
  return percentRe.test(v)
    ? []
    : [regexError("a valid percent string must be a numeric string followed by an ending '%'", percentFmt, '1%', '93%')];
}

const httpHeaderNameFmt = '[-A-Za-z0-9]+';
const httpHeaderNameRe = new RegExp(`^${httpHeaderNameFmt}$`);

export function isHTTPHeaderName(v: string): string[] {
  return httpHeaderNameRe.test(v)
    ? []
    : [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", httpHeaderNameFmt, 'X-Header-Name')];
}

// ---------------------------------------------------------------------------------------------
// Name validators for ObjectMeta (api/validation NameIsDNSSubdomain & co). `prefix` is true for
// metadata.generateName, where a trailing '-' is allowed because a suffix will follow.

export type NameValidator = (name: string, prefix?: boolean) => string[];

/** Upstream masks a trailing dash of a generateName by replacing the last TWO characters with 'a'. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** path.ValidatePathSegmentName: names that only need to be safe as one URL path segment (RBAC, ...). */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix) {
    if (name === '.' || name === '..') return [`may not be '${name}'`];
  }
  const errs: string[] = [];
  if (name.includes('/')) errs.push(`may not contain '/'`);
  if (name.includes('%')) errs.push(`may not contain '%'`);
  return errs;
};

// ---------------------------------------------------------------------------------------------
// ObjectMeta

export const FIELD_IMMUTABLE = 'field is immutable';
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** meta/v1/validation ValidateLabels: every key a qualified name, every value a label value. */
export function validateLabels(labels: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(labels)) return errs;
  for (const k of Object.keys(labels)) {
    for (const m of isQualifiedName(k)) errs.push(invalid(fieldPath, k, m));
    const v = labels[k];
    const s = typeof v === 'string' ? v : String(v);
    for (const m of isValidLabelValue(s)) errs.push(invalid(fieldPath, s, m));
  }
  return errs;
}

/** api/validation ValidateAnnotations: keys are qualified names ignoring case; keys+values ≤ 256 KiB. */
export function validateAnnotations(annotations: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(annotations)) return errs;
  let total = 0;
  for (const k of Object.keys(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(fieldPath, k, m));
    const v = annotations[k];
    total += byteLen(k) + byteLen(typeof v === 'string' ? v : String(v ?? ''));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push({ type: 'FieldValueTooLong', field: fieldPath, detail: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes` });
  }
  return errs;
}

function splitAPIVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  if (i < 0) return { group: '', version: apiVersion };
  // schema.ParseGroupVersion accepts at most one '/'; FromAPIVersionAndKind leaves it empty otherwise.
  if (apiVersion.indexOf('/', i + 1) >= 0) return { group: '', version: '' };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** api/validation ValidateOwnerReferences. */
export function validateOwnerReferences(refs: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let firstController = '';
  for (const ref of refs) {
    const r = isRecord(ref) ? ref : {};
    const apiVersion = typeof r.apiVersion === 'string' ? r.apiVersion : '';
    const kind = typeof r.kind === 'string' ? r.kind : '';
    const name = typeof r.name === 'string' ? r.name : '';
    const uid = typeof r.uid === 'string' ? r.uid : '';
    const gv = splitAPIVersion(apiVersion);
    if (!gv.version) errs.push(invalid(`${fieldPath}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(`${fieldPath}.kind`, kind, 'kind must not be empty'));
    if (!name) errs.push(invalid(`${fieldPath}.name`, name, 'name must not be empty'));
    if (!uid) errs.push(invalid(`${fieldPath}.uid`, uid, 'uid must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(invalid(fieldPath, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (r.controller === true) {
      const cur = `${kind}/${name}`;
      if (firstController) {
        errs.push(
          invalid(fieldPath, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`),
        );
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

const FINALIZER_ORPHAN = 'orphan';
const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

/** api/validation ValidateFinalizers. */
export function validateFinalizers(finalizers: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  let orphan = false;
  let foreground = false;
  for (const f of finalizers) {
    const s = typeof f === 'string' ? f : String(f);
    for (const m of isQualifiedName(s)) errs.push(invalid(fieldPath, s, m));
    if (s === FINALIZER_ORPHAN) orphan = true;
    if (s === FINALIZER_DELETE_DEPENDENTS) foreground = true;
  }
  if (orphan && foreground) {
    errs.push(invalid(fieldPath, finalizers, `finalizer ${FINALIZER_ORPHAN} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`));
  }
  return errs;
}

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const isPrintable = (ch: string): boolean => PRINTABLE.test(ch);

/** meta/v1/validation ValidateFieldManager: at most 128 bytes, printable characters only. */
export function validateFieldManager(manager: string, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (byteLen(manager) > 128) errs.push({ type: 'FieldValueTooLong', field: fieldPath, detail: 'may not be more than 128 bytes' });
  let bytePos = 0;
  for (const ch of manager) {
    if (!isPrintable(ch)) {
      const cp = ch.codePointAt(0)!;
      const hex = cp.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(fieldPath, manager, `invalid character U+${hex} (at position ${bytePos})`));
    }
    bytePos += Buffer.byteLength(ch, 'utf8');
  }
  return errs;
}

/** meta/v1/validation ValidateManagedFields. */
export function validateManagedFields(entries: unknown, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(entries)) return errs;
  entries.forEach((e, i) => {
    const r = isRecord(e) ? e : {};
    const p = `${fieldPath}[${i}]`;
    const op = typeof r.operation === 'string' ? r.operation : '';
    if (op !== 'Apply' && op !== 'Update') errs.push(invalid(`${p}.operation`, op, 'must be `Apply` or `Update`'));
    const ft = typeof r.fieldsType === 'string' ? r.fieldsType : '';
    if (ft && ft !== 'FieldsV1') errs.push(invalid(`${p}.fieldsType`, ft, 'must be `FieldsV1`'));
    errs.push(...validateFieldManager(typeof r.manager === 'string' ? r.manager : '', `${p}.manager`));
    const sub = typeof r.subresource === 'string' ? r.subresource : '';
    if (byteLen(sub) > 256) errs.push({ type: 'FieldValueTooLong', field: `${p}.subresource`, detail: 'may not be more than 256 bytes' });
  });
  return errs;
}

export interface ObjectMetaOptions {
  namespaced: boolean;
  /** Validates metadata.name (and generateName, with prefix=true). Default: DNS-1123 subdomain. */
  nameValidator?: NameValidator;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * ValidateObjectMeta for a create: name or generateName, name format, namespace presence, generation,
 * labels, annotations, owner references, finalizers and managed fields. Expects generateName to have
 * been turned into a name already (as the registry does before validating).
 */
export function validateObjectMeta(meta: any, opts: ObjectMetaOptions, fieldPath = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m: Record<string, unknown> = isRecord(meta) ? meta : {};
  const nameFn = opts.nameValidator ?? nameIsDNSSubdomain;
  const generateName = str(m.generateName);
  const name = str(m.name);
  const namespace = str(m.namespace);

  if (generateName) {
    // A validator that ignores `prefix` still accepts the trailing dash thanks to the mask.
    for (const msg of nameFn(nameFn.length >= 2 ? generateName : maskTrailingDash(generateName), true)) {
      errs.push(invalid(`${fieldPath}.generateName`, generateName, msg));
    }
  }
  if (!name) errs.push(required(`${fieldPath}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(name, false)) errs.push(invalid(`${fieldPath}.name`, name, msg));

  if (opts.namespaced) {
    if (!namespace) errs.push(required(`${fieldPath}.namespace`));
    else for (const msg of isDNS1123Label(namespace)) errs.push(invalid(`${fieldPath}.namespace`, namespace, msg));
  } else if (namespace) {
    errs.push(forbiddenField(`${fieldPath}.namespace`, 'not allowed on this type'));
  }

  const generation = typeof m.generation === 'number' ? m.generation : 0;
  if (generation < 0) errs.push(invalid(`${fieldPath}.generation`, generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(m.labels, `${fieldPath}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${fieldPath}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${fieldPath}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${fieldPath}.finalizers`));
  errs.push(...validateManagedFields(m.managedFields, `${fieldPath}.managedFields`));
  return errs;
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null || v === '';

/** Go equality of the old and new field: absent and empty are the same zero value. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (isAbsent(a) && isAbsent(b));
}

/** metav1.Time equality: the same instant (RFC 3339 seconds), however it is spelled. */
function sameTime(a: unknown, b: unknown): boolean {
  if (sameValue(a, b)) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const ta = Date.parse(a);
  return !Number.isNaN(ta) && ta === Date.parse(b);
}

/**
 * ValidateObjectMetaUpdate: resourceVersion must be set (the store fills it in for unconditional
 * updates before validating), generation must not go down, name/namespace/uid/creationTimestamp/
 * deletionTimestamp/deletionGracePeriodSeconds are immutable, no new finalizers once deleting, and
 * the new labels/annotations/ownerReferences/managedFields must be valid.
 */
export function validateObjectMetaUpdate(newMeta: any, oldMeta: any, fieldPath = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const n: Record<string, unknown> = isRecord(newMeta) ? newMeta : {};
  const o: Record<string, unknown> = isRecord(oldMeta) ? oldMeta : {};

  if (o.deletionTimestamp) {
    const oldSet = new Set(Array.isArray(o.finalizers) ? o.finalizers.map(String) : []);
    const extra = [...new Set(Array.isArray(n.finalizers) ? n.finalizers.map(String) : [])].filter((f) => !oldSet.has(f)).sort();
    if (extra.length) {
      errs.push(
        forbiddenField(
          `${fieldPath}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  const rv = str(n.resourceVersion);
  if (!rv) errs.push(invalid(`${fieldPath}.resourceVersion`, rv, 'must be specified for an update'));
  const ng = typeof n.generation === 'number' ? n.generation : 0;
  const og = typeof o.generation === 'number' ? o.generation : 0;
  if (ng < og) errs.push(invalid(`${fieldPath}.generation`, ng, 'must not be decremented'));

  for (const f of ['name', 'namespace', 'uid'] as const) {
    if (!sameValue(n[f], o[f])) errs.push(invalid(`${fieldPath}.${f}`, str(n[f]), FIELD_IMMUTABLE));
  }
  for (const f of ['creationTimestamp', 'deletionTimestamp'] as const) {
    if (!sameTime(n[f], o[f])) errs.push(invalid(`${fieldPath}.${f}`, n[f] ?? null, FIELD_IMMUTABLE));
  }
  if (!sameValue(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds)) {
    errs.push(invalid(`${fieldPath}.deletionGracePeriodSeconds`, n.deletionGracePeriodSeconds ?? null, FIELD_IMMUTABLE));
  }

  errs.push(...validateLabels(n.labels, `${fieldPath}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${fieldPath}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${fieldPath}.ownerReferences`));
  errs.push(...validateManagedFields(n.managedFields, `${fieldPath}.managedFields`));
  return errs;
}
