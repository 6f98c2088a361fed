// Terminal tables: alignment, mean ± std alignment, missing cells, custom formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from '../../src/report/table.js';
import { meanStd } from '../../src/report/stats.js';

test('numbers right, text left, ± signs aligned, header rule', () => {
  const out = formatTable(
    ['level', { header: 'density', digits: 3 }, { header: 'acc', digits: 2 }, 'branch'],
    [[0, 1, { mean: 98.12, std: 0.1 }, 'main'], [12, 0.0687, { mean: 9.3, std: 12.5 }, 'random_reinit'], [13, null, undefined, 'x']],
  );
  const lines = out.split('\n');
  assert.deepEqual(lines, [
    'level  density            acc  branch',
    '─────  ───────  ─────────────  ─────────────',
    '    0    1.000  98.12 ± 0.10   main',
    '   12    0.069   9.30 ± 12.50  random_reinit',
    '   13        -              -  x',
  ]);
  assert.equal(lines[2]!.indexOf('±'), lines[3]!.indexOf('±'));
});

test('explicit alignment, custom format, no rule', () => {
  const out = formatTable([{ header: 'name', align: 'right' }, { header: 'pct', format: (v) => `${(v * 100).toFixed(1)}%` }], [['a', 0.5], ['bbb', 0.123]], { rule: false, gap: ' | ' });
  assert.equal(out, 'name |   pct\n   a | 50.0%\n bbb | 12.3%');
});

test('meanStd uses the sample std and ignores non-finite values', () => {
  assert.deepEqual(meanStd([1, 2, 3, NaN]), { mean: 2, std: 1, n: 3 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0, n: 1 });
  assert.equal(meanStd([]).n, 0);
});
