// `winnow import-weights FILE --model SPEC`: PyTorch weights (a state dict saved as safetensors) into a
// winnow model file, checked on the dataset it is meant for. The model file then works everywhere a
// model file does: compress, infer, export, and `lottery --init-from` as the initialization.
import { getBackend } from '../../backend/index.js';
import { loadDataset } from '../../data/registry.js';
import { importStateDict, type ImportedLayer } from '../../io/import-weights.js';
import { argmaxRows, predictRows, saveModel } from '../../io/model-io.js';
import { importSafetensors } from '../../io/safetensors.js';
import { buildModel } from '../../models/build.js';
import { UserError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export interface ImportOptions { model: string; out: string; dataset: string; dataDir?: string; backend: 'native' | 'reference'; warn?: (msg: string) => void }
export interface ImportReport { file: string; model: string; dataset: string; out: string; bytes: number; layers: ImportedLayer[]; testAccuracy: number }

export function importWeights(file: string, o: ImportOptions): ImportReport {
  if (o.out === file) throw new UserError(`--out ${o.out} would overwrite the input file; choose another path`);
  const st = importSafetensors(file);
  const data = loadDataset(o.dataset, { dataDir: o.dataDir });
  const model = buildModel(o.model, data.shape, data.classes, new Rng(0));
  const layers = importStateDict(model, st, file);
  const be = getBackend(o.backend, { warn: o.warn });
  const pred = argmaxRows(predictRows(be, model, data.test.images, data.test.count), data.classes);
  let correct = 0;
  for (let i = 0; i < data.test.count; i++) if (pred[i] === data.test.labels[i]) correct++;
  const saved = saveModel(o.out, model, { spec: o.model, inputShape: [...data.shape], classes: data.classes, dataset: data.name }, { meta: { importedFrom: file } });
  return { file, model: o.model, dataset: data.name, out: o.out, bytes: saved.bytes, layers, testAccuracy: correct / data.test.count };
}
