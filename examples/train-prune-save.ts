// Build a network from a spec, train it, prune it (global magnitude, then 2:4), save it to a model file
// and load it back. Run: node dist/examples/train-prune-save.js [outDir]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMasks, argmaxRows, density, getBackend, loadDataset, loadModel, prunableLayers, pruneGlobal, pruneNM, predictRows,
  saveModel, trainModel, type Dataset,
} from 'winnow';

const outDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'winnow-example-'));
const be = getBackend('native', { warn: () => {} });
const data: Dataset = loadDataset('synthetic:blobs?features=16&classes=4', { seed: 1 });

// Train a small MLP: 16 inputs, 32 hidden units, 4 classes.
const { model, summary } = trainModel(be, data, {
  model: 'mlp:16-32-4', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 32, iterations: 200, evalEvery: 100, seed: 1,
});
console.log(`trained: test accuracy ${summary.final.testAccuracy.toFixed(3)}`);

// Global magnitude pruning: remove 80% of the hidden weights and 40% of the output layer's.
applyMasks(model, pruneGlobal(prunableLayers(model), 0.8, 0.4));
console.log(`after global pruning: density ${density(model).toFixed(3)}`);

// N:M pruning on top: at most 2 of every 4 consecutive weights in each row.
const nm = Object.fromEntries(prunableLayers(model).map((l, i) => {
  const layer = model.weightLayers()[i]!;
  return [l.name, pruneNM(l.weights, l.mask, layer.weights.rows, layer.weights.cols, 2, 4)];
}));
applyMasks(model, nm);
console.log(`after 2:4 pruning: density ${density(model).toFixed(3)}`);

// Save (NVFP4 values, the smallest encoding per tensor) and load back; predictions on the test split.
const path = join(outDir, 'blobs.nvfp4.wnn');
const saved = saveModel(path, model, { spec: 'mlp:16-32-4', dataset: data.name, inputShape: [...data.shape], classes: data.classes }, { format: 'nvfp4', encoding: 'auto' });
const loaded = loadModel(path, be);
const logits = predictRows(be, loaded.model, data.test.images, data.test.count);
const predicted = argmaxRows(logits, data.classes);
let correct = 0;
for (let i = 0; i < data.test.count; i++) if (predicted[i] === data.test.labels[i]) correct++;
console.log(`saved ${saved.bytes} bytes to ${path}; reloaded test accuracy ${(correct / data.test.count).toFixed(3)}`);
