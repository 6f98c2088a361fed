// The experiments layer gives release 0.1's results bit-for-bit (masks, weights, metrics, evaluation
// counts), through the CLI: the default lottery run, a 3-level run on full Fashion-MNIST, XOR over 20
// seeds and the compare study, against digests stored by release 0.1 (test/fixtures/release-0.1/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../../src/backend/index.js';
import { compareRecords, digestOf, evolveRecords, expected, lotteryRecords } from './digest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const isa = getBackend('native').detail;

function winnow(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args, '--progress', 'none'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `winnow ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function check(name: string, records: Record<string, Record<string, unknown>>): void {
  const want = expected(name, isa), got = digestOf(records);
  const differ = Object.keys({ ...want.jobs, ...got.jobs }).filter((k) => want.jobs[k] !== got.jobs[k]);
  assert.deepEqual(differ, [], `${name}: jobs that differ from release 0.1`);
  assert.equal(got.all, want.all);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'winnow-release-'));

test('default lottery run: identical to release 0.1 (46 trainings)', () => {
  const store = tmp();
  try {
    winnow(['lottery', '--store', store, '--no-report']);
    check('lottery-default', lotteryRecords(store));
  } finally { rmSync(store, { recursive: true, force: true }); }
});

test('3-level lottery run on full Fashion-MNIST: identical to release 0.1', () => {
  const store = tmp();
  try {
    winnow(['lottery', '--dataset', 'fashion-mnist', '--levels', '3', '--store', store, '--no-report']);
    check('lottery-full-3', lotteryRecords(store));
  } finally { rmSync(store, { recursive: true, force: true }); }
});

test('XOR over 20 seeds: identical evaluation counts and genomes to release 0.1', () => {
  const store = tmp();
  try {
    const doc = JSON.parse(winnow(['evolve', '--task', 'xor', '--runs', '20', '--json', '--out', join(store, 'xor'), '--store', store])) as { runs: Record<string, unknown>[] };
    check('xor-20', evolveRecords(doc));
  } finally { rmSync(store, { recursive: true, force: true }); }
});

test('compare study: identical points to release 0.1, and its lottery run too', () => {
  const store = tmp();
  try {
    const doc = JSON.parse(winnow(['compare', '--store', store, '--no-neat', '--json'])) as { runId: string; points: Record<string, unknown>[] };
    check('compare', compareRecords(doc));
    check('compare-lottery', lotteryRecords(store, doc.runId));
  } finally { rmSync(store, { recursive: true, force: true }); }
});
