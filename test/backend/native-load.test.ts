// Loading, ISA selection, fallback, argument validation and determinism of the native backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../../src/backend/index.js';
import { createRequire } from 'node:module';
import { loadNativeBackend, nativeAddonPath } from '../../src/backend/native.js';
import { ADDON_EXPORTS } from '../../src/backend/kernels.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { nativeBackend, forEachIsa, randF32, randomCsr, cscOf, Rng } from './helpers.js';

const nb = nativeBackend();
const nativeModule = fileURLToPath(new URL('../../src/backend/native.js', import.meta.url));

test('getBackend returns the native backend, with the dispatched ISA as detail', () => {
  const warnings: string[] = [];
  const b = getBackend('native', { warn: (m) => warnings.push(m) });
  assert.equal(b.name, 'native');
  assert.equal(b.detail, nb.supportedIsas()[0]);
  assert.ok(['avx512', 'avx2', 'generic'].includes(b.detail));
  assert.deepEqual(warnings, []);
  assert.equal(getBackend('reference'), referenceBackend);
});

test('the addon exports exactly the kernels listed in src/backend/kernels.ts (native/kernel_list.h agrees)', () => {
  const r = nativeAddonPath();
  assert.ok('path' in r);
  const addon = createRequire(import.meta.url)(r.path) as Record<string, unknown>;
  assert.deepEqual(Object.keys(addon).sort(), [...ADDON_EXPORTS].sort());
  for (const k of ADDON_EXPORTS) assert.equal(typeof addon[k], 'function', k);
});

test('allocActivations gives zeroed arrays of the asked length starting on 64-byte boundaries; the reference has none', () => {
  const r = nativeAddonPath();
  assert.ok('path' in r);
  const addon = createRequire(import.meta.url)(r.path) as { addressMod64(a: Float32Array): number };
  for (const len of [1, 5, 16, 1000, 98304]) {
    const a = nb.allocActivations!(len);
    assert.equal(a.length, len);
    assert.equal(addon.addressMod64(a), 0, `length ${len}`);
    assert.ok(a.every((v) => v === 0));
  }
  assert.equal(addon.addressMod64(nb.allocActivations!(32).subarray(3)), 12);
  assert.equal(referenceBackend.allocActivations, undefined);
});

test('getBackend falls back to the reference with exactly one warning line when the addon is missing', () => {
  const saved = process.env['WINNOW_NATIVE_ADDON'], required = process.env['WINNOW_REQUIRE_NATIVE'];
  process.env['WINNOW_NATIVE_ADDON'] = '/nonexistent/winnow_native.node';
  delete process.env['WINNOW_REQUIRE_NATIVE']; // CI sets it; this test is about the fallback without it
  try {
    const warnings: string[] = [];
    const b = getBackend('native', { warn: (m) => warnings.push(m) });
    assert.equal(b, referenceBackend);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^winnow: native backend unavailable \(.*nonexistent.*\); using the reference backend$/);
    assert.ok(!warnings[0]!.includes('\n'));
  } finally {
    if (saved === undefined) delete process.env['WINNOW_NATIVE_ADDON']; else process.env['WINNOW_NATIVE_ADDON'] = saved;
    if (required !== undefined) process.env['WINNOW_REQUIRE_NATIVE'] = required;
  }
  const r = loadNativeBackend('/nonexistent/winnow_native.node');
  assert.ok('error' in r);
});

test('WINNOW_ISA lowers the dispatched level in a fresh process; an unknown value fails the load', () => {
  const script = `import(${JSON.stringify(nativeModule)}).then((m) => { const r = m.loadNativeBackend();
    console.log('backend' in r ? r.backend.detail : 'error: ' + r.error); });`;
  for (const isa of nb.supportedIsas()) {
    const out = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, WINNOW_ISA: isa }, encoding: 'utf8' });
    assert.equal(out.stdout.trim(), isa, out.stderr);
  }
  const bad = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, WINNOW_ISA: 'sse9' }, encoding: 'utf8' });
  assert.match(bad.stdout, /^error: .*WINNOW_ISA/);
});

test('setIsa rejects unknown levels', () => {
  assert.throws(() => nb.setIsa('sse9' as never), /unknown ISA/);
  assert.equal(nb.detail, nb.supportedIsas()[0]);
});

test('out-of-bounds and ill-typed calls throw clear errors and leave outputs untouched', () => {
  const f = (n: number) => new Float32Array(n);
  const y = f(4).fill(9);
  const cases: Array<[() => void, RegExp]> = [
    [() => nb.gemm(false, false, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(3), 2), /gemm: c has 3 elements, needs at least 4/],
    [() => nb.gemm(false, false, 2, 2, 3, 1, f(6), 2, f(6), 2, 0, f(4), 2), /gemm: lda = 2 is less than/],
    [() => nb.gemm(true, false, 2, 2, 3, 1, f(5), 2, f(6), 2, 0, f(4), 2), /gemm: a has 5 elements, needs at least 6/],
    [() => nb.gemm(false, true, 2, 2, 3, 1, f(6), 3, f(5), 3, 0, f(4), 2), /gemm: b has 5 elements/],
    [() => nb.gemm(false, false, -1, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), /m must be a non-negative integer/],
    [() => nb.gemm(false, false, 1.5, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2), /m must be a non-negative integer/],
    [() => nb.gemm(0 as unknown as boolean, false, 1, 1, 1, 1, f(1), 1, f(1), 1, 0, f(1), 1), /transA must be a boolean/],
    [() => nb.rowSum(new Float64Array(4) as unknown as Float32Array, 2, 2, f(2)), /dy must be a Float32Array/],
    [() => nb.spmm(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 2]), f(2), f(4), 2, 0, y), /colIdx\[1\] = 2 is outside \[0, 2\)/],
    [() => nb.spmm(2, 2, Int32Array.from([0, 2, 1]), Int32Array.from([0, 1]), f(2), f(4), 2, 0, y), /rowPtr decreases/],
    [() => nb.spmm(2, 2, Int32Array.from([0, 1, 3]), Int32Array.from([0, 1, 1]), f(2), f(4), 2, 0, y), /exceeds the value count/],
    [() => nb.spmm(2, 2, Int32Array.from([0, 1]), Int32Array.from([0]), f(1), f(4), 2, 0, y), /rowPtr has 2 elements, needs at least 3/],
    [() => nb.spmmT(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 1]), Int32Array.from([0, 5]), f(2), f(4), 2, 0, y), /perm\[1\] = 5/],
    [() => nb.spmmT(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([0, -1]), Int32Array.from([0, 1]), f(2), f(4), 2, 0, y), /rowIdx\[1\] = -1/],
    [() => nb.sddmm(2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 2]), f(4), f(4), 2, y), /colIdx\[1\] = 2 is outside \[0, 2\)/],
    // The index scan is a vectorized per-ISA kernel: a negative entry, and a bad entry deep in a long run (vector body, not the tail).
    [() => nb.spmm(2, 2, Int32Array.from([0, 1, 2]), Int32Array.from([-1, 0]), f(2), f(4), 2, 0, y), /colIdx\[0\] = -1 is outside \[0, 2\)/],
    [() => nb.spmm(1, 50, Int32Array.from([0, 100]), Int32Array.from({ length: 100 }, (_, i) => (i === 37 ? 50 : i % 50)), f(100), f(100), 2, 0, y), /colIdx\[37\] = 50 is outside \[0, 50\)/],
    [() => nb.sddmm(2, Int32Array.from([0, 1, 2]), Int32Array.from([0, 1]), f(4), f(4), 2, f(1)), /exceeds the value count/],
    [() => nb.softmaxCrossEntropy(f(4), Int32Array.from([0, 2]), 2, 2, y), /labels\[1\] = 2 is outside/],
    [() => nb.gatherColumns(f(6), 3, Int32Array.from([2]), 1, y), /idx\[0\] = 2 is outside \[0, 2\)/],
    [() => nb.embeddingGather(f(6), new Int32Array(0), new Int32Array(0), 2, 3, Int32Array.from([2]), 1, f(3), false), /idx\[0\] = 2 is outside \[0, 2\)/],
    [() => nb.embeddingGather(f(5), new Int32Array(0), new Int32Array(0), 2, 3, Int32Array.from([1]), 1, f(3), false), /table/],
    [() => nb.embeddingScatterAdd(f(2), Int32Array.from([0, 1, 2]), Int32Array.from([0, 3]), 2, 3, Int32Array.from([1]), 1, f(3)), /colIdx\[1\] = 3 is outside/],
    [() => nb.maxPoolBackward(f(2), Int32Array.from([0, 4]), 2, y, 4), /argmax\[1\] = 4 is outside/],
    [() => nb.maxPoolForward(f(16), 1, 4, 4, 1, 2, 0, y, new Int32Array(4)), /stride must be >= 1/],
    [() => nb.im2col(f(16), 1, 4, 4, 1, 3, 3, 1, 1, f(100)), /col has 100 elements, needs at least 144/],
    [() => nb.col2im(f(144), 1, 4, 4, 1, 3, 3, 1, 1, f(15)), /dx has 15 elements, needs at least 16/],
    // Sizes whose product overflows 64 bits saturate and fail the length check instead of wrapping.
    [() => nb.im2col(f(0), 2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30, 3, 3, 1, 1, f(0)), /x has 0 elements, needs at least 9223372036854775807/],
    [() => nb.adamStep(f(2), f(2), f(2), f(1), 2, 0.1, 0.9, 0.999, 1e-8, 1), /v has 1 elements/],
    [() => nb.adamStep(f(2), f(2), f(2), f(2), 2, 0.1, 0.9, 0.999, 1e-8, 0), /step must be >= 1/],
    [() => nb.applyMask(y, new Uint8Array(3), 4), /mask has 3 elements/],
    [() => (nb.gemm as unknown as (...a: unknown[]) => void)(false, false, 1), /expected 13 arguments/],
  ];
  for (const [call, msg] of cases) {
    assert.throws(call, (e: unknown) => e instanceof Error && msg.test(e.message), String(msg));
  }
  assert.deepEqual(Array.from(y), [9, 9, 9, 9], 'a rejected call wrote to its output');
});

test('native kernels are deterministic: identical inputs give bit-identical outputs across calls', () => {
  const rng = new Rng(5001);
  const w = randomCsr(rng, 300, 784, 0.05), csc = cscOf(w), n = 60;
  const x = randF32(rng, 784 * n), dy = randF32(rng, 300 * n), wd = randF32(rng, 300 * 784);
  const run = () => {
    const outs: Float32Array[] = [];
    const y = new Float32Array(300 * n); nb.spmm(300, 784, w.rowPtr, w.colIdx, w.values, x, n, 0, y); outs.push(y);
    const dx = new Float32Array(784 * n); nb.spmmT(300, 784, csc.colPtr, csc.rowIdx, csc.perm, w.values, dy, n, 0, dx); outs.push(dx);
    const g = new Float32Array(w.colIdx.length); nb.sddmm(300, w.rowPtr, w.colIdx, dy, x, n, g); outs.push(g);
    const c1 = new Float32Array(300 * n); nb.gemm(false, false, 300, n, 784, 1, wd, 784, x, n, 0, c1, n); outs.push(c1);
    const c2 = new Float32Array(300 * 784); nb.gemm(false, true, 300, 784, n, 1, dy, n, x, n, 0, c2, 784); outs.push(c2);
    const c3 = new Float32Array(784 * n); nb.gemm(true, false, 784, n, 300, 1, wd, 784, dy, n, 0, c3, n); outs.push(c3);
    const r = new Float32Array(300); nb.rowSum(dy, 300, n, r); outs.push(r);
    const lg = new Float32Array(10 * n);
    const loss = nb.softmaxCrossEntropy(dy.subarray(0, 10 * n), new Int32Array(n).fill(3), 10, n, lg); outs.push(lg);
    return { outs, loss };
  };
  forEachIsa(nb, (isa) => {
    const a = run(), b = run();
    assert.equal(a.loss, b.loss, `${isa}: loss differs between calls`);
    a.outs.forEach((o, i) => assert.deepEqual(new Uint32Array(o.buffer), new Uint32Array(b.outs[i]!.buffer), `${isa}: output ${i} differs`));
  });
});
