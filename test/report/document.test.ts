// Reports: Markdown references figure files that were written, HTML inlines them, text is escaped,
// files land atomically in the output directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { figure, heading, list, paragraph, renderHtml, renderMarkdown, table, writeReport, type ReportDoc } from '../../src/report/document.js';
import { lineChart } from '../../src/report/svg-chart.js';
import { checkXml } from './xml-check.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-report-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const chart = lineChart({ title: 'acc', series: [{ name: 'a & b', points: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }] });
const chart2 = lineChart({ title: 'loss', series: [{ name: 'c', points: [{ x: 1, y: 5 }, { x: 2, y: 1 }] }] });
const doc: ReportDoc = {
  title: 'LTH <report> & more',
  blocks: [
    heading('Results'),
    paragraph('Accuracy < 98% & loss > 0.1 at *level* 3 | done'),
    list(['first <one>', 'second']),
    table(['level', 'branch', 'acc'], [[0, 'main', 0.98], [1, 'x|y', null]], { caption: 'Table <1>' }),
    figure('accuracy', chart, 'Accuracy & sparsity'),
    figure('loss', chart2),
  ],
};

test('writeReport writes md, html and every figure; md references exactly the written svgs', () => {
  const paths = writeReport(dir, 'lth', doc);
  assert.deepEqual(paths.map((p) => basename(p)), ['lth-accuracy.svg', 'lth-loss.svg', 'lth.md', 'lth.html']);
  for (const p of paths) assert.ok(existsSync(p) && dirname(p) === dir);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  const md = readFileSync(join(dir, 'lth.md'), 'utf8');
  const refs = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
  assert.deepEqual(refs, ['lth-accuracy.svg', 'lth-loss.svg']);
  for (const r of refs) assert.equal(readFileSync(join(dir, r), 'utf8'), r.includes('accuracy') ? chart : chart2);
});

test('html inlines every svg and is self-contained', () => {
  const html = renderHtml(doc);
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(html.includes(chart.trim()) && html.includes(chart2.trim()), 'svgs inlined verbatim');
  assert.ok(!/\b(src|href)=/.test(html), 'no external references');
  assert.ok(html.includes('<style>'));
  // The body (everything is XHTML-compatible) parses as XML.
  checkXml(html.slice(html.indexOf('<body>'), html.indexOf('</body>') + 7));
  assert.ok(html.includes('<td class="num">0.98</td>'), 'numeric columns right-aligned');
});

test('text is escaped in html and markdown', () => {
  const html = renderHtml(doc);
  assert.ok(html.includes('<title>LTH &lt;report&gt; &amp; more</title>'));
  assert.ok(html.includes('Accuracy &lt; 98% &amp; loss &gt; 0.1'));
  assert.ok(html.includes('<li>first &lt;one&gt;</li>') && html.includes('<caption>Table &lt;1&gt;</caption>'));
  assert.ok(!html.includes('<report>') && !html.includes('<one>'));
  const md = renderMarkdown('lth', doc);
  assert.ok(md.startsWith('# LTH \\<report\\> \\& more\n'));
  assert.ok(md.includes('\\*level\\* 3 \\| done'));
  assert.ok(md.includes('| 1 | x\\|y | – |'), 'pipes in cells escaped, null as –');
  assert.ok(md.includes('| ---: | :--- | ---: |'));
});

test('bad names are refused before anything is written', () => {
  const sub = join(dir, 'bad');
  assert.throws(() => writeReport(sub, '../evil', doc), TypeError);
  assert.throws(() => writeReport(sub, 'ok', { title: 't', blocks: [figure('a', chart), figure('a', chart)] }), TypeError);
  assert.throws(() => writeReport(sub, 'ok', { title: 't', blocks: [figure('a/b', chart)] }), TypeError);
  assert.ok(!existsSync(sub));
});
