// Fuzz: experiment-store hyperparameter files (src/store/layout.ts readHparamsFile), read from disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz, mutatedJsonText, RUNS } from './harness.js';
import { readHparamsFile } from '../../src/store/layout.js';

test(`hyperparameter files: ${RUNS} mutated hparams.json files read or fail with a UserError`, { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-fuzz-hp-'));
  mkdirSync(join(root, 'lottery_0123'));
  const seeds = [
    { id: 'lottery_0123', kind: 'lottery', canonical: '{"model":"lenet300"}', hparams: { model: 'lenet300', dataset: 'fashion-mnist', levels: 15, rateFc: 0.2, seed: 0, controls: ['reinit'] } },
    { id: 'neat_ab', kind: 'neat', canonical: '{}', hparams: {} },
  ];
  const path = join(root, 'lottery_0123', 'hparams.json');
  const stats = fuzz(mutatedJsonText(seeds), (text) => {
    writeFileSync(path, text);
    readHparamsFile(root, 'lottery_0123');
  });
  assert.equal(stats.cases, RUNS);
  console.log(`hyperparameter files: ${JSON.stringify(stats)}`);
});
