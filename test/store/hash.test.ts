// Run ids: pinned regression values (changing them orphans every stored run), default omission,
// key-order independence and canonical number printing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalHparams, describeRun, runId } from '../../src/store/hash.js';
import { UserError } from '../../src/util/errors.js';

const defaults = { model: 'lenet300', lr: 0.0012, batch: 60, prune: { fraction: 0.2, strategy: 'layerwise' }, levels: 20 };

test('pinned ids (regression: never change these)', () => {
  assert.equal(runId('lottery', defaults, defaults), 'lottery_e3b0c44298fc1c14');
  assert.equal(runId('lottery', { ...defaults, lr: 0.1, prune: { fraction: 0.2, strategy: 'global' } }, defaults), 'lottery_52bfb6deb190bfc6');
  assert.equal(runId('train', { ...defaults, seed: 7, layers: [300, 100], tag: 'a"b' }, defaults), 'train_95c6600e678e8b23');
});

test('id is kind + first 16 hex of sha256 of the canonical string', () => {
  const r = describeRun('lottery', { ...defaults, lr: 0.1, prune: { fraction: 0.2, strategy: 'global' } }, defaults);
  assert.equal(r.canonical, 'lr=0.1;prune.strategy="global"');
  assert.equal(r.id, 'lottery_' + createHash('sha256').update(r.canonical).digest('hex').slice(0, 16));
});

test('a new hparam at its default keeps old ids; at another value it changes them', () => {
  const old = runId('lottery', { ...defaults, lr: 0.1 }, defaults);
  const newDefaults = { ...defaults, warmup: 0, prune: { ...defaults.prune, ignore: [] as string[] } };
  assert.equal(runId('lottery', { ...newDefaults, lr: 0.1 }, newDefaults), old);
  assert.equal(runId('lottery', { lr: 0.1 }, newDefaults), old, 'absent keys count as their defaults');
  assert.notEqual(runId('lottery', { ...newDefaults, lr: 0.1, warmup: 5 }, newDefaults), old);
  assert.notEqual(runId('lottery', { ...newDefaults, lr: 0.1, prune: { ...newDefaults.prune, ignore: ['fc3'] } }, newDefaults), old);
});

test('key order does not matter; values and kinds do', () => {
  const a = { b: 1, a: { y: 'x', x: true } };
  const b = { a: { x: true, y: 'x' }, b: 1 };
  assert.equal(canonicalHparams(a, {}), 'a.x=true;a.y="x";b=1');
  assert.equal(runId('train', a, {}), runId('train', b, {}));
  assert.notEqual(runId('train', a, {}), runId('lottery', a, {}));
  assert.notEqual(runId('train', { b: 2 }, {}), runId('train', { b: 1 }, {}));
  assert.notEqual(runId('train', { b: '1' }, {}), runId('train', { b: 1 }, {}), 'string "1" differs from number 1');
});

test('numbers print canonically', () => {
  assert.equal(canonicalHparams({ a: 1.0, b: -0, c: 1e-7, d: 0.1 + 0.2, e: 12000000, f: Infinity }, {}), 'a=1;b=0;c=1e-7;d=0.30000000000000004;e=12000000;f=Infinity');
  assert.equal(runId('t', { lr: 0.001 }, {}), runId('t', { lr: 1e-3 }, {}));
  assert.equal(canonicalHparams({ lr: 0 }, { lr: -0 }), '', '-0 equals 0');
});

test('undefined means unset; bad values and names are UserErrors', () => {
  assert.equal(canonicalHparams({ a: undefined, b: 2 }, { b: 2 }), '');
  assert.throws(() => canonicalHparams({ a: NaN }, {}), UserError);
  assert.throws(() => canonicalHparams({ 'a.b': 1 }, {}), UserError);
  assert.throws(() => canonicalHparams({ f: () => 1 }, {}), UserError);
  assert.throws(() => runId('Bad-Kind', {}, {}), UserError);
});
