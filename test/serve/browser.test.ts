// The dashboard in a real browser (Playwright driving Debian's chromium): a short lottery run trains in the
// background while `winnow serve --port 0` serves its store; the run page's curve gains points while the run
// trains, and after it finishes the page shows every evaluation, the report's charts and the run as done.
// Screenshots go to the directory printed as a test diagnostic. Chromium is required: CI installs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { openStore } from '../../src/store/db.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CHROMIUM = process.env['WINNOW_CHROMIUM'] ?? '/usr/bin/chromium';

const LEVELS = 2;
const JOBS = 1 + 3 * LEVELS;
const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '', err = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  return { out: () => out, err: () => err, exit: new Promise((ok) => child.on('exit', (code) => ok(code))) };
}

test('dashboard in chromium: the run page\'s curve grows while a lottery run trains, and shows the finished run', async (t) => {
  assert.ok(existsSync(CHROMIUM), `chromium not found at ${CHROMIUM}: the browser test needs Debian's chromium — .ci/run must install it (apt-get install -y chromium), or set WINNOW_CHROMIUM to a Chromium binary`);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-serve-browser-'));
  const shots = join(dir, 'screenshots');
  mkdirSync(shots);
  const store = join(dir, 'S');
  const children: ChildProcess[] = [];
  let browser: Browser | undefined;
  try {
    // An empty store (as any winnow command leaves it), served; chromium starts meanwhile.
    openStore(store).close();
    const launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
    const server = spawn(process.execPath, [cli, 'serve', '--store', store, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    const srv = collect(server);
    const url = await until('serve to print its URL', () => {
      if (server.exitCode !== null) throw new Error(`serve exited ${server.exitCode}: ${srv.err()}`);
      return /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(srv.out())?.[1];
    });
    browser = await launching;
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
    await page.goto(url);
    await page.locator('#runs td', { hasText: 'no runs in this store yet' }).waitFor({ timeout: 10000 });

    // A lottery run of ten seconds or more: 7 jobs (levels 0-2) of 16000 iterations, an evaluation every 200, one at a time.
    const lottery = spawn(process.execPath, [cli, 'lottery', '--dataset', 'synthetic:blobs?features=8&classes=3&train=600&test=200', '--model', 'mlp:8-12-3',
      '--iterations', '16000', '--eval-every', '200', '--levels', String(LEVELS), '--workers', '1', '--backend', 'reference', '--store', store, '--progress', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(lottery);
    const lot = collect(lottery);

    // The runs list (refreshing itself) shows the new run; follow its link.
    const link = page.locator('#runs a').first();
    await link.waitFor({ timeout: 20000 });
    const runId = (await link.textContent())!;
    assert.match(runId, /^lottery_[0-9a-f]{16}$/);
    await link.click();
    await page.waitForURL(`${url}run/${runId}`);

    // Live: the curve's point count grows while the run trains.
    const points = async (): Promise<number> => Number(await page.locator('#chart').getAttribute('data-points') ?? '0');
    const first = await until('the first evaluations on the curve', async () => (await points()) > 0 ? points() : undefined);
    const grown = await until('the curve to grow', async () => { const n = await points(); return n > first ? n : undefined; });
    assert.equal(lottery.exitCode, null, 'the curve grew while the run was still training');
    assert.equal(await page.locator('#run-state').textContent(), 'running (pid ' + lottery.pid + ')');
    assert.equal(await page.locator('#live').textContent(), 'live');
    await page.screenshot({ path: join(shots, 'run-live.png'), fullPage: true });
    t.diagnostic(`curve points: ${first} → ${grown} while training`);

    assert.equal(await lot.exit, 0, lot.err());
    // The finished run: every evaluation the store holds is on the curve; the report's charts are shown.
    const db = new Database(join(store, 'winnow.db'), { readonly: true, fileMustExist: true });
    const rows = (db.prepare('SELECT count(*) AS n FROM job_metrics').get() as { n: number }).n;
    db.close();
    assert.equal(rows, JOBS * 81);
    await page.locator('body[data-state="done"]').waitFor({ timeout: 10000 });
    await until(`all ${rows} evaluations on the curve`, async () => (await points()) === rows || undefined);
    assert.equal(await page.locator('#chart polyline').count(), JOBS);
    assert.equal(await page.locator('#jobs tbody tr').count(), JOBS);
    assert.equal(await page.locator('#jobs .status-done').count(), JOBS);
    await page.locator('#figures img').first().waitFor({ timeout: 10000 });
    const figures = await page.locator('#figures figure').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-figure')));
    assert.ok(figures.includes('report/report-accuracy.svg') && figures.includes('report/report-training.svg'), JSON.stringify(figures));
    await until('the report charts to load', () => page.locator('#figures img').evaluateAll((is) => is.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0) || undefined));
    // Another metric from the selector redraws the same points.
    await page.selectOption('#metric', 'valLoss');
    await until('the valLoss curve', async () => (await page.locator('#chart svg').getAttribute('aria-label')) === 'valLoss against iteration' || undefined);
    await page.selectOption('#metric', 'testAccuracy');
    await page.screenshot({ path: join(shots, 'run-done.png'), fullPage: true });

    // A fresh visit after the run finished shows the same, and the list reports it done with 4/4 jobs.
    await page.reload();
    await until('the curve after a reload', async () => (await points()) === rows || undefined);
    await page.goto(url);
    const row = page.locator(`#runs tr[data-run="${runId}"]`);
    await row.waitFor();
    assert.deepEqual(await row.locator('td').evaluateAll((tds) => tds.slice(1, 4).map((td) => td.textContent)), ['lottery', 'done', `${JOBS}/${JOBS}`]);
    await page.screenshot({ path: join(shots, 'runs.png'), fullPage: true });
    assert.deepEqual(problems, []);
    t.diagnostic(`screenshots: ${shots}`);
  } finally {
    await browser?.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((ok) => c.on('exit', ok)))));
    rmSync(store, { recursive: true, force: true });
  }
});
