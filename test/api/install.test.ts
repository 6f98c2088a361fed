// The install script (scripts/install.mjs) when the prebuilt addon does not load and the source build
// fails: a loud warning naming both reasons, exit 0, or an install error with WINNOW_REQUIRE_NATIVE=1.
// At run time, WINNOW_REQUIRE_NATIVE=1 turns the reference fallback into a one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
// CI runs the suite with WINNOW_REQUIRE_NATIVE=1; the soft cases below are about what happens without it.
const { WINNOW_REQUIRE_NATIVE: _required, ...baseEnv } = process.env;

test('a prebuilt addon that does not load, and no compiler: a loud warning naming why; WINNOW_REQUIRE_NATIVE=1 fails the install', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'winnow-install-'));
  try {
    mkdirSync(join(pkg, 'scripts'));
    cpSync(join(repo, 'scripts', 'install.mjs'), join(pkg, 'scripts', 'install.mjs'));
    writeFileSync(join(pkg, 'package.json'), '{"type":"module"}');
    const rel = join('prebuilds', `${process.platform}-${process.arch}`);
    mkdirSync(join(pkg, rel), { recursive: true });
    writeFileSync(join(pkg, rel, 'winnow_native.napi.node'), 'not an ELF file');
    const env = { ...baseEnv, npm_config_node_gyp: join(pkg, 'no-node-gyp.js') }; // the source build fails at once
    const soft = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs')], { cwd: pkg, encoding: 'utf8', env });
    assert.equal(soft.status, 0, soft.stderr);
    assert.match(soft.stdout, /prebuilt addon prebuilds\/.*winnow_native\.napi\.node does not load: .*; compiling the addon from source/);
    assert.match(soft.stderr, /winnow: WARNING: prebuilt addon .* does not load: .*building it from source failed .*reference backend/);
    const hard = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs')], { cwd: pkg, encoding: 'utf8', env: { ...env, WINNOW_REQUIRE_NATIVE: '1' } });
    assert.equal(hard.status, 1);
    assert.match(hard.stderr, /WINNOW_REQUIRE_NATIVE=1: failing the install/);
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});

test('at run time an addon that does not load is a warning naming why, or with WINNOW_REQUIRE_NATIVE=1 an error', () => {
  const env = { ...baseEnv, WINNOW_NATIVE_ADDON: '/nonexistent/winnow_native.node' };
  const probe = `import(${JSON.stringify(fileURLToPath(new URL('../../src/backend/index.js', import.meta.url)))}).then((m) => console.log(m.getBackend('native').name))`;
  const soft = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env });
  assert.equal(soft.stdout.trim(), 'reference');
  assert.match(soft.stderr, /^winnow: native backend unavailable \(.*\/nonexistent\/winnow_native\.node.*\); using the reference backend\n$/);
  const store = mkdtempSync(join(tmpdir(), 'winnow-require-'));
  const hard = spawnSync(process.execPath, [cli, 'train', '--model', 'mlp:784-8-10', '--iterations', '1', '--store', store], { encoding: 'utf8', env: { ...env, WINNOW_REQUIRE_NATIVE: '1' } });
  rmSync(store, { recursive: true, force: true });
  assert.equal(hard.status, 2, hard.stderr);
  assert.match(hard.stderr.trim().split('\n').at(-1)!, /^winnow: native backend required \(WINNOW_REQUIRE_NATIVE=1\) but unavailable: .*nonexistent/);
  assert.doesNotMatch(hard.stderr, /using the reference backend|\n\s+at /);
});
