// The lottery report's captions state what the run's data show: no "mean ± std" with one replicate,
// and the early-stop caption derived from the early-stop iterations instead of a canned "tickets learn faster".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlyStopCaption, spreadNote } from '../../src/experiments/lottery/report.js';
import type { LevelSummary } from '../../src/lottery/summary.js';

const stat = (mean: number, n = 1) => ({ mean, std: 0, n });
function summary(its: number[], replicates = 1): LevelSummary[] {
  return its.map((it, level) => ({
    level, branch: 'ticket', density: stat(0.8 ** level, replicates), earlyStopTestAccuracy: stat(0.8, replicates), earlyStopIteration: stat(it, replicates),
    finalTestAccuracy: stat(0.8, replicates), wallSeconds: stat(1, replicates), stepSeconds: stat(1, replicates),
  }));
}

test('one replicate: no "mean ± std" claim; several: the count is named', () => {
  assert.doesNotMatch(spreadNote(1), /mean ± std over/);
  assert.match(spreadNote(1), /one replicate/);
  assert.equal(spreadNote(3), 'mean ± std over 3 replicates');
  assert.doesNotMatch(earlyStopCaption(summary([900, 700, 800]), 1), /mean ± std over/);
});

test('the early-stop caption follows the data: earlier tickets, or none earlier than dense', () => {
  const faster = earlyStopCaption(summary([900, 700, 500, 800]), 1);
  assert.match(faster, /stopped earliest at 64% of the weights \(iteration 500, dense 900\)/);
  assert.match(faster, /sparsest level, 51%, iteration 800/);
  const slower = earlyStopCaption(summary([300, 700, 500, 800]), 1);
  assert.match(slower, /No ticket stopped earlier than the dense network \(iteration 300; earliest ticket 500 at 64%\)/);
  assert.doesNotMatch(faster + slower, /learn faster/);
});
