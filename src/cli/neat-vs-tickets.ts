// `winnow neat-vs-tickets`: NEAT, lottery tickets and random pruning on the same downsampled images.
import type { Command } from 'commander';
import { neatVsTicketsExperiment, type NeatVsTicketsSummary } from '../experiments/index.js';
import { formatTable } from '../report/table.js';
import { registerExperiment } from './experiment-command.js';

export function register(program: Command): void {
  registerExperiment(program, {
    experiment: neatVsTicketsExperiment,
    command: 'neat-vs-tickets',
    json: (l) => {
      const s = l.summary as NeatVsTicketsSummary;
      return { outDir: s.outDir, lotteryRunId: s.lotteryRunId, table: s.table, points: s.points };
    },
    print(l) {
      const s = l.summary as NeatVsTicketsSummary;
      console.log(formatTable(s.table.columns, s.table.rows as never));
      console.log(`points in ${s.outDir}/compare-tickets.json`);
    },
  });
}
