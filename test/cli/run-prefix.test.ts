// Run-id prefixes work in every command that takes a run: `runs show 2553` (a prefix of the hash) and
// `runs/<prefix>:level=L` ticket references in export, compress and infer; an ambiguous prefix says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveRunId, runIdMatches } from '../../src/store/layout.js';
import { UserError } from '../../src/util/errors.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
function winnow(cwd: string, args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('resolveRunId: full id, id prefix, hash prefix; ambiguity is a UserError naming the candidates', () => {
  const root = mkdtempSync(join(tmpdir(), 'winnow-prefix-'));
  try {
    for (const id of ['lottery_2553aa', 'lottery_2554bb', 'train_2553cc']) { mkdirSync(join(root, id)); writeFileSync(join(root, id, 'hparams.json'), '{}'); }
    assert.ok(runIdMatches('lottery_2553aa', '2553a') && runIdMatches('lottery_2553aa', 'lott') && !runIdMatches('lottery_2553aa', '553'));
    assert.equal(resolveRunId(root, 'lottery_2553aa'), 'lottery_2553aa');
    assert.equal(resolveRunId(root, '2554'), 'lottery_2554bb');
    assert.equal(resolveRunId(root, 'lottery_2553'), 'lottery_2553aa');
    assert.throws(() => resolveRunId(root, '2553'), (e: unknown) => e instanceof UserError && /ambiguous: .*lottery_2553aa.*train_2553cc/.test((e as Error).message));
    assert.equal(resolveRunId(root, 'ffff'), 'ffff'); // unknown: the caller's own message names it
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('runs show, export, compress and infer accept a prefix of the run hash', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'winnow-prefix-'));
  try {
    const { runId } = JSON.parse(winnow(cwd, ['lottery', '--model', 'mlp:784-8-10', '--iterations', '40', '--eval-every', '20', '--levels', '1', '--controls', 'none', '--json', '--no-report'])) as { runId: string };
    const hash4 = runId.slice(runId.indexOf('_') + 1, runId.indexOf('_') + 5);
    assert.match(winnow(cwd, ['runs', 'show', hash4]), new RegExp(`^${runId} \\(lottery, done\\)`));
    assert.match(winnow(cwd, ['export', `runs/${hash4}:level=1`, '--to', 'onnx', '--out', 't.onnx']), new RegExp(`lottery run ${runId} level 1`));
    assert.match(winnow(cwd, ['compress', `${hash4}:level=1`, '--format', 'int8-channel', '--out', 't.wnn', '--json']), /"bytes"/);
    assert.match(winnow(cwd, ['infer', `runs/${hash4}:level=1`, '--json']), /accuracy/i);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
