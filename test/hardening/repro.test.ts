// Issue 15's reproductions: each ends in one `winnow: …` line (exit 2, no stack trace) within 2 s and
// 200 MB, or in a documented warning (docs/LIMITS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { embedded, expectOneLineError, runCli } from './helpers.js';
import { buildModel } from '../../src/models/build.js';
import { Rng } from '../../src/util/rng.js';
import { serializeModel } from '../../src/io/model-io.js';
import { parseModelFile, serializeModelFile } from '../../src/io/modelfile.js';
import { encodeIdx } from '../../src/data/idx.js';
import { UserError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'winnow-harden-'));
let k = 0;
const fresh = (name: string): string => { const d = join(root, `${name}-${k++}`); mkdirSync(d, { recursive: true }); return d; };

/** A small valid model file (mlp:784-16-10, fp32 dense) and its parsed form. */
function smallModel(): Uint8Array {
  const model = buildModel('mlp:784-16-10', [1, 28, 28], 10, new Rng(1));
  return serializeModel(model, { spec: 'mlp:784-16-10', inputShape: [1, 28, 28], classes: 10, dataset: 'fashion-mnist-mini' }, { format: 'fp32', encoding: 'dense' }).file;
}
function withMeta(bytes: Uint8Array, patch: Record<string, unknown>, retensor?: (t: ReturnType<typeof parseModelFile>['tensors']) => void): string {
  const f = parseModelFile(bytes, 'x');
  retensor?.(f.tensors);
  const p = join(fresh('model'), 'm.wnn');
  writeFileSync(p, serializeModelFile(f.tensors, { ...f.meta, ...patch }));
  return p;
}

test('1. a small model file whose meta.spec is huge is refused before anything is allocated (infer and compress)', () => {
  const base = smallModel();
  const big = withMeta(base, { spec: 'mlp:784-40000-40000-10' });
  expectOneLineError(['infer', big, '--backend', 'reference'], /meta\.spec: .*more than \d+ parameters/);
  expectOneLineError(['compress', big, '--out', join(fresh('out'), 'c.wnn'), '--backend', 'reference'], /meta\.spec/);
  const conv = withMeta(base, { spec: 'conv:100000-pool/16' });
  expectOneLineError(['infer', conv, '--backend', 'reference'], /meta\.spec: .*conv1 has 100000 channels/);
  const conv2 = withMeta(base, { spec: 'conv:60000-pool/16' });
  expectOneLineError(['infer', conv2, '--backend', 'reference'], /meta\.spec: .*values per sample/);
  // A spec within the limits but not matching the tensors present is refused before building, too.
  const other = withMeta(base, { spec: 'mlp:784-2000-2000-10' });
  expectOneLineError(['infer', other, '--backend', 'reference'], /tensor 'fc1\.weight' has shape \[16, 784\], the spec .* needs \[2000, 784\]/);
});

test('8. a transposed tensor with the right element count is refused', () => {
  const p = withMeta(smallModel(), {}, (ts) => {
    const w = ts.find((t) => t.name === 'fc1.weight')!;
    (w as unknown as { shape: number[] }).shape = [784, 16];
  });
  expectOneLineError(['infer', p, '--backend', 'reference'], /tensor 'fc1\.weight' has shape \[784, 16\], the spec 'mlp:784-16-10' needs \[16, 784\]/);
});

function dataDirWith(replace: Record<string, Uint8Array | 'dir' | null>): string {
  const dir = fresh('data');
  for (const f of readdirSync(embedded)) if (f.endsWith('.gz') && !(f in replace)) copyFileSync(join(embedded, f), join(dir, f));
  for (const [f, v] of Object.entries(replace)) {
    if (v === 'dir') mkdirSync(join(dir, f.replace(/\.gz$/, '')));
    else if (v) writeFileSync(join(dir, f), v);
  }
  return dir;
}
const trainOn = (dir: string, dataset = 'fashion-mnist'): string[] => ['train', '--dataset', dataset, '--data-dir', dir, '--iterations', '1', '--backend', 'reference', '--model', 'mlp:784-8-10'];

test('2. a gzip bomb in --data-dir is stopped at the size its IDX header declares', () => {
  // Header: 60,000 × 28 × 28 images (47 MB), followed by 1 GiB of zeros, gzipped to ~1 MB.
  const head = Buffer.from([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]);
  const chunks = [gzipSync(head)];
  const zeros = gzipSync(Buffer.alloc(64 * 2 ** 20), { level: 9 });
  for (let i = 0; i < 16; i++) chunks.push(zeros); // gzip members concatenate
  const bomb = Buffer.concat(chunks);
  assert.ok(bomb.length < 3e6);
  expectOneLineError(trainOn(dataDirWith({ 'train-images-idx3-ubyte.gz': bomb })), /train-images-idx3-ubyte\.gz: .*(more than the 47040016 bytes|gzip bomb)/);
  // A header that declares more than the limit is refused without inflating anything.
  const huge = gzipSync(Buffer.from([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28]));
  expectOneLineError(trainOn(dataDirWith({ 'train-images-idx3-ubyte.gz': huge })), /declares \d+ bytes, more than the limit/);
});

test('3. an explicit --data-dir is used or refused; degenerate IDX sets are refused', () => {
  // Missing one file: never replaced by a copy found elsewhere (Debian's, the user cache…).
  expectOneLineError(trainOn(dataDirWith({ 't10k-labels-idx1-ubyte.gz': null })), /--data-dir .* missing t10k-labels-idx1-ubyte\[\.gz\].*never replaced/);
  // An IDX path that is a directory.
  expectOneLineError(trainOn(dataDirWith({ 'train-images-idx3-ubyte.gz': 'dir' })), /not a regular file: .*train-images-idx3-ubyte/);
  const labels = (n: number): Uint8Array => encodeIdx([n], new Uint8Array(n), { gzip: true });
  // 0×0 images, 1×1 images, no test images.
  expectOneLineError(trainOn(dataDirWith({ 'train-images-idx3-ubyte.gz': encodeIdx([12000, 0, 0], new Uint8Array(0), { gzip: true }), 'train-labels-idx1-ubyte.gz': labels(12000) })), /degenerate images: 0×0/);
  expectOneLineError(trainOn(dataDirWith({ 'train-images-idx3-ubyte.gz': encodeIdx([12000, 1, 1], new Uint8Array(12000), { gzip: true }), 'train-labels-idx1-ubyte.gz': labels(12000) })), /degenerate images: 1×1/);
  expectOneLineError(trainOn(dataDirWith({ 't10k-images-idx3-ubyte.gz': encodeIdx([0, 28, 28], new Uint8Array(0), { gzip: true }), 't10k-labels-idx1-ubyte.gz': labels(0) })), /t10k-images-idx3-ubyte\.gz: no images/);
  // --data-dir with the embedded set is refused rather than ignored.
  expectOneLineError(trainOn(fresh('empty'), 'fashion-mnist-mini'), /--data-dir .* cannot be used with the embedded dataset/);
});

test('4. EISDIR: compress --out DIR is one line, and no temporary file is left', () => {
  const m = join(fresh('m'), 'm.wnn');
  writeFileSync(m, smallModel());
  const out = fresh('outdir');
  expectOneLineError(['compress', m, '--out', out, '--format', 'fp32', '--backend', 'reference'], /cannot write .*outdir-\d+: is a directory; give a file path/, { maxMs: 4000, maxMB: 400 });
  assert.deepEqual(readdirSync(out), []);
});

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), 'winnow-mnt-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]).status === 0;
  if (ok) spawnSync('umount', [d]);
  return ok;
}

test('4. ENOSPC and EROFS: one line naming the path, temporary file removed', (t) => {
  if (!canMount()) { t.skip('needs root and tmpfs mounts'); return; }
  const m = join(fresh('m'), 'm.wnn');
  writeFileSync(m, smallModel());
  const full = fresh('full');
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', full]).status, 0);
  try {
    expectOneLineError(['compress', m, '--out', join(full, 'c.wnn'), '--format', 'fp32', '--backend', 'reference'], /cannot write .*c\.wnn: no space left on the device.*\(ENOSPC\)/, { maxMs: 4000, maxMB: 400 });
    assert.deepEqual(readdirSync(full), [], 'the temporary file holding the space is removed');
  } finally { spawnSync('umount', [full]); }
  const ro = fresh('ro');
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro]).status, 0);
  try {
    expectOneLineError(['compress', m, '--out', join(ro, 'c.wnn'), '--format', 'fp32', '--backend', 'reference'], /cannot write .*c\.wnn: read-only file system.*\(EROFS\)/, { maxMs: 4000, maxMB: 400 });
  } finally { spawnSync('umount', [ro]); }
});

test('4. temporary files of killed writers are swept by the next write into the directory', async () => {
  const { writeFileAtomic, tempPathFor } = await import('../../src/util/atomic.js');
  const dir = fresh('sweep');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  const stale = tempPathFor(join(dir, 'model.wnn'), deadPid);
  writeFileSync(stale, Buffer.alloc(1 << 20));
  const live = tempPathFor(join(dir, 'other.json'), process.pid + 0); // ours: alive, kept
  const liveParent = tempPathFor(join(dir, 'x.json'), process.ppid);
  writeFileSync(liveParent, 'x');
  writeFileAtomic(join(dir, 'a.json'), '{}');
  assert.equal(existsSync(stale), false, 'stale temp of a dead pid removed');
  assert.equal(existsSync(liveParent), true, 'a live process\'s temp file is left alone');
  assert.equal(existsSync(live), false);
  // A killed writer: SIGKILL a child in the middle of writing big files, then write once more.
  const kdir = fresh('killed');
  const script = `import { writeFileAtomic } from ${JSON.stringify(new URL('../../src/util/atomic.js', import.meta.url).href)};
for (;;) writeFileAtomic(${JSON.stringify(join(kdir, 'big.bin'))}, Buffer.alloc(32 << 20, 1));`;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 700));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const { sweepStaleTemps } = await import('../../src/util/atomic.js');
  sweepStaleTemps(kdir);
  assert.deepEqual(readdirSync(kdir).filter((f) => f.endsWith('.tmp')), []);
});

test('7. model specs with absurd sizes, /dev/zero as a model, a directory as a model', () => {
  expectOneLineError(['train', '--model', 'mlp:784-100000000-10', '--dataset', 'fashion-mnist-mini', '--iterations', '1', '--backend', 'reference'], /--model 'mlp:784-100000000-10': layer fc1 has 100000000 units, more than the limit/);
  expectOneLineError(['train', '--model', 'mlp:784-99999999999999999999-10', '--dataset', 'fashion-mnist-mini', '--iterations', '1', '--backend', 'reference'], /absurdly large/);
  if (existsSync('/dev/zero')) expectOneLineError(['infer', '/dev/zero', '--backend', 'reference'], /\/dev\/zero: cannot read \(not a regular file/);
  expectOneLineError(['infer', fresh('modeldir'), '--backend', 'reference'], /cannot read \(EISDIR/);
});

test('7. evolve --workers 10000 is refused naming the flag', () => {
  const out = fresh('evolve');
  expectOneLineError(['evolve', '--task', 'xor', '--workers', '10000', '--out', out, '--store', join(out, 'store')], new RegExp(`--workers: expected an integer from 1 to ${Math.max(4, Math.min(64, 4 * cpus().length))}`));
});

test('7. NEAT checkpoints with species: [], a connection from a missing node, nIn 1e8', async () => {
  const { runNeat } = await import('../../src/neat/run.js');
  const { resolveConfig } = await import('../../src/neat/config.js');
  const { createHash } = await import('node:crypto');
  const out = fresh('neat');
  const cfg = resolveConfig('xor', { checkpointEvery: 1 });
  await runNeat({ task: { name: 'xor' }, config: cfg, seed: 3, outDir: out, haltAfter: 2 });
  const ck = join(out, 'checkpoint.json');
  const good = JSON.parse(readFileSync(ck, 'utf8')) as { sha256: string; body: { species: unknown[]; population: Array<{ nIn: number; conns: Array<{ from: number }> }> } };
  const write = (edit: (b: typeof good.body) => void): string => {
    const c = structuredClone(good);
    edit(c.body);
    c.sha256 = createHash('sha256').update(JSON.stringify(c.body)).digest('hex');
    const d = fresh('ck');
    writeFileSync(join(d, 'checkpoint.json'), JSON.stringify(c));
    return d;
  };
  const resume = (d: string): string[] => ['evolve', '--task', 'xor', '--seed', '3', '--out', d, '--resume', '--store', join(d, 'store')];
  expectOneLineError(resume(write((b) => { b.species = []; })), /checkpoint .*corrupt \(field 'species': empty/);
  expectOneLineError(resume(write((b) => { b.population[0]!.conns[0]!.from = 4242; })), /checkpoint .*corrupt \(field 'population\.0\.conns': connection \d+ joins 4242→\d+, but the genome has no node 4242/);
  expectOneLineError(resume(write((b) => { b.population[0]!.nIn = 1e8; })), /checkpoint .*corrupt \(field 'population\.0\.nIn': /);
  rmSync(out, { recursive: true, force: true });
});

test('8. one-shot pruning that keeps no weights is refused', () => {
  const store = fresh('store');
  expectOneLineError(['lottery', '--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200', '--model', 'mlp:8-12-3', '--iterations', '20', '--eval-every', '10',
    '--levels', '1', '--one-shot', '1e-300', '--backend', 'reference', '--no-report', '--store', store], /keeps 0 of its \d+ weights/, { maxMs: 5000, maxMB: 300 });
});

test('UserError is what the readers throw (sanity)', () => {
  assert.throws(() => parseModelFile(new Uint8Array(3), 'x'), UserError);
});
