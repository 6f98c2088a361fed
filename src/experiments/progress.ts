// Typed progress events from experiments. The CLI renders them: bars on a terminal, plain lines when
// stderr is not one, JSON lines with --progress json.
export type ProgressEvent =
  | { type: 'run-start'; experiment: string; runId: string; root: string; jobs: number; done: number; info: string[] }
  | { type: 'job-start'; key: string; label: string; index: number; total: number }
  | { type: 'step'; key: string; done: number; total: number; info?: Record<string, string | number> }
  | { type: 'metrics'; runId: string; key: string; row: { iteration: number; [name: string]: number | null } }
  | { type: 'job-done'; key: string; label: string; index: number; total: number; resumed: boolean; seconds: number }
  | { type: 'row'; table: string; header: string[]; cells: string[] }
  | { type: 'log'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'run-done'; runId: string; seconds: number };
