// The package as a user receives it: `npm pack` (its prepack script puts the prebuilt addon in) → a
// scratch project with the tarball extracted into node_modules/winnow (dependencies linked from this
// repository's node_modules, so no network is needed) → npm runs winnow's install script (`npm rebuild
// winnow`), which must compile nothing → `tsc --noEmit` on a typed example importing 'winnow' → the
// compiled example runs, on the native backend at the best ISA this CPU has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env });
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env });
  if (process.env['WINNOW_TEST_TIMES']) console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${cmd} ${args.slice(0, 3).join(' ')}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const EXAMPLE = `import { buildModel, dequantize, encodeSparse, getBackend, launch, lotteryExperiment, loadDataset, predictRows,
  quantize, resolveHparams, Rng, type Dataset, type FormatName, type ProgressEvent } from 'winnow';

const data: Dataset = loadDataset('synthetic:blobs?features=8&classes=3');
const model = buildModel('mlp:8-16-3', data.shape, data.classes, new Rng(1));
const logits: Float32Array = predictRows(getBackend('reference'), model, data.test.images.subarray(0, 4 * 8), 4);
const format: FormatName = 'nvfp4';
const w = new Float32Array(64).map((_, i) => (i % 5 === 0 ? Math.sin(i) : 0));
const q = quantize(w, [4, 16], format);
const back: Float32Array = dequantize(q);
const bytes: number = encodeSparse(w, [4, 16], 'int8-channel', 'csr').bytes;
const events: ProgressEvent['type'][] = [];
const h = resolveHparams(lotteryExperiment, { model: 'mlp:8-16-3', dataset: 'synthetic:blobs?features=8&classes=3', iterations: 40, evalEvery: 20, levels: 1, controls: [] });
const run = await launch(lotteryExperiment, h, { root: process.argv[2]!, emit: (e) => events.push(e.type), backend: 'reference', noReport: true });
console.log(JSON.stringify({ logits: logits.length, back: back.length, bytes, runId: run.runId, levels: run.summary.levels.length, events: [...new Set(events)] }));
`;

// The timeout allows prepack to rebuild the addon first (when native sources are newer than build/).
test('npm pack → scratch project: the install compiles nothing, tsc --noEmit passes on a typed example, which then runs on the native backend', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'winnow-pack-'));
  // `npm pack` runs prepare (tsc, already done by the test build) and prepack; run prepack alone.
  sh('npm', ['run', 'prepack'], repo);
  const packed = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repo)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((f) => f.path);
  for (const f of ['package.json', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'binding.gyp', 'data/embedded/fashion-mnist-mini/train-images-idx3-ubyte.gz',
    `prebuilds/${process.platform}-${process.arch}/winnow_native.napi.node`, 'scripts/install.mjs']) {
    assert.ok(files.includes(f), `the tarball lacks ${f}`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('src/')), 'the tarball carries tests or TypeScript sources');

  const app = join(work, 'app');
  const nm = join(app, 'node_modules');
  mkdirSync(join(nm, 'winnow'), { recursive: true });
  sh('tar', ['xzf', join(work, packed[0]!.filename), '-C', join(nm, 'winnow'), '--strip-components=1'], work);
  mkdirSync(join(nm, '@types'));
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) symlinkSync(join(repo, 'node_modules', dep), join(nm, dep), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));

  // npm runs winnow's install script: the prebuilt addon loads, nothing of winnow's is compiled.
  const install = run('npm', ['rebuild', 'winnow', '--foreground-scripts', '--offline'], app);
  const log = install.stdout + install.stderr;
  assert.equal(install.status, 0, log);
  assert.match(log, /winnow: prebuilt addon prebuilds\/linux-x64\/winnow_native\.napi\.node loads \(ISA \w+; .*\); nothing to compile/);
  assert.doesNotMatch(log, /node-gyp|gyp info|CXX\(target\)|g\+\+|make: /, 'the install compiled something');
  assert.ok(!existsSync(join(nm, 'winnow', 'build')), 'the install left a build/ directory');
  const best = (createRequire(import.meta.url)(join(repo, 'build', 'Release', 'winnow_native.node')) as { supportedIsas(): string[] }).supportedIsas()[0];
  const probe = "import('winnow').then((w) => { const b = w.getBackend('native'); console.log(b.name + ' ' + b.detail); })";
  const loaded = run(process.execPath, ['--input-type=module', '-e', probe], app, { ...process.env, WINNOW_REQUIRE_NATIVE: '1' });
  assert.equal(loaded.stdout.trim(), `native ${best}`, loaded.stderr);
  assert.equal(loaded.stderr, '');
  // One compiler run (the slow part: zod's and node's declarations) does three checks. With skipLibCheck
  // off, the shipped declarations themselves must type-check (every type they name resolves); main.ts
  // must have no error (as tsc --noEmit on it alone); bad.ts, a user's type error, must be caught against
  // the declarations; and main.ts is emitted (tsc emits despite errors elsewhere) to be run below.
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: ['node'], outDir: 'out' },
    include: ['main.ts', 'bad.ts'],
  }));
  writeFileSync(join(app, 'main.ts'), EXAMPLE);
  writeFileSync(join(app, 'bad.ts'), "import { quantize, type FormatName } from 'winnow';\nconst f: FormatName = 'nvfp5';\nquantize(new Float32Array(4), [2, 2], f);\n");
  const tc = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8' });
  const errors = tc.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(errors.length, 1, `expected exactly the one error in bad.ts:\n${tc.stdout}${tc.stderr}`);
  assert.match(errors[0]!, /^bad\.ts\(2,7\): error TS\d+: Type '"nvfp5"' is not assignable to type/);

  const store = join(work, 'runs');
  const out = JSON.parse(sh(process.execPath, [join(app, 'out', 'main.js'), store], app)) as Record<string, unknown>;
  assert.equal(out['logits'], 12);
  assert.equal(out['back'], 64);
  assert.equal(typeof out['bytes'], 'number');
  assert.match(String(out['runId']), /^lottery_[0-9a-f]+$/);
  assert.equal(out['levels'], 2);
  for (const e of ['run-start', 'job-start', 'step', 'job-done', 'run-done']) assert.ok((out['events'] as string[]).includes(e), `no '${e}' event`);
  assert.ok(existsSync(join(store, String(out['runId']))));

  // Only the exports map is public: deep imports are refused.
  const deep = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('winnow/dist/src/cli/main.js')"], { cwd: app, encoding: 'utf8' });
  assert.notEqual(deep.status, 0);
  assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  rmSync(work, { recursive: true, force: true });
});
