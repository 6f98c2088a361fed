// The study: conclusions follow from the points (hand-made points with known answers), and a tiny
// end-to-end run (synthetic blobs, 2 pruning levels) writes the table, chart and reports.
import { test } from 'node:test';
import { escapeMarkdown } from '../../src/report/document.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveConclusions } from '../../src/compare/conclusions.js';
import type { Category, StudyPoint } from '../../src/compare/points.js';
import { writeStudy, terminalTable } from '../../src/compare/report.js';
import { compareExperiment, launch, resolveHparams, type StudyResult } from '../../src/experiments/index.js';
import { BLOBS } from './helpers.js';

function pt(label: string, category: Category, bytes: number, acc: number, extra: Partial<StudyPoint> = {}): StudyPoint {
  const source = category === 'baseline' || category === 'quantization' ? 'dense' : category === 'control' ? 'random-prune' : 'ticket';
  return { label, category, source, level: null, density: 1, format: 'fp32', encoding: 'dense', bytes, bitsPerWeight: 1, testAccuracy: acc, testLoss: 0, ...extra };
}

test('conclusions: budget winners, iso-accuracy, frontier and controls follow the numbers', () => {
  const points = [
    pt('dense fp32', 'baseline', 1000, 0.90),
    pt('dense int8', 'quantization', 250, 0.91, { format: 'int8-channel' }),
    pt('dense nvfp4', 'quantization', 140, 0.89, { format: 'nvfp4' }),
    pt('dense ternary', 'quantization', 60, 0.70, { format: 'ternary' }),
    pt('L1 fp32', 'sparsity', 500, 0.905, { level: 1 }),
    pt('L3 fp32', 'sparsity', 120, 0.88, { level: 3 }),
    pt('L1 nvfp4', 'combined', 80, 0.90, { level: 1, format: 'nvfp4' }),
    pt('L3 nvfp4', 'combined', 30, 0.875, { level: 3, format: 'nvfp4' }),
    pt('rand L3 fp32', 'control', 120, 0.85, { level: 3 }),
  ];
  const c = deriveConclusions(points, [0.005]);
  // Ranges split where a category first fits: 30 B (combined only), 60 B (+ quantization), 120 B (+ sparsity).
  assert.deepEqual(c.budgets.map((b) => [b.winner, b.from, b.to]), [['combined', 30, 30], ['combined', 60, 80], ['combined', 120, 140], ['quantization', 250, 500]]);
  assert.deepEqual(c.frontier.map((p) => p.label), ['L3 nvfp4', 'L1 nvfp4', 'dense int8']);
  assert.deepEqual(c.frontierRuns.map((r) => r.category), ['combined', 'quantization']);
  assert.equal(c.iso[0]!.winner, 'combined');
  assert.equal(c.iso[0]!.smallest['quantization']!.label, 'dense int8');
  assert.equal(c.iso[0]!.smallest['sparsity']!.label, 'L1 fp32');
  assert.equal(c.controls!.pairs, 1);
  assert.ok(Math.abs(c.controls!.meanGap - 0.03) < 1e-12);
  assert.deepEqual(c.headToHead.map((b) => [b.winner, b.from, b.to]), [['quantization', 60, 60], ['sparsity', 120, 120], ['quantization', 140, 500]]);
  assert.deepEqual(c.statements.sparsity, ['Each alone: ticket, fp32 beats dense, quantized at 120 B (at 120 B, ticket, fp32 88.00% (L3 fp32), dense, quantized 70.00% (dense ternary)).'],
    'among all three, sparsity alone wins no budget; it only beats quantization alone at 120 B');
  assert.match(c.statements.quantization[0]!, /dense, quantized gives the best accuracy for budgets from 250 B to 500 B/);
  assert.match(c.statements.combined.join('\n'), /smallest file is ticket, quantized: L1 nvfp4, 80 B = 12\.5× smaller/);
  // Change one measurement and the conclusion changes with it.
  points[4] = pt('L1 fp32', 'sparsity', 500, 0.95, { level: 1 });
  const c2 = deriveConclusions(points, [0.005]);
  assert.deepEqual(c2.budgets.map((b) => b.winner), ['combined', 'combined', 'combined', 'quantization', 'sparsity']);
  assert.match(c2.statements.sparsity.join('\n'), /ticket, fp32 gives the best accuracy at 500 B/);
});

test('a tiny study writes table, chart, markdown, HTML and JSON from its own measurements', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-compare-'));
  try {
    const h = resolveHparams(compareExperiment, {
      model: 'mlp:20-16-12-4', dataset: BLOBS, pruneLevels: 2, iterations: 60,
      ticketFormats: ['fp32', 'nvfp4'], denseFormats: ['fp32', 'bf16', 'int8-channel'], neatDir: join(dir, 'no-neat'),
    });
    const r: StudyResult = (await launch(compareExperiment, h, { root: join(dir, 'store'), noReport: true })).summary;
    assert.equal(r.points.length, 3 + 2 * 2 * 2);
    assert.ok(r.points.every((p) => p.bytes > 0 && p.testAccuracy >= 0 && p.testAccuracy <= 1));
    const l2 = r.points.find((p) => p.label === 'L2 fp32')!, dense = r.points.find((p) => p.label === 'dense fp32')!;
    assert.ok(l2.density < 0.3 && l2.bytes < dense.bytes, 'level 2 at rate 0.5 is sparse and smaller');
    assert.match(r.neatNote, /no NEAT runs/);
    const paths = writeStudy(join(dir, 'out'), r);
    for (const f of ['compare.md', 'compare.html', 'compare-accuracy-vs-bytes.svg', 'compare.json']) assert.ok(existsSync(join(dir, 'out', f)), f);
    assert.equal(paths.length, 4);
    const svg = readFileSync(join(dir, 'out', 'compare-accuracy-vs-bytes.svg'), 'utf8');
    assert.match(svg, /<svg[\s\S]*Pareto frontier/);
    const md = readFileSync(join(dir, 'out', 'compare.md'), 'utf8');
    for (const h of ['Where sparsity wins', 'Where quantization wins', 'Where combining them wins', 'Frontier']) assert.ok(md.includes(h), h);
    for (const s of r.conclusions.statements.frontier) assert.ok(md.includes(escapeMarkdown(s)), s);
    const html = readFileSync(join(dir, 'out', 'compare.html'), 'utf8');
    assert.match(html, /<figure id="fig-accuracy-vs-bytes"><svg/);
    assert.match(terminalTable(r), /dense fp32 .* 100\.00%/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
