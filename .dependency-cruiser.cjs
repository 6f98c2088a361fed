// Architecture rules, checked in `npm test` (test/architecture.test.ts). Data flows one way:
//   cli → experiments → algorithms (lottery, neat, compare, train, prune, quant, sparse, sparsetrain, llmcompress, io, data, models)
//       → nn / optim → backend → native kernels;   util, report and store serve every layer.
const ALGORITHMS = '(lottery|neat|compare|train|prune|quant|sparse|sparsetrain|llmcompress|io|data|models|nn|optim|backend|store)';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles', from: {}, to: { circular: true } },
    {
      name: 'cli-imports-experiments-report-util', severity: 'error',
      comment: 'the CLI is thin: it reaches the library only through the experiments layer',
      from: { path: '^src/cli/' }, to: { path: '^src/', pathNot: '^src/(cli|experiments|report|util)/' },
    },
    {
      name: 'nothing-imports-cli-or-experiments', severity: 'error',
      comment: 'libraries know no experiment and no command',
      from: { path: `^src/${ALGORITHMS}/` }, to: { path: '^src/(cli|experiments)/' },
    },
    { name: 'experiments-import-no-cli', severity: 'error', from: { path: '^src/experiments/' }, to: { path: '^src/cli/' } },
    {
      name: 'neat-and-lottery-side-by-side', severity: 'error',
      comment: 'NEAT and IMP are sibling libraries; what combines them is an experiment',
      from: { path: '^src/(neat|lottery)/' }, to: { path: '^src/(neat|lottery)/', pathNot: '^src/$1/' },
    },
    {
      name: 'backend-is-the-bottom', severity: 'error',
      comment: 'kernels know nothing above them',
      from: { path: '^src/backend/' }, to: { path: '^src/', pathNot: '^src/(backend|util)/' },
    },
    {
      name: 'nn-below-algorithms', severity: 'error',
      from: { path: '^src/(nn|optim)/' }, to: { path: '^src/', pathNot: '^src/(nn|optim|backend|util)/' },
    },
    {
      name: 'util-and-report-are-leaves', severity: 'error',
      from: { path: '^src/(util|report)/' }, to: { path: '^src/', pathNot: '^src/(util|report)/' },
    },
    {
      name: 'serve-reads-the-store', severity: 'error',
      comment: 'the dashboard reads the store and the files runs leave; it runs no experiment (the CLI passes it what it needs)',
      from: { path: '^src/serve/' }, to: { path: '^src/', pathNot: '^src/(serve|store|report|util)/' },
    },
    {
      name: 'store-knows-no-algorithm', severity: 'error',
      from: { path: '^src/store/' }, to: { path: '^src/', pathNot: '^src/(store|util)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
