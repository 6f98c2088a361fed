// `winnow serve`: a read-only web dashboard over an experiment store, on node:http. Pages are static
// shells (page.ts) filled by JSON endpoints; a run page's curves grow live through server-sent events fed by
// one 500 ms poll of the database (SQLite's data_version tells whether anything was committed since).
// Bound to loopback by default (then the Host header must name loopback: no DNS rebinding); any other --host
// requires the token printed at start (?token=, `Authorization: Bearer`, X-Winnow-Token, or the cookie the
// first ?token= visit sets). Only GET and HEAD; figures are served by name from a list the server builds,
// never from a path the client sends.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { UserError } from '../util/errors.js';
import { APP_JS, FAVICON_SVG, STYLE_CSS, listPage, runPage } from './page.js';
import { StoreReader, type JobView, type ReaderOptions, type RunView } from './reader.js';

export interface ServeOptions extends ReaderOptions {
  store: string;
  /** 0: any free port */
  port: number;
  host: string;
  /** poll interval of the live views, ms (default 500) */
  pollMs?: number;
  /** the token a non-loopback server requires (default: 24 random bytes, base64url) */
  token?: string;
}

export interface Served {
  /** the URL to open (with ?token= when one is required) */
  url: string;
  port: number;
  host: string;
  /** null on loopback */
  token: string | null;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const isLoopbackHost = (h: string): boolean => LOOPBACK.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h);

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
// A figure opened on its own: an SVG document, allowed its inline styles and nothing else (no script).
const SVG_HEADERS = { ...SECURITY_HEADERS, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" };

interface Subscriber {
  runId: string;
  res: ServerResponse;
  run: string;
  jobs: Map<string, string>;
  counts: Map<string, { n: number; last: number }>;
  fresh: boolean;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = SECURITY_HEADERS): void {
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
const sendJson = (res: ServerResponse, v: unknown): void => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));
const sendText = (res: ServerResponse, status: number, text: string): void => send(res, status, 'text/plain; charset=utf-8', `${text}\n`);

function tokenOk(req: IncomingMessage, url: URL, token: string): { ok: boolean; viaQuery: boolean } {
  const eq = (s: string | undefined | null): boolean => {
    if (!s) return false;
    const a = Buffer.from(s), b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  if (eq(url.searchParams.get('token'))) return { ok: true, viaQuery: true };
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ') && eq(auth.slice(7).trim())) return { ok: true, viaQuery: false };
  const h = req.headers['x-winnow-token'];
  if (eq(Array.isArray(h) ? h[0] : h)) return { ok: true, viaQuery: false };
  const cookie = (req.headers['cookie'] ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith('winnow_token='));
  if (cookie && eq(decodeURIComponent(cookie.slice('winnow_token='.length)))) return { ok: true, viaQuery: false };
  return { ok: false, viaQuery: false };
}

/** Starts the dashboard; resolves once it listens. Throws UserError on a missing store or a port in use. */
export async function serve(opts: ServeOptions): Promise<Served> {
  const reader = new StoreReader(opts.store, opts);
  const loopback = isLoopbackHost(opts.host);
  const token = loopback ? null : (opts.token ?? randomBytes(24).toString('base64url'));
  const subscribers = new Set<Subscriber>();

  const runWithJobs = (id: string): { run: RunView; jobs: JobView[] } | undefined => {
    const run = reader.run(id);
    return run && { run, jobs: reader.jobs(id) };
  };

  const event = (res: ServerResponse, name: string, data: unknown): void => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  /** Sends a subscriber what changed since its last update (everything on its first). */
  const update = (s: Subscriber): void => {
    const rj = runWithJobs(s.runId);
    if (!rj) { event(s.res, 'gone', { id: s.runId }); return; }
    const runSig = JSON.stringify([rj.run.status, rj.run.state, rj.run.updatedAt, rj.run.jobsDone, rj.run.jobsStarted, rj.run.jobsRunning]);
    if (runSig !== s.run) { s.run = runSig; event(s.res, 'run', rj.run); }
    const jobSig = new Map(rj.jobs.map((j) => [j.key, `${j.status} ${j.updatedAt}`]));
    const replaced = new Set<string>();
    let jobsChanged = jobSig.size !== s.jobs.size;
    for (const [k, v] of jobSig) {
      const before = s.jobs.get(k);
      if (before !== v) { jobsChanged = true; if (before !== undefined) replaced.add(k); }
    }
    const counts = reader.metricCounts(s.runId);
    for (const k of s.counts.keys()) if (!counts.has(k)) { event(s.res, 'metrics', { key: k, reset: true, rows: [] }); s.counts.delete(k); }
    for (const [k, c] of counts) {
      const prev = s.counts.get(k);
      if (prev && prev.n === c.n && prev.last === c.last && !replaced.has(k)) continue;
      if (prev && !replaced.has(k) && c.n > prev.n && c.last > prev.last) {
        const rows = reader.metrics(s.runId, k, prev.last);
        if (prev.n + rows.length === c.n) {
          event(s.res, 'metrics', { key: k, reset: false, rows });
          s.counts.set(k, { n: c.n, last: c.last });
          continue;
        }
      }
      event(s.res, 'metrics', { key: k, reset: true, rows: reader.metrics(s.runId, k) });
      s.counts.set(k, { n: c.n, last: c.last });
    }
    // Jobs after their metrics: a client redrawing on 'jobs' already holds the rows the jobs table counts.
    if (jobsChanged || s.fresh) { s.jobs = jobSig; event(s.res, 'jobs', rj.jobs); }
    s.fresh = false;
  };

  let lastVersion = -1;
  let ticks = 0;
  const poll = setInterval(() => {
    if (subscribers.size === 0) return;
    ticks++;
    let v: number;
    try { v = reader.dataVersion(); } catch { return; }
    // Every 4th tick regardless: a run's process can die without a commit (its state turns to stopped).
    const changed = v !== lastVersion || ticks % 4 === 0;
    lastVersion = v;
    for (const s of subscribers) {
      if (!changed && !s.fresh) continue;
      try { update(s); } catch (e) { event(s.res, 'failure', { message: (e as Error).message }); }
    }
  }, opts.pollMs ?? 500);
  const keepAlive = setInterval(() => { for (const s of subscribers) s.res.write(': keep-alive\n\n'); }, 15000);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopbackHost(host)) return sendText(res, 403, `forbidden: Host ${JSON.stringify(req.headers.host ?? '')} is not this loopback server`);
    } else {
      const t = tokenOk(req, url, token!);
      if (!t.ok) return sendText(res, 401, 'unauthorized: this dashboard needs the token winnow serve printed (?token=…, or the header Authorization: Bearer …)');
      if (t.viaQuery) res.setHeader('Set-Cookie', `winnow_token=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.setHeader('Allow', 'GET, HEAD'); return sendText(res, 405, 'method not allowed: the dashboard is read-only'); }
    const parts = url.pathname.split('/').slice(1).map((p) => { try { return decodeURIComponent(p); } catch { return '\0'; } });
    const [a, b, c] = parts;
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', listPage(opts.store));
    if (url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
    if (url.pathname === '/favicon.svg' || url.pathname === '/favicon.ico') return send(res, 200, 'image/svg+xml', FAVICON_SVG, SVG_HEADERS);
    if (url.pathname === '/style.css') return send(res, 200, 'text/css; charset=utf-8', STYLE_CSS);
    if (a === 'run' && b !== undefined && parts.length === 2) {
      const run = reader.run(b);
      return run ? send(res, 200, 'text/html; charset=utf-8', runPage(run)) : sendText(res, 404, `no run ${b} in ${opts.store}`);
    }
    if (a === 'api' && b === 'runs' && parts.length === 2) return sendJson(res, { store: opts.store, runs: reader.runs() });
    if (a === 'api' && b === 'run' && c !== undefined) {
      const rj = runWithJobs(c);
      if (!rj) return sendText(res, 404, `no run ${c} in ${opts.store}`);
      if (parts.length === 3) {
        const figures = reader.figures(rj.run, rj.jobs).map((f) => ({ name: f.name, title: f.title, url: `/figure/${encodeURIComponent(c)}/${f.name.split('/').map(encodeURIComponent).join('/')}` }));
        return sendJson(res, { ...rj, figures });
      }
      if (parts.length === 4 && parts[3] === 'metrics') return sendJson(res, rj.jobs.map((j) => ({ key: j.key, rows: reader.metrics(c, j.key) })));
      if (parts.length === 4 && parts[3] === 'events') {
        if (req.method === 'HEAD') return send(res, 200, 'text/event-stream', '');
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        res.write('retry: 1000\n\n');
        const s: Subscriber = { runId: c, res, run: '', jobs: new Map(), counts: new Map(), fresh: true };
        subscribers.add(s);
        try { update(s); } catch (e) { event(res, 'failure', { message: (e as Error).message }); }
        req.on('close', () => subscribers.delete(s));
        return;
      }
    }
    if (a === 'figure' && b !== undefined && parts.length >= 3) {
      const rj = runWithJobs(b);
      const name = parts.slice(2).join('/');
      const fig = rj && reader.figures(rj.run, rj.jobs).find((f) => f.name === name);
      if (!fig) return sendText(res, 404, `no figure ${name} for run ${b}`);
      let body: Buffer;
      try { body = readFileSync(fig.path); } catch { return sendText(res, 404, `figure ${name} is gone`); }
      return send(res, 200, 'image/svg+xml', body, SVG_HEADERS);
    }
    return sendText(res, 404, `not found: ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    try { handle(req, res); } catch (e) {
      if (!res.headersSent) sendText(res, 500, `error: ${(e as Error).message.replace(/\s+/g, ' ')}`);
      else res.end();
    }
  });
  const stop = (): void => { clearInterval(poll); clearInterval(keepAlive); reader.close(); };
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(opts.port, opts.host, () => { server.off('error', fail); ok(); });
    });
  } catch (e) {
    stop();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`--port ${opts.port}: already in use on ${opts.host}; choose another port (--port 0 picks a free one)`);
    if (code === 'EACCES') throw new UserError(`--port ${opts.port}: permission denied on ${opts.host} (ports below 1024 need privileges); choose a port ≥ 1024`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UserError(`--host ${opts.host}: not an address of this machine (${code})`);
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}/${token ? `?token=${token}` : ''}`;
  return {
    url, port: addr.port, host: opts.host, token,
    close: () => new Promise<void>((ok) => {
      for (const s of subscribers) s.res.end();
      subscribers.clear();
      stop();
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
