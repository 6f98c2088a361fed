// `winnow serve` over HTTP without a browser: the JSON endpoints, live metric events (appended rows, then a
// job's final metrics replacing them), figures by name only, the loopback Host check, the token beyond
// loopback, read-only access, and the one-line errors (store missing, port in use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/db.js';
import { serve } from '../../src/serve/index.js';
import { UserError } from '../../src/util/errors.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** An event-stream reader: collects parsed events; waitFor resolves when a predicate over them holds. */
function events(url: string): { list: Array<{ event: string; data: any }>; waitFor: (pred: (l: Array<{ event: string; data: any }>) => boolean, what: string) => Promise<void>; close: () => void } {
  const list: Array<{ event: string; data: any }> = [];
  let buf = '';
  const waiters: Array<() => void> = [];
  const req = request(url, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i); buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) list.push({ event: ev, data: JSON.parse(data) });
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    list,
    waitFor: (pred, what) => new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(list.map((e) => e.event))}`)), 10000);
      const check = (): void => { if (pred(list)) { clearTimeout(t); ok(); } else waiters.push(check); };
      check();
    }),
    close: () => req.destroy(),
  };
}

function makeStore(): { root: string; runId: string } {
  const root = mkdtempSync(join(tmpdir(), 'winnow-serve-'));
  const runId = 'lottery_00000000000000aa';
  const store = openStore(root);
  store.upsertRun({ id: runId, kind: 'lottery', hparams: { model: 'mlp:4-3', iterations: 100 }, canonical: 'iterations=100' });
  store.setJobStatus(runId, 'replicate_0/level_0/ticket', 'running');
  store.setMetric(runId, 'replicate_0/level_0/ticket', { iteration: 0, testAccuracy: 0.3 });
  store.setMetric(runId, 'replicate_0/level_0/ticket', { iteration: 10, testAccuracy: 0.5 });
  store.close();
  mkdirSync(join(root, runId, 'report'), { recursive: true });
  writeFileSync(join(root, runId, 'report', 'report-accuracy.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, runId, 'compare-accuracy-vs-bytes.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><title>frontier</title></svg>');
  writeFileSync(join(root, runId, 'secret.txt'), 'not a figure');
  return { root, runId };
}

test('serve: runs, a run with its figures, live metrics (appended, then replaced), figures by name only', async () => {
  const { root, runId } = makeStore();
  const served = await serve({ store: root, port: 0, host: '127.0.0.1', pollMs: 50, plannedJobs: () => 7 });
  const base = served.url;
  try {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(served.token, null);
    const runs = JSON.parse((await get(`${base}api/runs`)).body) as { runs: Array<Record<string, unknown>> };
    assert.equal(runs.runs.length, 1);
    assert.deepEqual({ ...runs.runs[0], createdAt: 0, updatedAt: 0, hparams: 0 }, {
      id: runId, kind: 'lottery', status: 'pending', state: 'stopped', pid: null, canonical: 'iterations=100', createdAt: 0, updatedAt: 0, hparams: 0,
      jobsDone: 0, jobsRunning: 1, jobsStarted: 1, jobsPlanned: 7,
    });
    const page = await get(`${base}run/${runId}`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(page.body, new RegExp(`<h1>${runId}</h1>`));
    assert.equal((await get(`${base}run/nope`)).status, 404);

    const detail = JSON.parse((await get(`${base}api/run/${runId}`)).body) as { figures: Array<{ name: string; url: string }>; jobs: Array<{ key: string; metrics: number }> };
    assert.deepEqual(detail.figures.map((f) => f.name), ['report/report-accuracy.svg', 'run/compare-accuracy-vs-bytes.svg']);
    assert.deepEqual(detail.jobs.map((j) => [j.key, j.metrics]), [['replicate_0/level_0/ticket', 2]]);
    const svg = await get(`${base}${detail.figures[1]!.url.slice(1)}`);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.match(svg.body, /frontier/);
    for (const bad of [`figure/${runId}/run/secret.txt`, `figure/${runId}/..%2Fwinnow.db`, `figure/${runId}/run/..%2F..%2Fwinnow.db`, `figure/${runId}/report/..%2Fsecret.txt`]) {
      assert.equal((await get(`${base}${bad}`)).status, 404, bad);
    }

    // The event stream: everything first, then rows as they are committed by another connection.
    const es = events(`${base}api/run/${runId}/events`);
    const key = 'replicate_0/level_0/ticket';
    const rowsOf = (l: Array<{ event: string; data: any }>): number[] => {
      let rows: number[] = [];
      for (const e of l) if (e.event === 'metrics' && e.data.key === key) rows = (e.data.reset ? [] : rows).concat(e.data.rows.map((r: { iteration: number }) => r.iteration));
      return rows;
    };
    await es.waitFor((l) => l.some((e) => e.event === 'jobs') && rowsOf(l).length === 2, 'the initial state');
    assert.deepEqual(es.list.find((e) => e.event === 'metrics')!.data, { key, reset: true, rows: [{ iteration: 0, testAccuracy: 0.3 }, { iteration: 10, testAccuracy: 0.5 }] });
    const writer = openStore(root, { create: false });
    try {
      writer.setMetric(runId, key, { iteration: 20, testAccuracy: 0.6 });
      writer.setMetric(runId, key, { iteration: 30, testAccuracy: 0.7 });
      await es.waitFor((l) => rowsOf(l).length === 4, 'two appended rows');
      const appended = es.list.filter((e) => e.event === 'metrics' && !e.data.reset);
      assert.ok(appended.length >= 1 && appended.every((e) => e.data.rows.every((r: { iteration: number }) => r.iteration >= 20)), JSON.stringify(appended));
      assert.deepEqual(rowsOf(es.list), [0, 10, 20, 30]);
      // The job finishes: its final metrics (here fewer rows) replace the live ones.
      writer.setJobResult(runId, key, { finalTestAccuracy: 0.8 }, [{ iteration: 0, testAccuracy: 0.3 }, { iteration: 50, testAccuracy: 0.8 }]);
      await es.waitFor((l) => rowsOf(l).join() === '0,50', 'the final metrics replacing the live ones');
      await es.waitFor((l) => l.some((e) => e.event === 'jobs' && e.data[0].status === 'done'), 'the job done');
    } finally {
      writer.close();
      es.close();
    }

    // Loopback only answers to loopback names (DNS rebinding); only GET/HEAD.
    assert.equal((await get(base, { Host: 'attacker.example:80' })).status, 403);
    assert.equal((await get(base, {}, 'POST')).status, 405);
  } finally {
    await served.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('serve: beyond loopback every request needs the token (query, bearer header, or the cookie a ?token= visit sets)', async () => {
  const { root, runId } = makeStore();
  const served = await serve({ store: root, port: 0, host: '0.0.0.0', pollMs: 50 });
  try {
    assert.ok(served.token && served.token.length >= 32, 'a long random token');
    assert.match(served.url, new RegExp(`\\?token=${served.token}$`));
    const base = `http://127.0.0.1:${served.port}/`;
    for (const p of ['', 'api/runs', `run/${runId}`, `api/run/${runId}/events`, `figure/${runId}/report/report-accuracy.svg`, 'app.js']) {
      const r = await get(`${base}${p}`);
      assert.equal(r.status, 401, p);
      assert.match(r.body, /token/);
    }
    assert.equal((await get(`${base}api/runs?token=wrong`)).status, 401);
    assert.equal((await get(`${base}api/runs`, { Authorization: 'Bearer x' + served.token!.slice(1) })).status, 401);
    assert.equal((await get(`${base}api/runs`, { Authorization: `Bearer ${served.token}` })).status, 200);
    assert.equal((await get(`${base}api/runs`, { 'X-Winnow-Token': served.token! })).status, 200);
    const first = await get(`${base}?token=${served.token}`);
    assert.equal(first.status, 200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^winnow_token=/);
    assert.match(String(first.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    assert.equal((await get(`${base}api/run/${runId}`, { Cookie: cookie })).status, 200);
  } finally {
    await served.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('serve: reads only (the database file is byte-identical after serving), and a newer store is refused', async () => {
  const { root, runId } = makeStore();
  const db = join(root, 'winnow.db');
  const digest = (): string => createHash('sha256').update(readFileSync(db)).digest('hex');
  const before = digest();
  const served = await serve({ store: root, port: 0, host: '127.0.0.1', pollMs: 20 });
  try {
    const es = events(`${served.url}api/run/${runId}/events`);
    await es.waitFor((l) => l.some((e) => e.event === 'jobs'), 'the initial state');
    await get(`${served.url}api/runs`);
    await get(`${served.url}api/run/${runId}/metrics`);
    es.close();
  } finally {
    await served.close();
  }
  assert.equal(digest(), before);
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(db);
  raw.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
  raw.close();
  await assert.rejects(serve({ store: root, port: 0, host: '127.0.0.1' }), (e: unknown) => e instanceof UserError && /newer winnow \(schema 99/.test(e.message));
  rmSync(root, { recursive: true, force: true });
});

test('serve CLI: a missing store and a port in use are one-line errors (exit 2); --host 0.0.0.0 prints a URL with the token it requires', async () => {
  const missing = join(tmpdir(), `winnow-serve-missing-${process.pid}`);
  let r = spawnSync(process.execPath, [cli, 'serve', '--store', missing, '--port', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `winnow: --store ${missing}: no such directory; pass the --store directory a run wrote to\n`);
  const empty = mkdtempSync(join(tmpdir(), 'winnow-serve-empty-'));
  r = spawnSync(process.execPath, [cli, 'serve', '--store', empty, '--port', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^winnow: --store .*: no experiment store there \(no winnow\.db\)[^\n]*\n$/);
  r = spawnSync(process.execPath, [cli, 'serve', '--store', empty, '--port', '70000'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port: expected an integer in \[0, 65535\], got 70000/);
  rmSync(empty, { recursive: true, force: true });

  const { root } = makeStore();
  const blocker = createServer();
  await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
  const port = (blocker.address() as AddressInfo).port;
  try {
    r = spawnSync(process.execPath, [cli, 'serve', '--store', root, '--port', String(port)], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `winnow: --port ${port}: already in use on 127.0.0.1; choose another port (--port 0 picks a free one)\n`);
  } finally {
    blocker.close();
  }

  // --host 0.0.0.0 --port 0: the URL with its token on stdout's first line; without the token, 401; SIGTERM stops it cleanly.
  const child = spawn(process.execPath, [cli, 'serve', '--store', root, '--port', '0', '--host', '0.0.0.0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const [port, token] = await new Promise<[string, string]>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += c.toString(); const m = /^http:\/\/0\.0\.0\.0:(\d+)\/\?token=([A-Za-z0-9_-]{32})\n/.exec(out); if (m) ok([m[1]!, m[2]!]); });
      child.on('exit', (code) => fail(new Error(`serve exited ${code} before printing its URL`)));
    });
    assert.equal((await get(`http://127.0.0.1:${port}/api/runs`)).status, 401);
    assert.equal((await get(`http://127.0.0.1:${port}/api/runs?token=${token}`)).status, 200);
  } finally {
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    rmSync(root, { recursive: true, force: true });
  }
});
