// Every benchmark program answers --help with its usage (before any work) and stops on a flag it does not
// read, naming it, instead of running with the flag silently ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['gpt-generate', 'gpt-profile', 'gpt', 'infer', 'kernels', 'lm-static-erk', 'lottery', 'native-ab', 'neat', 'rigl', 'run', 'train'];
const bench = (name: string, args: string[]) =>
  spawnSync(process.execPath, [fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url)), ...args], { encoding: 'utf8', timeout: 30_000 });

for (const name of BENCHES) {
  test(`bench/${name}: --help prints its usage, an unknown flag exits 2 naming it`, () => {
    const help = bench(name, ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^Usage: node dist/bench/${name}\\.js`));
    assert.match(help.stdout, /--help/);
    const bad = bench(name, ['--no-such-flag']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr.split('\n')[0]!, new RegExp(`^bench/${name}: unknown flag --no-such-flag`));
  });
}

test('bench/lottery: a negative value is a value, not a flag', () => {
  // The unknown flag reported is --bogus (so nothing runs), not the -1 before it.
  const r = bench('lottery', ['--validation', '-1', '--bogus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr.split('\n')[0]!, /^bench\/lottery: unknown flag --bogus/);
});
