import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAPER, loadConfigFile, resolveConfig } from '../../src/neat/config.js';
import { UserError } from '../../src/util/errors.js';

test('the paper preset holds the paper parameters; DPNV overrides apply', () => {
  const x = resolveConfig('xor');
  assert.equal(x.populationSize, 150);
  assert.deepEqual([x.compatibility.c1, x.compatibility.c2, x.compatibility.c3, x.compatibility.threshold], [1, 1, 0.4, 3]);
  assert.deepEqual([x.addNodeProb, x.addLinkProb, x.interspeciesMateRate, x.mutateOnlyProb, x.weightMutateProb, x.weightPerturbProb, x.disableInheritProb, x.stagnation, x.elitismMinSpeciesSize],
    [0.03, 0.05, 0.001, 0.25, 0.8, 0.9, 0.75, 15, 5]);
  const nv = resolveConfig('double-pole-nv');
  assert.deepEqual([nv.populationSize, nv.compatibility.c3, nv.compatibility.threshold, nv.addLinkProb, nv.allowRecurrent], [1000, 3, 4, 0.3, true]);
  assert.equal(PAPER.activation, 'steep-sigmoid');
});

function errorOf(f: () => unknown): string {
  try { f(); } catch (e) { assert.ok(e instanceof UserError, `not a UserError: ${e}`); return (e as Error).message; }
  assert.fail('no error');
}

test('invalid config values give UserErrors naming the field', () => {
  assert.match(errorOf(() => resolveConfig('xor', { populationSize: -5 })), /field 'populationSize'.*got -5/);
  assert.match(errorOf(() => resolveConfig('xor', { compatibility: { c3: 'big' } })), /field 'compatibility\.c3'.*got "big"/);
  assert.match(errorOf(() => resolveConfig('xor', { addNodeProb: 1.5 })), /field 'addNodeProb'/);
  assert.match(errorOf(() => resolveConfig('xor', { recurrentMode: 'sideways' })), /field 'recurrentMode'/);
  assert.match(errorOf(() => resolveConfig('xor', { populaton: 100 })), /unknown field populaton/);
  assert.match(errorOf(() => resolveConfig('xor', { compatibility: { c4: 1 } })), /unknown field compatibility\.c4/);
  assert.match(errorOf(() => resolveConfig('xor', [1, 2])), /expected a JSON object/);
  const ok = resolveConfig('xor', { populationSize: 50, compatibility: { threshold: 2 } });
  assert.equal(ok.populationSize, 50);
  assert.equal(ok.compatibility.c3, 0.4); // deep merge keeps the rest
  const dir = mkdtempSync(join(tmpdir(), 'neat-cfg-'));
  writeFileSync(join(dir, 'bad.json'), '{ "populationSize": ');
  assert.match(errorOf(() => loadConfigFile(join(dir, 'bad.json'))), /not valid JSON/);
  assert.match(errorOf(() => loadConfigFile(join(dir, 'missing.json'))), /cannot read/);
});
