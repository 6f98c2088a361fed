// Charts: well-formed standalone SVG, deterministic, escaped text, monotone log axes (also
// reversed), 1-2-5 ticks, and a correct Pareto frontier including ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPercent, lineChart, paretoFrontier, scatterChart } from '../../src/report/svg-chart.js';
import { formatCompact, formatSig, linearScale, logScale, logTicks } from '../../src/report/scale.js';
import { checkXml } from './xml-check.js';

const levels = Array.from({ length: 16 }, (_, i) => 100 * 0.8 ** i);
const lth = {
  title: 'Accuracy <vs> sparsity & "rewinding"',
  x: { label: '% weights remaining', scale: 'log' as const, reversed: true, format: formatPercent },
  y: { label: 'Test accuracy' },
  series: [
    { name: 'winning <ticket>', points: levels.map((x, i) => ({ x, y: 0.98 - i * 0.001, yLow: 0.975 - i * 0.001, yHigh: 0.985 - i * 0.001 })) },
    { name: 'random & reinit', points: levels.map((x, i) => ({ x, y: 0.98 - i * 0.004 })), dashed: true },
  ],
};

test('the xml checker itself rejects malformed input', () => {
  assert.throws(() => checkXml('<svg><g></svg>'));
  assert.throws(() => checkXml('<svg><text>a < b</text></svg>'));
  assert.throws(() => checkXml('<svg><text>a & b</text></svg>'));
  assert.throws(() => checkXml('<svg x="a"b"></svg>'));
  checkXml('<svg a="1"><g/><text>a &amp; b &lt; c</text></svg>');
});

test('line chart: standalone, well-formed, deterministic, escaped', () => {
  const svg = lineChart(lth);
  checkXml(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="680" height="420" viewBox="0 0 680 420"/);
  assert.equal(lineChart(lth), svg, 'byte-identical on repeat');
  assert.ok(svg.includes('Accuracy &lt;vs&gt; sparsity &amp; &quot;rewinding&quot;'));
  assert.ok(svg.includes('winning &lt;ticket&gt;') && svg.includes('random &amp; reinit'));
  assert.ok(!svg.includes('<ticket>') && !svg.includes('NaN'));
  assert.equal((svg.match(/fill-opacity="0\.16"/g) ?? []).length, 1, 'one band (only the first series has bounds)');
  assert.ok(svg.includes('stroke-dasharray="6 4"'), 'dashed series');
  assert.ok(svg.includes('>100%<') && svg.includes('>50%<') && svg.includes('>10%<'), '1-2-5 percent labels');
});

test('log axis placement is monotone (decreasing when reversed) with equal decades', () => {
  const s = logScale([100, 51.3, 3.6], { range: [50, 650] });
  const r = logScale([100, 51.3, 3.6], { range: [650, 50] });
  const xs = [3.6, 5, 10, 20, 51.3, 100];
  for (let i = 1; i < xs.length; i++) {
    assert.ok(s.toPx(xs[i]!) > s.toPx(xs[i - 1]!));
    assert.ok(r.toPx(xs[i]!) < r.toPx(xs[i - 1]!));
  }
  assert.ok(Math.abs((s.toPx(100) - s.toPx(10)) - (s.toPx(10) - s.toPx(1))) < 1e-9, 'a decade is a decade');
  assert.ok(s.toPx(3.6) > 50 && s.toPx(100) < 650, 'data inside the padded range');
  assert.deepEqual(logTicks(1.5, 120), [2, 5, 10, 20, 50, 100]);
  assert.deepEqual(logTicks(1, 1e9), [1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9]);
  assert.deepEqual(logTicks(2.1, 4.5), [3, 4]);
  assert.deepEqual(logScale([100, 51.3, 3.6], { range: [0, 1], ticks: 'data' }).ticks, [3.6, 51.3, 100]);
  assert.throws(() => logScale([1, 0], { range: [0, 1] }), TypeError);
});

test('x positions in the chart follow the reversed log axis', () => {
  const svg = lineChart({ series: [{ name: 'a', points: [{ x: 100, y: 1 }, { x: 10, y: 2 }, { x: 1, y: 3 }] }], x: { scale: 'log', reversed: true } });
  const d = /<path d="M([\d.]+) [\d.]+L([\d.]+) [\d.]+L([\d.]+) [\d.]+" fill="none"/.exec(svg);
  assert.ok(d, 'line path present');
  // Points are drawn in ascending x, so on a reversed axis the pixels decrease, evenly (decades).
  const [a, b, c] = [Number(d[1]), Number(d[2]), Number(d[3])];
  assert.ok(a > b && b > c);
  assert.ok(Math.abs((a - b) - (b - c)) < 0.02);
});

test('linear scale: nice ticks inside a padded domain; formatting', () => {
  const s = linearScale([0.91, 0.987], { range: [0, 100], tickCount: 5 });
  assert.ok(s.domain[0] < 0.91 && s.domain[1] > 0.987);
  assert.deepEqual(s.ticks, [0.92, 0.94, 0.96, 0.98]);
  assert.deepEqual(s.ticks.map(s.format), ['0.92', '0.94', '0.96', '0.98']);
  assert.deepEqual(linearScale([0, 1], { range: [0, 1], domain: [0, 1], tickCount: 4 }).ticks, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(formatPercent(100), '100%');
  assert.equal(formatPercent(51.2), '51.2%');
  assert.equal(formatPercent(3.6028797), '3.6%');
  assert.equal(formatSig(0.000012), '1.2e-5');
  assert.equal(formatCompact(266200), '266k');
  assert.equal(formatCompact(1500), '1.5k');
});

test('pareto frontier on hand-made cases, including ties and duplicates', () => {
  const pts = [
    { x: 10, y: 0.5, id: 'a' },
    { x: 20, y: 0.7, id: 'b' },
    { x: 20, y: 0.6, id: 'c' }, // same x as b, lower y: dominated
    { x: 15, y: 0.5, id: 'd' }, // same y as a, higher x: dominated
    { x: 30, y: 0.7, id: 'e' }, // same y as b, higher x: dominated
    { x: 40, y: 0.9, id: 'f' },
    { x: 40, y: 0.9, id: 'g' }, // exact duplicate of f: kept
    { x: 5, y: 0.1, id: 'h' },
    { x: 50, y: 0.8, id: 'i' }, // more x, less y than f
    { x: NaN, y: 1, id: 'nan' },
  ];
  assert.deepEqual(paretoFrontier(pts).map((p) => p.id), ['h', 'a', 'b', 'f', 'g']);
  assert.deepEqual(paretoFrontier([]), []);
  assert.deepEqual(paretoFrontier([{ x: 1, y: 1 }]), [{ x: 1, y: 1 }]);
  // Brute force agreement on a grid with many ties.
  const grid = Array.from({ length: 60 }, (_, i) => ({ x: (i * 7) % 9, y: (i * 5) % 7 }));
  const brute = grid.filter((p) => !grid.some((q) => q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y)));
  const fast = paretoFrontier(grid);
  assert.equal(fast.length, brute.length);
  assert.ok(fast.every((p) => brute.includes(p)));
});

test('scatter chart: frontier step line, labels, groups, escaping', () => {
  const points = [
    { x: 1000, y: 90, label: 'a<1>', group: 'lth' },
    { x: 5000, y: 95, label: 'b', group: 'snip & co' },
    { x: 20000, y: 93, label: 'c', group: 'lth' },
    { x: 100000, y: 97, label: 'd', group: 'dense' },
  ];
  const svg = scatterChart({ title: 't', points, x: { label: 'params' }, y: { label: 'acc' } });
  checkXml(svg);
  assert.equal(scatterChart({ title: 't', points, x: { label: 'params' }, y: { label: 'acc' } }), svg);
  assert.ok(svg.includes('>a&lt;1&gt;<') && svg.includes('snip &amp; co'));
  assert.equal((svg.match(/r="7" fill="none"/g) ?? []).length, 3, 'three frontier points ringed');
  const step = /<path d="(M[^"]+)" fill="none" stroke="#333333"/.exec(svg);
  assert.ok(step, 'frontier path');
  assert.equal((step[1]!.match(/L/g) ?? []).length, 5, 'two segments per frontier gap plus the run to the edge');
  assert.ok(svg.includes('>1k<') || svg.includes('>2k<'), 'compact log labels');
  const noFront = scatterChart({ points, frontier: false });
  checkXml(noFront);
  assert.ok(!noFront.includes('r="7"'));
});

test('legend placement: inside when a corner is free, below when none is', () => {
  const free = lineChart({ series: [{ name: 's', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }] });
  assert.ok(free.includes('fill-opacity="0.85"'), 'inside legend box');
  // Dense noise everywhere leaves no free corner.
  const noisy = Array.from({ length: 400 }, (_, i) => ({ x: i, y: (i * 7919) % 101 }));
  const busy = lineChart({ series: [{ name: 'noise', points: noisy }] });
  assert.ok(!busy.includes('fill-opacity="0.85"'));
  checkXml(busy);
  const right = lineChart({ series: [{ name: 's', points: [{ x: 0, y: 0 }] }], legend: 'right' });
  checkXml(right);
  assert.ok(!lineChart({ series: [{ name: 's', points: [{ x: 0, y: 0 }] }], legend: 'none' }).includes('>s<'));
});

test('xml checker rejects a second root', () => {
  assert.throws(() => checkXml('<svg></svg><svg></svg>'), /after the root/);
});

test('labels are placed with dy offsets, never dominant-baseline (ignored by librsvg and Inkscape); NEAT charts use this renderer', async () => {
  const { fitnessChartSvg, runsChartSvg } = await import('../../src/neat/svg.js');
  const hist = Array.from({ length: 12 }, (_, g) => ({ generation: g, bestFitness: g * 2, meanFitness: g, bestHidden: g >> 2, bestEnabled: 5 + g }));
  const charts = [
    lineChart(lth), scatterChart({ title: 's', points: [{ x: 1, y: 2, label: 'a' }, { x: 3, y: 4, label: 'b' }] }),
    fitnessChartSvg(hist, 'xor run 1'), runsChartSvg([{ solved: true, evaluations: 3000 }, { solved: false, evaluations: 9000 }], 'xor'),
  ];
  for (const svg of charts) {
    checkXml(svg);
    assert.doesNotMatch(svg, /dominant-baseline|alignment-baseline/);
    assert.match(svg, /<text [^>]*dy="0\.32em"/); // tick labels centred on their tick
  }
  // The fitness chart is two full charts of the main renderer (its font, axes, legend), stacked.
  assert.equal(charts[2]!.match(/<svg /g)!.length, 3);
  assert.match(charts[2]!, /system-ui/);
  assert.match(charts[2]!, />generation</);
});
