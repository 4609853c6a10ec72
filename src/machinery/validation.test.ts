// Tests for the name/label validators and ObjectMeta validation, with upstream messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString } from './errors.ts';
import {
  isCIdentifier,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNSLabel,
  nameIsPathSegment,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './validation.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QNAME_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

test('DNS-1123 subdomain', () => {
  for (const good of ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '1.a', 'a.b.c', 'a.1', '11.22.33', 'a'.repeat(253)]) {
    assert.deepEqual(isDNS1123Subdomain(good), [], good);
  }
  for (const bad of ['', 'A', 'ABC', 'aBc', 'A1', 'a-', '-a', 'a_b', 'a.', '.a', 'a..b', 'a$b', 'a b', '_a', 'a@b']) {
    assert.deepEqual(isDNS1123Subdomain(bad), [SUBDOMAIN_MSG], bad);
  }
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('DNS-1123 label and DNS-1035 label', () => {
  assert.deepEqual(isDNS1123Label('my-name'), []);
  assert.deepEqual(isDNS1123Label('123-abc'), []);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('Abc'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1035Label('abc-123'), []);
  assert.deepEqual(isDNS1035Label('1abc'), [
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(isWildcardDNS1123Subdomain('*.example.com'), []);
  assert.equal(isWildcardDNS1123Subdomain('*.*.example.com').length, 1);
});

test('qualified names (label and annotation keys)', () => {
  for (const good of ['simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple', 'example.com/Upper-Case', 'a.b.c.d/' + 'x'.repeat(63)]) {
    assert.deepEqual(isQualifiedName(good), [], good);
  }
  assert.deepEqual(isQualifiedName('nospecialchars%^=@'), [QNAME_NAME_MSG]);
  assert.deepEqual(isQualifiedName('/simple'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('example.com/'), ['name part must be non-empty', QNAME_NAME_MSG]);
  assert.deepEqual(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.deepEqual(isQualifiedName('Example.com/x'), [`prefix part ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(isQualifiedName('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
});

test('label values', () => {
  for (const good of ['', 'simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', 'UPPER', 'a.b_c-d', 'x'.repeat(63)]) assert.deepEqual(isValidLabelValue(good), [], good);
  assert.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isValidLabelValue('-x'), [
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  ]);
  assert.equal(isValidLabelValue('a b').length, 1);
});

test('ports', () => {
  assert.deepEqual(isValidPortNum(1), []);
  assert.deepEqual(isValidPortNum(65535), []);
  assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
  assert.deepEqual(isValidPortNum(65536), ['must be between 1 and 65535, inclusive']);
  for (const good of ['telnet', 're-mail-ck', 'pop3', 'a', 'a-1', '1-a', 'a-1-b-2-c', '1-a-2-b-3']) assert.deepEqual(isValidPortName(good), [], good);
  assert.deepEqual(isValidPortName('longerthan15characters'), ['must be no more than 15 characters']);
  assert.deepEqual(isValidPortName(''), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('12345'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(isValidPortName('-ab'), ['must not begin or end with a hyphen']);
  assert.deepEqual(isValidPortName('Http'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']);
});

test('IP addresses and CIDRs (sloppy parsing, as 1.32)', () => {
  for (const good of ['127.0.0.1', '10.0.0.1', '255.255.255.255', '0.0.0.0', '010.001.002.003', '::1', '::', '2001:db8::1', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '2001:DB8::FFFF', '1:2:3:4:5:6:1.2.3.4']) {
    assert.deepEqual(isValidIP(good), [], good);
  }
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.4 ', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', ':1', '1:', 'fe80::1%eth0', '1:2:3:4:5:6:7::8', 'localhost']) {
    assert.deepEqual(isValidIP(bad), ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'], bad);
  }
  for (const good of ['10.0.0.0/8', '10.0.0.1/8', '0.0.0.0/0', '2001:db8::/64', '::/0', '192.168.1.0/32']) assert.deepEqual(isValidCIDR(good), [], good);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '2001:db8::/129', '10.0.0.0/-1', 'x/8']) {
    assert.deepEqual(isValidCIDR(bad), ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'], bad);
  }
});

test('identifiers, env var names, ConfigMap keys, percents', () => {
  assert.deepEqual(isCIdentifier('my_name'), []);
  assert.equal(isCIdentifier('1a').length, 1);
  assert.deepEqual(isEnvVarName('my.env-name'), []);
  assert.deepEqual(isEnvVarName('..'), [`must not be '..'`]);
  assert.deepEqual(isEnvVarName('1A'), [
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
  ]);
  assert.deepEqual(isConfigMapKey('key.name'), []);
  assert.deepEqual(isConfigMapKey('..foo'), [`must not start with '..'`]);
  assert.deepEqual(isConfigMapKey('a/b'), [
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  assert.deepEqual(isValidPercent('25%'), []);
  assert.equal(isValidPercent('25').length, 1);
  assert.deepEqual(nameIsPathSegment('a/b'), [`may not contain '/'`]);
  assert.deepEqual(nameIsPathSegment('..'), [`may not be '..'`]);
});

const msgs = (errs: ReturnType<typeof validateObjectMeta>) => errs.map(fieldErrorString);

test('validateObjectMeta: name, generateName and namespace', () => {
  assert.deepEqual(validateObjectMeta({ name: 'ok', namespace: 'default' }, { namespaced: true }), []);
  assert.deepEqual(msgs(validateObjectMeta({ namespace: 'default' }, { namespaced: true })), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'Bad_Name', namespace: 'default' }, { namespaced: true })), [
    `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`,
  ]);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'ok' }, { namespaced: true })), ['metadata.namespace: Required value']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'ok', namespace: 'default' }, { namespaced: false })), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'ok', namespace: 'Bad' }, { namespaced: true })), [`metadata.namespace: Invalid value: "Bad": ${LABEL_MSG}`]);
  // generateName may end with '-'.
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', name: 'web-x7k2p', namespace: 'd' }, { namespaced: true }), []);
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', name: 'web-x7k2p' }, { namespaced: false, nameValidator: (n) => isDNS1123Label(n) }), []);
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', name: 'web-x7k2p' }, { namespaced: false, nameValidator: nameIsDNSLabel }), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameValidator: nameIsDNSLabel })), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.equal(msgs(validateObjectMeta({ generateName: 'Web-', name: 'x' }, { namespaced: false }))[0]!.startsWith('metadata.generateName: Invalid value: "Web-": '), true);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', generation: -1 }, { namespaced: false })), ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x' }, { namespaced: false }, 'spec.template.metadata')), []);
});

test('validateObjectMeta: labels, annotations, owner references, finalizers', () => {
  const errs = msgs(validateObjectMeta({ name: 'x', labels: { 'bad key': 'v', ok: 'bad value' } }, { namespaced: false }));
  assert.deepEqual(errs, [`metadata.labels: Invalid value: "bad key": ${QNAME_NAME_MSG}`, `metadata.labels: Invalid value: "bad value": ${isValidLabelValue('bad value')[0]}`]);
  // Annotation keys are checked case-insensitively.
  assert.deepEqual(validateObjectMeta({ name: 'x', annotations: { 'Example.COM/Key': 'v' } }, { namespaced: false }), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', annotations: { a: 'x'.repeat(256 * 1024) } }, { namespaced: false })), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
  assert.deepEqual(validateObjectMeta({ name: 'x', annotations: { a: 'x'.repeat(256 * 1024 - 1) } }, { namespaced: false }), []);
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true };
  assert.deepEqual(validateObjectMeta({ name: 'x', ownerReferences: [owner] }, { namespaced: false }), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', ownerReferences: [{ apiVersion: '', kind: '', name: '', uid: '' }] }, { namespaced: false })), [
    'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
    'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
    'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
    'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
  ]);
  const two = msgs(validateObjectMeta({ name: 'x', ownerReferences: [owner, { ...owner, name: 'rs2', uid: 'u2' }] }, { namespaced: false }));
  assert.equal(two.length, 1);
  assert.match(two[0]!, /Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/rs and ReplicaSet\/rs2$/);
  const ev = msgs(validateObjectMeta({ name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] }, { namespaced: false }));
  assert.match(ev[0]!, /\/v1, Kind=Event is disallowed from being an owner$/);
  assert.match(msgs(validateObjectMeta({ name: 'x', finalizers: ['orphan', 'foregroundDeletion'] }, { namespaced: false }))[0]!, /finalizer orphan and foregroundDeletion cannot be both set$/);
  assert.match(msgs(validateObjectMeta({ name: 'x', finalizers: ['bad finalizer'] }, { namespaced: false }))[0]!, /^metadata\.finalizers: Invalid value: "bad finalizer": name part/);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', managedFields: [{ manager: 'kubectl', operation: 'Patch', fieldsType: 'FieldsV2' }] }, { namespaced: false })), [
    'metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`',
    'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
  ]);
});

test('validateObjectMetaUpdate: immutable fields and update rules', () => {
  const old = { name: 'x', namespace: 'd', uid: 'u1', resourceVersion: '5', creationTimestamp: '2024-01-01T00:00:00Z', generation: 2 };
  assert.deepEqual(validateObjectMetaUpdate({ ...old, labels: { a: 'b' } }, old), []);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, name: 'y' }, old)), ['metadata.name: Invalid value: "y": field is immutable']);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, namespace: 'e' }, old)), ['metadata.namespace: Invalid value: "e": field is immutable']);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, uid: 'u2' }, old)), ['metadata.uid: Invalid value: "u2": field is immutable']);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, creationTimestamp: '2025-01-01T00:00:00Z' }, old)), [
    'metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable',
  ]);
  assert.deepEqual(validateObjectMetaUpdate({ ...old, creationTimestamp: '2024-01-01T00:00:00.000Z' }, old), []);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, resourceVersion: '' }, old)), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, generation: 1 }, old)), ['metadata.generation: Invalid value: 1: must not be decremented']);
  const deleting = { ...old, deletionTimestamp: '2024-02-01T00:00:00Z', deletionGracePeriodSeconds: 30, finalizers: ['a/b'] };
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...deleting, finalizers: ['a/b', 'c/d'] }, deleting)), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"c/d"}',
  ]);
  assert.deepEqual(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting), []);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...deleting, deletionGracePeriodSeconds: 0 }, deleting)), [
    'metadata.deletionGracePeriodSeconds: Invalid value: 0: field is immutable',
  ]);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ ...old, labels: { a: '-' } }, old)).length, 1);
});
