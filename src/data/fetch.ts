// `winnow data fetch`: download the four gzipped IDX files of a full dataset, check each against a
// pinned size and SHA-256, and write it atomically (temp file + rename) into the cache folder.
//
// Provenance of the pinned digests:
// - Fashion-MNIST: SHA-256 and sizes as in tensorflow/datasets url_checksums/fashion_mnist.txt. Checked
//   here against two independent sources: Debian's dataset-fashion-mnist ships the same deflate
//   streams with a stripped gzip header (no file name, new mtime); restoring the header (FNAME set,
//   mtime 1504176606 for train / 1504176627 for t10k, XFL 0, OS 3) reproduces the MD5s listed in the
//   zalandoresearch/fashion-mnist README, and the SHA-256 of those bytes equals the pins below.
// - MNIST: SHA-256 and sizes as in tensorflow/datasets url_checksums/mnist.txt (files from the CVDF
//   mirror of yann.lecun.com). The torchvision MD5s (f68b3c2d…, d53e105e…, 9fb629c4…, ec29112d…)
//   are the same files; not re-verified here (no MNIST copy on this machine).
import { createHash } from 'node:crypto';
import { readUserFile } from '../util/read.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { maybeGunzip, parseIdx } from './idx.js';
import { IDX_FILES, IDX_ROLES, userCacheDir, type IdxRole } from './locate.js';

export interface PinnedFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface FetchSource {
  /** Base URLs tried in order; each file must match its pin whichever mirror served it. */
  readonly mirrors: readonly string[];
  readonly files: Record<IdxRole, PinnedFile>;
}

function pin(role: IdxRole, bytes: number, sha256: string): PinnedFile {
  return { name: `${IDX_FILES[role]}.gz`, bytes, sha256 };
}

export const FETCH_SOURCES: Record<string, FetchSource> = {
  'fashion-mnist': {
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: {
      trainImages: pin('trainImages', 26421880, '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'),
      trainLabels: pin('trainLabels', 29515, 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'),
      testImages: pin('testImages', 4422102, '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'),
      testLabels: pin('testLabels', 5148, '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'),
    },
  },
  mnist: {
    mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
    files: {
      trainImages: pin('trainImages', 9912422, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609'),
      trainLabels: pin('trainLabels', 28881, '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c'),
      testImages: pin('testImages', 1648877, '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6'),
      testLabels: pin('testLabels', 4542, 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'),
    },
  },
};

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Why a fetch failed, in a few words (undici hides the useful part in err.cause). */
function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const c = e?.cause;
  if (c?.code) return c.code === 'ENOTFOUND' || c.code === 'EAI_AGAIN' ? `${c.code} (no network or DNS?)` : c.code;
  return c?.message ?? e?.message ?? String(err);
}

async function download(url: string, timeoutMs: number): Promise<Uint8Array> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

export interface FetchReport {
  readonly dir: string;
  readonly files: Array<{ name: string; path: string; bytes: number; status: 'downloaded' | 'already present'; url?: string }>;
}

/** The folder `fetch` writes to: <dataDir>/<name>, or the user cache's. */
export function fetchTargetDir(name: string, dataDir?: string): string {
  return join(dataDir ?? userCacheDir(), name);
}

/**
 * Downloads the four files of `name` into fetchTargetDir(name, dataDir). Files already present with
 * the pinned digest are kept. Any failure is one UserError line; nothing partial is left behind
 * under the final name.
 */
export async function fetchDataset(name: string, opts: {
  dataDir?: string; force?: boolean; timeoutMs?: number; log?: (line: string) => void;
  /** Overrides the pinned table (tests serve their own files). */
  source?: FetchSource;
} = {}): Promise<FetchReport> {
  const src = opts.source ?? FETCH_SOURCES[name];
  if (!src) throw new UserError(`cannot fetch '${name}': expected one of ${Object.keys(FETCH_SOURCES).join(', ')}`);
  const dir = fetchTargetDir(name, opts.dataDir);
  const report: FetchReport = { dir, files: [] };
  for (const role of IDX_ROLES) {
    const p = src.files[role];
    const path = join(dir, p.name);
    if (!opts.force) {
      let existing: Uint8Array | null = null;
      // Only a regular file of the pinned size is worth hashing (never a device, FIFO or directory).
      try { existing = readUserFile(path, path, { maxBytes: p.bytes }); } catch { /* absent, not a file, or the wrong size */ }
      if (existing && existing.length === p.bytes && sha256(existing) === p.sha256) {
        report.files.push({ name: p.name, path, bytes: p.bytes, status: 'already present' });
        opts.log?.(`${p.name}: already present, digest ok`);
        continue;
      }
    }
    const failures: string[] = [];
    let got: { bytes: Uint8Array; url: string } | null = null;
    for (const base of src.mirrors) {
      const url = base + p.name;
      try {
        const bytes = await download(url, opts.timeoutMs ?? 300_000);
        if (bytes.length !== p.bytes) { failures.push(`${url}: expected ${p.bytes} bytes, got ${bytes.length}`); continue; }
        const digest = sha256(bytes);
        if (digest !== p.sha256) { failures.push(`${url}: SHA-256 mismatch: expected ${p.sha256}, got ${digest}`); continue; }
        got = { bytes, url };
        break;
      } catch (err) {
        failures.push(`${url}: ${describeFetchError(err)}`);
      }
    }
    if (!got) throw new UserError(`data fetch ${name}: could not download ${p.name}: ${failures.join('; ')}`);
    // The digest already proves the bytes; parsing is a cheap guard against a wrong pin table.
    parseIdx(maybeGunzip(got.bytes, p.name), p.name, role.endsWith('Images') ? 'images' : 'labels');
    writeFileAtomic(path, got.bytes);
    report.files.push({ name: p.name, path, bytes: p.bytes, status: 'downloaded', url: got.url });
    opts.log?.(`${p.name}: downloaded from ${got.url} (${p.bytes} bytes, SHA-256 ok)`);
  }
  return report;
}
