// az-style parsing as a user meets it: argparse's one-line errors, list options, --flag=value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAz, keyValues, commaList, int, type OptSpec } from './args.ts';
import { UsageError } from '../command.ts';

const opts: OptSpec[] = [
  { names: ['--resource-group', '-g'], kind: 'string', required: true, help: '' },
  { names: ['--name', '-n'], kind: 'string', required: true, help: '' },
  { names: ['--tags'], kind: 'list', help: '' },
  { names: ['--no-wait'], kind: 'bool', help: '' },
  { names: ['--tier'], kind: 'string', choices: ['free', 'standard', 'premium'], help: '' },
];

describe('parseAz', () => {
  it('reads short and long names, = values, lists and booleans', () => {
    const v = parseAz(['-g', 'rg', '--name=c1', '--tags', 'a=b', 'c=d', '--no-wait', '-o', 'table'], opts);
    assert.deepEqual(v, { 'resource-group': 'rg', name: 'c1', tags: ['a=b', 'c=d'], 'no-wait': true, output: 'table' });
  });

  it('lowercases choices and rejects others with argparse wording', () => {
    assert.equal(parseAz(['-g', 'r', '-n', 'n', '--tier', 'Standard'], opts).tier, 'standard');
    assert.throws(() => parseAz(['-g', 'r', '-n', 'n', '--tier', 'gold'], opts), {
      message: "argument --tier: invalid choice: 'gold' (choose from 'free', 'standard', 'premium')",
    });
  });

  it('reports unrecognized arguments together, as az', () => {
    assert.throws(() => parseAz(['-g', 'r', '-n', 'n', '--foo', 'bar'], opts), (e: Error) => e instanceof UsageError && e.message === 'unrecognized arguments: --foo bar');
  });

  it('lists the missing required arguments', () => {
    assert.throws(() => parseAz([], opts), { message: 'the following arguments are required: --resource-group/-g, --name/-n' });
  });

  it('wants a value after a string option', () => {
    assert.throws(() => parseAz(['-g', '-n', 'x'], opts), { message: 'argument --resource-group/-g: expected one argument' });
  });

  it('accepts the global options and --help without required ones', () => {
    assert.equal(parseAz(['--help'], opts).help, true);
    const v = parseAz(['-g', 'r', '-n', 'n', '--query', '[0]', '--only-show-errors', '--debug', '--verbose'], opts);
    assert.equal(v.query, '[0]');
    assert.throws(() => parseAz(['-g', 'r', '-n', 'n', '-o', 'xml'], opts), /invalid choice: 'xml'/);
  });

  it('helpers: key=value lists, comma lists and ints', () => {
    assert.deepEqual(keyValues(['a=b', 'c=', 'd'], '--tags'), { a: 'b', c: '', d: '' });
    assert.deepEqual(keyValues([''], '--tags'), {});
    assert.deepEqual(commaList('k=v:NoSchedule, x=y:NoExecute'), ['k=v:NoSchedule', 'x=y:NoExecute']);
    assert.deepEqual(commaList(''), []);
    assert.equal(int({ c: '3' }, 'c', '--node-count'), 3);
    assert.throws(() => int({ c: 'three' }, 'c', '--node-count'), { message: "argument --node-count: invalid int value: 'three'" });
  });
});
