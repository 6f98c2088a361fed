// `npm run bench`: every benchmark in turn, each in its own process (so one's JIT state and
// allocations do not colour another's). Extra arguments (e.g. --json) are passed through.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches = ['kernels', 'train', 'lottery', 'infer', 'neat'];
let failed = 0;
for (const name of benches) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n== bench/${name} ==`);
  const r = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`bench/${name} exited with ${r.status}`); failed++; }
}
process.exit(failed ? 1 : 0);
