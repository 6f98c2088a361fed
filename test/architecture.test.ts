// The architecture rules of .dependency-cruiser.cjs hold for src/ (data flows one way, no cycles, the CLI
// reaches the library only through experiments/), and the checker does catch a violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const depcruise = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const cruise = (cwd: string) => spawnSync(process.execPath, [depcruise, 'src', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, encoding: 'utf8' });

test('src/ follows the dependency rules', () => {
  const r = cruise(repo);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /no dependency violations found \((\d+) modules/);
});

test('the rules catch a CLI importing a library, a backend importing nn, and a cycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-arch-'));
  try {
    cpSync(join(repo, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    const put = (path: string, text: string) => { mkdirSync(join(dir, path, '..'), { recursive: true }); writeFileSync(join(dir, path), text); };
    put('src/cli/x.ts', "import { y } from '../data/y.js';\nexport const x = y;\n");
    put('src/data/y.ts', 'export const y = 1;\n');
    put('src/backend/b.ts', "import { n } from '../nn/n.js';\nexport const b = n;\n");
    put('src/nn/n.ts', "import { b } from '../backend/b.js';\nexport const n = () => b;\n");
    const r = cruise(dir);
    assert.notEqual(r.status, 0);
    for (const rule of ['cli-imports-experiments-report-util', 'backend-is-the-bottom', 'no-circular']) assert.match(r.stdout, new RegExp(rule), rule);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
