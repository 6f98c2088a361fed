// Reading a genome file (best-genome.json of a run) that the user names: schema and structure checked,
// every problem reported as one line naming the file and the field.
import { UserError } from '../util/errors.js';
import { readUserJson } from '../util/read.js';
import { GenomeJsonSchema } from './checkpoint.js';
import { genomeFromJson, type Genome } from './genome.js';

export function loadGenomeFile(path: string): Genome {
  const what = `genome file ${path}`;
  const r = GenomeJsonSchema.safeParse(readUserJson(path, what));
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new UserError(`${what}: field '${iss.path.join('.') || '(root)'}': ${iss.message}`);
  }
  const g = genomeFromJson(r.data);
  const ids = new Set(g.nodes.map((n) => n.id));
  if (ids.size !== g.nodes.length) throw new UserError(`${what}: field 'nodes': node ids repeat`);
  for (let i = 0; i < g.nIn + g.nOut; i++) {
    const n = g.nodes.find((x) => x.id === i);
    const want = i < g.nIn ? (i === g.nIn - 1 ? 'bias' : 'input') : 'output';
    if (!n || n.type !== want) throw new UserError(`${what}: field 'nodes': node ${i} should be an ${want} node, found ${n ? n.type : 'none'}`);
  }
  for (const c of g.conns) {
    if (!ids.has(c.from) || !ids.has(c.to)) throw new UserError(`${what}: field 'conns': connection ${c.innovation} joins ${c.from}→${c.to}, but the genome has no node ${ids.has(c.from) ? c.to : c.from}`);
  }
  return g;
}
