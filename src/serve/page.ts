// The dashboard's pages: two HTML shells, one stylesheet and one script, all served from this process
// (nothing is fetched from elsewhere; the Content-Security-Policy allows only 'self'). The script fills the
// runs table from /api/runs every 2 s, and a run page from /api/run/ID plus the event stream
// /api/run/ID/events ('run', 'jobs', 'metrics' events), drawing the training curves as inline SVG.
import { escapeXml } from '../report/escape.js';
import type { RunView } from './reader.js';

const shell = (title: string, body: string, data: Record<string, string>): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title><link rel="icon" href="/favicon.svg"><link rel="stylesheet" href="/style.css"></head>
<body ${Object.entries(data).map(([k, v]) => `data-${k}="${escapeXml(v)}"`).join(' ')}>
${body}
<script src="/app.js"></script></body></html>
`;

export function listPage(store: string): string {
  return shell(`winnow — ${store}`, `<header><h1>winnow runs</h1><p class="sub">store <code>${escapeXml(store)}</code> · read-only · refreshes every 2 s</p></header>
<main><table id="runs"><thead><tr><th>run</th><th>kind</th><th>state</th><th>jobs done</th><th>updated</th><th>non-default hyperparameters</th></tr></thead>
<tbody><tr><td colspan="6">loading…</td></tr></tbody></table></main>`, { page: 'list' });
}

export function runPage(run: RunView): string {
  return shell(`winnow — ${run.id}`, `<header><p class="sub"><a href="/">← all runs</a></p>
<h1>${escapeXml(run.id)}</h1><p class="sub"><span id="run-kind">${escapeXml(run.kind)}</span> · <span id="run-state">${escapeXml(run.state)}</span> · <span id="run-jobs"></span> · <code>${escapeXml(run.canonical || 'all defaults')}</code></p></header>
<main>
<section><h2>Training curves <span class="live" id="live">live</span></h2>
<p class="controls">metric <select id="metric"></select> <label><input type="checkbox" id="logx"> log iterations</label></p>
<div id="chart" class="chart"><p class="empty">no evaluations yet</p></div><ul id="legend" class="legend"></ul></section>
<section><h2>Figures</h2><div id="figures" class="figures"><p class="empty">none yet: a report is written when the run finishes</p></div></section>
<section><h2>Jobs</h2><table id="jobs"><thead><tr><th>job</th><th>status</th><th>evaluations</th><th>result</th></tr></thead><tbody></tbody></table></section>
<section><h2>Hyperparameters</h2><table id="hparams"><tbody></tbody></table></section>
</main>`, { page: 'run', run: run.id });
}

export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M1 14 L5 8 L8 10 L15 2" fill="none" stroke="#0969da" stroke-width="2"/></svg>';

export const STYLE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 2rem 2rem; color: #222; background: #fafafa; }
header h1 { margin: 1rem 0 0.2rem; font-size: 1.4rem; }
.sub { color: #666; margin: 0.2rem 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; word-break: break-all; }
.state-done { color: #1a7f37; } .state-running { color: #0969da; font-weight: 600; } .state-stopped { color: #9a6700; }
.status-running { color: #0969da; font-weight: 600; } .status-done { color: #1a7f37; } .status-pending { color: #666; }
.live { font-size: 11px; color: #fff; background: #999; border-radius: 3px; padding: 1px 5px; vertical-align: middle; }
.live.on { background: #d1242f; }
.chart { background: #fff; border: 1px solid #ddd; width: 900px; max-width: 100%; }
.chart svg { display: block; width: 100%; height: auto; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; max-width: 900px; font-size: 12px; }
.legend li { cursor: pointer; } .legend li.off { opacity: 0.35; }
.legend .swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 4px; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
.figures figure { margin: 0; background: #fff; border: 1px solid #ddd; padding: 0.5rem; }
.figures img { display: block; max-width: 440px; max-height: 360px; }
.figures figcaption { font-size: 12px; color: #555; }
.empty { color: #888; padding: 0.5rem; margin: 0; }
.controls { margin: 0.3rem 0; }
`;

// Plain browser JavaScript (no build step, no library). Everything from the server is placed with
// textContent/setAttribute, never parsed as HTML.
export const APP_JS = `'use strict';
(() => {
const $ = (s) => document.querySelector(s);
const el = (tag, attrs, text) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
const SVG = 'http://www.w3.org/2000/svg';
const sv = (tag, attrs, text) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v)); if (text !== undefined) e.textContent = text; return e; };
const fmt = (v) => typeof v !== 'number' ? String(v) : Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toFixed(4);
const jobsText = (r) => r.jobsDone + '/' + (r.jobsPlanned ?? r.jobsStarted) + (r.jobsRunning ? ' (' + r.jobsRunning + ' running)' : '');
/** About five round tick values in [lo, hi]. */
const ticks = (lo, hi) => { const raw = (hi - lo) / 5, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p, step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p; const out = []; for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v); return out; };
const td = (text, cls) => el('td', cls ? { class: cls } : {}, text);

async function listPage() {
  const body = $('#runs tbody');
  const refresh = async () => {
    let data;
    try { const r = await fetch('/api/runs', { cache: 'no-store' }); if (!r.ok) throw new Error(r.status + ' ' + await r.text()); data = await r.json(); }
    catch (e) { body.replaceChildren(el('tr', {}, undefined)); body.firstChild.append(el('td', { colspan: '6' }, 'cannot read the store: ' + e.message)); return; }
    const rows = data.runs.map((r) => {
      const tr = el('tr', { 'data-run': r.id });
      const a = el('a', { href: '/run/' + encodeURIComponent(r.id) }, r.id);
      const first = el('td'); first.append(a);
      tr.append(first, td(r.kind), td(r.state + (r.pid ? ' (pid ' + r.pid + ')' : ''), 'state-' + r.state), td(jobsText(r), 'num'), td(r.updatedAt.slice(0, 19).replace('T', ' ')), td(r.canonical || '(defaults)'));
      return tr;
    });
    if (rows.length === 0) { const tr = el('tr'); tr.append(el('td', { colspan: '6' }, 'no runs in this store yet')); rows.push(tr); }
    body.replaceChildren(...rows);
  };
  await refresh();
  setInterval(refresh, 2000);
}

function runPage(runId) {
  const series = new Map();   // job key -> rows [{iteration, ...}]
  const hidden = new Set();
  let metric = '';
  let runState = '';
  let pending = false;
  const metricSel = $('#metric');
  const logx = $('#logx');

  const colour = (i, n) => 'hsl(' + Math.round((360 * i) / Math.max(n, 1)) + ' 70% 42%)';
  const metricNames = () => { const s = new Set(); for (const rows of series.values()) for (const r of rows) for (const [k, v] of Object.entries(r)) if (k !== 'iteration' && (typeof v === 'number' || v === null)) s.add(k); return [...s].sort(); };

  function updateMetricChoices() {
    const names = metricNames();
    const have = [...metricSel.options].map((o) => o.value);
    if (names.join() === have.join()) return;
    metricSel.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    if (!names.includes(metric)) metric = names.includes('testAccuracy') ? 'testAccuracy' : names.includes('valAccuracy') ? 'valAccuracy' : names[0] || '';
    metricSel.value = metric;
  }

  function draw() {
    pending = false;
    updateMetricChoices();
    const keys = [...series.keys()].sort();
    const chart = $('#chart');
    const W = 900, H = 360, L = 60, R = 16, T = 14, B = 40;
    const pts = keys.map((k) => (series.get(k) || []).filter((r) => typeof r[metric] === 'number' && Number.isFinite(r[metric])).map((r) => [r.iteration, r[metric]]));
    const total = pts.reduce((s, p) => s + p.length, 0);
    if (!metric || total === 0) { chart.replaceChildren(el('p', { class: 'empty' }, runState === 'running' || runState === '' ? 'no evaluations yet' : 'this run logged no evaluations')); chart.setAttribute('data-points', '0'); $('#legend').replaceChildren(); return; }
    const visible = keys.map((k, i) => hidden.has(k) ? [] : pts[i]).flat();
    const all = visible.length ? visible : pts.flat();
    const useLog = logx.checked;
    const xf = (x) => useLog ? Math.log10(x + 1) : x;
    let x0 = Math.min(...all.map((p) => xf(p[0]))), x1 = Math.max(...all.map((p) => xf(p[0])));
    let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
    if (x1 === x0) { x1 = x0 + 1; }
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    const X = (x) => L + ((xf(x) - x0) / (x1 - x0)) * (W - L - R);
    const Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
    const svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': metric + ' against iteration', 'data-points': total });
    for (const yv of ticks(y0, y1)) {
      const yy = Y(yv);
      svg.append(sv('line', { x1: L, x2: W - R, y1: yy, y2: yy, stroke: '#eee' }), sv('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, String(+yv.toPrecision(6))));
    }
    const xticks = useLog ? [0, 1, 2, 3, 4, 5, 6, 7].map((e) => Math.pow(10, e)).filter((v) => xf(v) >= x0 && xf(v) <= x1) : ticks(x0, x1);
    for (const xv of xticks) svg.append(sv('text', { x: X(xv), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' }, String(+xv.toPrecision(6))));
    svg.append(sv('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#888' }), sv('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#888' }));
    svg.append(sv('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#333' }, 'iteration'));
    svg.append(sv('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#333', transform: 'rotate(-90 14 ' + (T + H - B) / 2 + ')' }, metric));
    const legend = [];
    keys.forEach((k, i) => {
      const p = pts[i];
      const c = colour(i, keys.length);
      const li = el('li', { 'data-job': k, class: hidden.has(k) ? 'off' : '' });
      const sw = el('span', { class: 'swatch' }); sw.style.background = c;
      li.append(sw, document.createTextNode(k + ' (' + p.length + ')'));
      li.addEventListener('click', () => { if (hidden.has(k)) hidden.delete(k); else hidden.add(k); schedule(); });
      legend.push(li);
      if (hidden.has(k) || p.length === 0) return;
      const line = sv('polyline', { fill: 'none', stroke: c, 'stroke-width': 1.6, points: p.map(([x, y]) => X(x).toFixed(1) + ',' + Y(y).toFixed(1)).join(' '), 'data-job': k, 'data-n': p.length });
      line.append(sv('title', {}, k));
      svg.append(line);
    });
    chart.replaceChildren(svg);
    chart.setAttribute('data-points', String(total));
    $('#legend').replaceChildren(...legend);
  }
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(draw); } };
  metricSel.addEventListener('change', () => { metric = metricSel.value; schedule(); });
  logx.addEventListener('change', schedule);

  function showRun(r) {
    if (r.state !== runState) { runState = r.state; schedule(); }
    $('#run-state').textContent = r.state + (r.pid ? ' (pid ' + r.pid + ')' : '');
    $('#run-state').className = 'state-' + r.state;
    $('#run-jobs').textContent = 'jobs done ' + jobsText(r);
    document.body.setAttribute('data-state', r.state);
    const rows = Object.entries(r.hparams).map(([k, v]) => { const tr = el('tr'); tr.append(el('th', {}, k), td(typeof v === 'string' ? v : JSON.stringify(v))); return tr; });
    $('#hparams tbody').replaceChildren(...rows);
  }

  function resultText(res) {
    if (res === null || typeof res !== 'object') return res === null ? '' : String(res);
    return Object.entries(res).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean').slice(0, 8).map(([k, v]) => k + ' ' + fmt(v)).join(' · ');
  }
  function showJobs(list) {
    const rows = list.map((j) => {
      const tr = el('tr', { 'data-job': j.key });
      tr.append(td(j.key), td(j.status, 'status-' + j.status), td(String((series.get(j.key) || []).length), 'num'), td(resultText(j.result)));
      return tr;
    });
    $('#jobs tbody').replaceChildren(...rows);
  }

  let figureSig = '';
  async function refreshFigures() {
    try {
      const r = await fetch('/api/run/' + encodeURIComponent(runId), { cache: 'no-store' });
      if (!r.ok) return;
      const d = await r.json();
      const sig = d.figures.map((f) => f.name).join('|');
      if (sig === figureSig) return;
      figureSig = sig;
      const figs = d.figures.map((f) => { const fig = el('figure', { 'data-figure': f.name }); const a = el('a', { href: f.url, target: '_blank' }); a.append(el('img', { src: f.url, alt: f.title })); fig.append(a, el('figcaption', {}, f.title)); return fig; });
      $('#figures').replaceChildren(...(figs.length ? figs : [el('p', { class: 'empty' }, 'none yet: a report is written when the run finishes')]));
    } catch { /* the next change retries */ }
  }

  const es = new EventSource('/api/run/' + encodeURIComponent(runId) + '/events');
  const live = $('#live');
  es.onopen = () => { live.classList.add('on'); live.textContent = 'live'; };
  es.onerror = () => { live.classList.remove('on'); live.textContent = 'reconnecting'; };
  es.addEventListener('run', (e) => { const r = JSON.parse(e.data); showRun(r); refreshFigures(); });
  es.addEventListener('jobs', (e) => { showJobs(JSON.parse(e.data)); refreshFigures(); });
  es.addEventListener('metrics', (e) => {
    const m = JSON.parse(e.data);
    const rows = m.reset ? [] : (series.get(m.key) || []);
    series.set(m.key, rows.concat(m.rows));
    if (m.reset && m.rows.length === 0) series.delete(m.key);
    const cell = document.querySelector('#jobs tr[data-job="' + CSS.escape(m.key) + '"] td:nth-child(3)');
    if (cell) cell.textContent = String((series.get(m.key) || []).length);
    schedule();
  });
  es.addEventListener('gone', () => { live.classList.remove('on'); live.textContent = 'run removed'; es.close(); });
  es.addEventListener('failure', (e) => { live.textContent = 'error: ' + JSON.parse(e.data).message; });
}

const page = document.body.getAttribute('data-page');
if (page === 'list') listPage();
else if (page === 'run') runPage(document.body.getAttribute('data-run'));
})();
`;
