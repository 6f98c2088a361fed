// Optional NEAT points: best genomes of `winnow evolve --task classify` runs (runs/neat/classify-<seed>/
// best-genome.json), evaluated on the study's test split with the compiled network. `winnow evolve`
// trains classify on fashion-mnist-mini (784 pixels + a bias input), so a genome is used only when the
// study's dataset is that one and the input/output counts match.
// Bytes are a compact genome encoding, computed (there is no NEAT model file format): per enabled
// connection an fp32 weight and two node indices (u16 when every id fits, else u32); per non-input node
// an fp32 bias and one activation byte; plus a 16-byte header.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { features } from '../data/dataset.js';
import { genomeFromJson, type Genome, type GenomeJson } from '../neat/genome.js';
import { accuracy, toBatch } from '../neat/tasks/classify.js';
import type { StudyPoint } from './points.js';

export const NEAT_DATASET = 'fashion-mnist-mini';

export function genomeBytes(g: Genome): number {
  const conns = g.conns.filter((c) => c.enabled);
  const maxId = Math.max(0, ...g.nodes.map((n) => n.id));
  const idBytes = maxId <= 0xffff ? 2 : 4;
  const computed = g.nodes.filter((n) => n.type !== 'input' && n.type !== 'bias').length;
  return 16 + conns.length * (4 + 2 * idBytes) + computed * 5;
}

/** NEAT points, plus a note saying what was found and used (always one line). */
export function neatPoints(dir: string, data: Dataset): { points: StudyPoint[]; note: string } {
  if (!existsSync(dir)) return { points: [], note: `no NEAT runs: ${dir} does not exist` };
  const runs = readdirSync(dir).filter((d) => d.startsWith('classify') && existsSync(join(dir, d, 'best-genome.json'))).sort();
  if (runs.length === 0) return { points: [], note: `no NEAT classify run with best-genome.json under ${dir}` };
  if (data.name !== NEAT_DATASET) return { points: [], note: `NEAT classify runs found under ${dir} (${runs.join(', ')}) but they evolve on ${NEAT_DATASET}, not ${data.name}: not included` };
  const nf = features(data);
  const test = toBatch(data.test, nf, Int32Array.from({ length: data.test.count }, (_, i) => i));
  const points: StudyPoint[] = [];
  const skipped: string[] = [];
  for (const r of runs) {
    let g: Genome;
    try {
      g = genomeFromJson(JSON.parse(readFileSync(join(dir, r, 'best-genome.json'), 'utf8')) as GenomeJson);
    } catch (e) {
      skipped.push(`${r} (unreadable: ${(e as Error).message})`);
      continue;
    }
    if (g.nIn !== nf + 1 || g.nOut !== data.classes) { skipped.push(`${r} (${g.nIn} inputs / ${g.nOut} outputs, expected ${nf + 1} / ${data.classes})`); continue; }
    points.push({
      label: `NEAT ${r}`, category: 'neat', source: 'neat', level: null, density: NaN, format: 'genome',
      encoding: 'genome', bytes: genomeBytes(g), bitsPerWeight: NaN, testAccuracy: accuracy(g, test, data.classes), testLoss: NaN,
    });
  }
  return { points, note: `NEAT: ${points.length} genome(s) from ${dir} evaluated${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}` };
}
