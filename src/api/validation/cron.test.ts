// CronJob schedule parsing: accepted forms and robfig/cron error texts as kube-apiserver reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError, knownTimeZone } from './cron.ts';

test('standard five-field schedules and descriptors parse', () => {
  for (const s of ['*/5 * * * *', '0 0 * * 0', '15 2 1-15/2 jan-jun mon-fri', '0 12 * * ?', '@hourly', '@daily', '@every 1h30m', '5,10,15 * * * *']) {
    assert.equal(cronScheduleError(s), undefined, s);
  }
});

test('errors carry robfig/cron wording', () => {
  assert.equal(cronScheduleError('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
  assert.equal(cronScheduleError('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(cronScheduleError('0 0 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(cronScheduleError(''), 'empty spec string');
});

test('time zones are checked against the IANA database', () => {
  assert.equal(knownTimeZone('Europe/Paris'), true);
  assert.equal(knownTimeZone('Mars/Olympus'), false);
});
