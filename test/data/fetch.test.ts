// `data fetch`: digests checked, atomic writes, mirrors, and one clear line when nothing can be
// reached. A local HTTP server stands in for the mirrors (no network here or in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FETCH_SOURCES, fetchDataset, sha256, type FetchSource } from '../../src/data/fetch.js';
import { encodeIdx } from '../../src/data/idx.js';
import { IDX_FILES, IDX_ROLES } from '../../src/data/locate.js';
import { loadDataset } from '../../src/data/registry.js';
import { UserError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'winnow-fetch-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const bodies: Record<string, Uint8Array> = {
  [`${IDX_FILES.trainImages}.gz`]: encodeIdx([20, 2, 2], new Uint8Array(80).fill(7), { gzip: true }),
  [`${IDX_FILES.trainLabels}.gz`]: encodeIdx([20], new Uint8Array(20).fill(3), { gzip: true }),
  [`${IDX_FILES.testImages}.gz`]: encodeIdx([4, 2, 2], new Uint8Array(16).fill(9), { gzip: true }),
  [`${IDX_FILES.testLabels}.gz`]: encodeIdx([4], new Uint8Array(4).fill(1), { gzip: true }),
};

let server: Server;
let base = '';
const hits: string[] = [];
test.before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const [, mirror, name] = (req.url ?? '').split('/');
    const body = name ? bodies[name] : undefined;
    if (mirror === 'bad' && body) { res.end(Buffer.from(body).fill(0, 20)); return; } // same size, wrong bytes
    if (mirror !== 'good' || !body) { res.statusCode = 404; res.end(); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

function source(mirrors: string[]): FetchSource {
  const files = {} as FetchSource['files'];
  for (const role of IDX_ROLES) {
    const name = `${IDX_FILES[role]}.gz`;
    files[role] = { name, bytes: bodies[name]!.length, sha256: sha256(bodies[name]!) };
  }
  return { mirrors, files };
}

test('pinned table: four files per dataset, 64-hex SHA-256 digests', () => {
  for (const [name, s] of Object.entries(FETCH_SOURCES)) {
    assert.ok(s.mirrors.length >= 1, name);
    for (const role of IDX_ROLES) {
      assert.match(s.files[role].sha256, /^[0-9a-f]{64}$/, `${name} ${role}`);
      assert.equal(s.files[role].name, `${IDX_FILES[role]}.gz`);
      assert.ok(s.files[role].bytes > 0);
    }
  }
});

test('downloads, checks digests (falling back to the next mirror), writes atomically; loadable after', async () => {
  const dataDir = join(root, 'ok');
  const report = await fetchDataset('mnist', { dataDir, source: source([`${base}bad/`, `${base}good/`]) });
  assert.equal(report.dir, join(dataDir, 'mnist'));
  assert.deepEqual(report.files.map((f) => f.status), ['downloaded', 'downloaded', 'downloaded', 'downloaded']);
  assert.ok(report.files.every((f) => f.url?.startsWith(`${base}good/`)));
  for (const [name, body] of Object.entries(bodies)) assert.deepEqual(new Uint8Array(readFileSync(join(dataDir, 'mnist', name))), body);
  assert.deepEqual(readdirSync(join(dataDir, 'mnist')).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
  const d = loadDataset('mnist', { dataDir, validationSize: 5 });
  assert.deepEqual([d.train.count, d.validation.count, d.test.count], [15, 5, 4]);
  // Second run: nothing downloaded again.
  hits.length = 0;
  const again = await fetchDataset('mnist', { dataDir, source: source([`${base}good/`]) });
  assert.ok(again.files.every((f) => f.status === 'already present'));
  assert.equal(hits.length, 0);
});

test('digest mismatch on every mirror: one-line UserError, nothing written', async () => {
  const dataDir = join(root, 'bad');
  await assert.rejects(fetchDataset('mnist', { dataDir, source: source([`${base}bad/`]) }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /SHA-256 mismatch/);
    assert.ok(err.message.includes('train-images-idx3-ubyte.gz'));
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  assert.equal(existsSync(join(dataDir, 'mnist', 'train-images-idx3-ubyte.gz')), false);
});

test('unreachable source (no network): one-line UserError naming the URL', async () => {
  // A port nothing listens on: connection refused, like a machine without network.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(fetchDataset('fashion-mnist', { dataDir: join(root, 'down'), source: source([`http://127.0.0.1:${port}/`]), timeoutMs: 5000 }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /could not download train-images-idx3-ubyte\.gz/);
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  await assert.rejects(fetchDataset('cifar10', { dataDir: root }), /cannot fetch 'cifar10'/);
});
