// Adding an experiment is one Experiment object and one registry line: the store, the resume, the CLI
// command with its flags, --help and validation all follow. A toy experiment registered at run time shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { EXPERIMENTS, type Experiment, type JobSpec } from '../../src/experiments/index.js';
import { registerRemaining } from '../../src/cli/experiment-command.js';
import { openStore } from '../../src/store/db.js';
import { intFlag } from '../../src/util/flags.js';
import { UserError } from '../../src/util/errors.js';

interface ToyH { n: number; power: number }
let ran = 0;
const toy: Experiment<ToyH, JobSpec & { i: number }, { value: number }, null, number> = {
  name: 'toy_sum', description: 'sum of i^power for i < n, one job per term',
  params: {
    n: { flag: '--terms <n>', help: 'terms', parse: intFlag('--terms', 1, 100), default: 3 },
    power: { flag: '--power <p>', help: 'exponent', parse: intFlag('--power', 0, 8), default: 2 },
  },
  plan: (h) => Array.from({ length: h.n }, (_, i) => ({ key: `term_${i}`, label: `term ${i}`, i })),
  open: () => null,
  runJob: (_c, s, env) => { ran++; return { result: { value: s.i ** (env.store.getRun(env.runId)!.hparams['power'] as number) }, metrics: [{ iteration: 0, value: s.i }] }; },
  checkResult: (v, where) => { if (typeof (v as { value?: unknown }).value !== 'number') throw new UserError(`${where}: no value`); return v as { value: number }; },
  summarize: (_c, _h, done) => done.reduce((a, d) => a + d.result.value, 0),
  show: (_h, done) => `sum ${done.reduce((a, d) => a + d.result.value, 0)}`,
};

test('a toy experiment gets a store, resume and a CLI command from its table alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-toy-'));
  (EXPERIMENTS as Record<string, unknown>)['toy_sum'] = toy;
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => { lines.push(String(s)); };
  try {
    const run = async (args: string[]) => {
      const program = new Command('winnow').exitOverride();
      registerRemaining(program);
      await program.parseAsync(['node', 'winnow', 'toy-sum', ...args, '--store', dir, '--progress', 'none']);
    };
    await run(['--terms', '4', '--power', '3']);
    assert.equal(ran, 4);
    assert.deepEqual(lines, ['sum 36']);
    await run(['--terms', '5', '--power', '3']); // another run id (n is part of the identity)
    await run(['--terms', '4', '--power', '3']); // resumed: nothing recomputed
    assert.equal(ran, 9);
    const store = openStore(dir);
    try {
      const runs = store.listRuns('toy_sum');
      assert.equal(runs.length, 2);
      assert.deepEqual(store.getMetrics(runs[0]!.id, 'term_2'), [{ iteration: 0, value: 2 }]);
    } finally { store.close(); }
    await assert.rejects(run(['--power', '9']), /--power: expected an integer in \[0, 8\], got 9/);
  } finally {
    console.log = log;
    delete (EXPERIMENTS as Record<string, unknown>)['toy_sum'];
    rmSync(dir, { recursive: true, force: true });
  }
});
