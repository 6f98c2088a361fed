// `winnow serve`: the read-only dashboard over a store (src/serve/). Prints the URL to open on stdout, then
// serves until interrupted. Loopback unless --host says otherwise; then the printed URL carries the token.
import type { Command } from 'commander';
import { EXPERIMENTS, serve } from '../experiments/index.js';
import { intFlag } from '../util/flags.js';

export function register(program: Command): void {
  program.command('serve')
    .description('a read-only web dashboard over the store: runs, live training curves, reports, compare frontier, NEAT progress')
    .option('--store <dir>', 'experiment store directory', 'runs')
    .option('--port <n>', 'TCP port (0: any free port)', intFlag('--port', 0, 65535), 8080)
    .option('--host <addr>', 'address to bind; anything but loopback requires the token printed at start', '127.0.0.1')
    .action(async (o: { store: string; port: number; host: string }) => {
      const served = await serve({
        store: o.store, port: o.port, host: o.host,
        plannedJobs: (kind, h) => EXPERIMENTS[kind]?.plan(h as never).length,
      });
      process.stdout.write(`${served.url}\n`);
      process.stderr.write(`winnow serve: read-only dashboard over ${o.store}/ at ${served.url}${served.token ? ' (the token is required: pass ?token=… or the header Authorization: Bearer …)' : ''}; Ctrl-C stops\n`);
      await new Promise<void>((done) => {
        const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void served.close().then(done); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
