// Every experiment command's --help states defaults as values a user could type: no "(default: )",
// "null", "[object Object]" or JSON arrays, and no default twice (an empty or null default — "use the
// dataset's", "every level" — is stated in the help text, if at all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

for (const cmd of ['train', 'lottery', 'evolve', 'compare', 'neat-vs-tickets']) {
  test(`${cmd} --help states plain defaults`, () => {
    const r = spawnSync(process.execPath, [cli, cmd, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /\(default: \)|\(default: null\)|\[object Object\]|\(default: \[/);
    assert.doesNotMatch(text, /\(default: [^)]*\) \(default:/);
    assert.doesNotMatch(text, /\(default: "-?[0-9.]+"\)/, "a number default printed as a string");
  });
}
