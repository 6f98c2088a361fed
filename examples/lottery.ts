// Run a small lottery-ticket experiment programmatically, with a progress callback, and read its summary.
// The run is stored (and resumable) under the given store directory.
// Run: node dist/examples/lottery.js [storeDir]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, lotteryExperiment, resolveHparams, type ProgressEvent } from 'winnow';

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'winnow-lottery-'));
const hparams = resolveHparams(lotteryExperiment, {
  model: 'mlp:16-32-4', dataset: 'synthetic:blobs?features=16&classes=4', iterations: 150, evalEvery: 50,
  levels: 2, controls: ['reinit'], batchSize: 32,
});
let jobs = 0;
const onProgress = (e: ProgressEvent): void => {
  if (e.type === 'job-done') jobs++;
  if (e.type === 'run-done') console.log(`run ${e.runId} done in ${e.seconds.toFixed(1)} s`);
};
const run = await launch(lotteryExperiment, hparams, { root, emit: onProgress, noReport: true });
console.log(`${jobs} jobs; weights remaining and early-stop test accuracy per level and branch:`);
for (const s of run.summary.levels) {
  console.log(`  level ${s.level} ${s.branch.padEnd(7)} ${(100 * s.density.mean).toFixed(1)}%  ${s.earlyStopTestAccuracy.mean.toFixed(3)}`);
}
