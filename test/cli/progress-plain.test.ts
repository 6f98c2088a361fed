// Plain progress lines when jobs run on several workers at once: each step line carries the label of the job
// that reported it, not of the job started last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressRenderer } from '../../src/cli/progress.js';

test('plain progress labels each step line with its own job when two jobs interleave', () => {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => { lines.push(String(s).trimEnd()); return true; }) as typeof process.stderr.write;
  try {
    const r = progressRenderer('plain', { rowsToStdout: false, label: 'x', stepEveryMs: 0 });
    r.emit({ type: 'job-start', key: 'a', label: 'IMP 50% ticket', index: 1, total: 3 });
    r.emit({ type: 'job-start', key: 'b', label: 'IMP 50% reinit', index: 2, total: 3 });
    r.emit({ type: 'step', key: 'a', done: 10, total: 100 });
    r.emit({ type: 'step', key: 'b', done: 20, total: 100 });
    r.emit({ type: 'job-done', key: 'a', label: 'IMP 50% ticket', index: 1, total: 3, resumed: false, seconds: 1 });
    r.emit({ type: 'step', key: 'b', done: 30, total: 100 });
    r.emit({ type: 'step', key: 'a', done: 100, total: 100 });  // after its end: dropped, not shown under another job
    r.stop();
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(lines, [
    '[2/3] IMP 50% ticket: started',
    '[3/3] IMP 50% reinit: started',
    '[2/3] IMP 50% ticket: 10/100',
    '[3/3] IMP 50% reinit: 20/100',
    '[2/3] IMP 50% ticket: done in 1.0 s',
    '[3/3] IMP 50% reinit: 30/100',
  ]);
});
