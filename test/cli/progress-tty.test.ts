// The progress bar on a real terminal (util-linux `script` gives the command a pseudo-terminal): every
// frame, the first included, has its fields filled in — no "{loss}"-style placeholders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('the progress bar on a terminal shows no unfilled {placeholders}, from its first frame', () => {
  const store = mkdtempSync(join(tmpdir(), 'winnow-tty-'));
  try {
    const cmd = `${process.execPath} ${cli} lottery --model mlp:784-8-10 --iterations 40 --eval-every 20 --levels 1 --controls none --store ${store}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '160' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const frames = r.stdout.split(/\x1b\[1G/).slice(1); // cli-progress starts every frame at column 1
    assert.ok(frames.length > 0 && /^lottery \[/.test(frames[0]!), `no bar drawn:\n${r.stdout.slice(0, 500)}`);
    assert.match(frames[0]!, /0\/2 jobs \|/);
    for (const f of frames) assert.doesNotMatch(f, /\{[a-z_]+\}/, `placeholder in frame: ${f.slice(0, 200)}`);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});
