// Reading a genome file (best-genome.json of a run) that the user names: schema and structure checked,
// every problem reported as one line naming the file and the field.
import { UserError } from '../util/errors.js';
import { readUserJson } from '../util/read.js';
import { GenomeJsonSchema, genomeProblem } from './checkpoint.js';
import { genomeFromJson, type Genome } from './genome.js';

export function loadGenomeFile(path: string): Genome {
  const what = `genome file ${path}`;
  return parseGenomeJson(readUserJson(path, what), what);
}

/** Checks parsed genome JSON; `what` names it in errors. */
export function parseGenomeJson(json: unknown, what: string): Genome {
  const r = GenomeJsonSchema.safeParse(json);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new UserError(`${what}: field '${iss.path.join('.') || '(root)'}': ${iss.message}`);
  }
  const bad = genomeProblem(r.data);
  if (bad) throw new UserError(`${what}: field '${bad.split(':')[0]}': ${bad.slice(bad.indexOf(':') + 2)}`);
  return genomeFromJson(r.data);
}
