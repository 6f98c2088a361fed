// `npm run bench`: every benchmark in turn, each in its own process (so one's JIT state and
// allocations do not colour another's).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkArgs } from './util.js';

const benches = ['kernels', 'train', 'lottery', 'infer', 'neat'];
const USAGE = `Usage: node dist/bench/run.js [--json]   (npm run bench [-- --json])
Every benchmark in turn, each in its own process: ${benches.join(', ')}, at their defaults.
Their other flags differ per bench: run one alone for them (node dist/bench/NAME.js --help).
  --json        passed to each bench: results as JSON
  -h, --help    print this and exit`;
checkArgs('run', USAGE);
let failed = 0;
for (const name of benches) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n== bench/${name} ==`);
  const r = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`bench/${name} exited with ${r.status}`); failed++; }
}
process.exit(failed ? 1 : 0);
