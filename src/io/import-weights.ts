// PyTorch weights → a winnow network. A state dict saved as safetensors names each layer's tensors
// `<layer>.weight` ([out, in] for linear, [out, in, kh, kw] for conv) and `<layer>.bias` ([out]).
// winnow's layouts are the same: a linear layer's weights are [out × in] row-major, a conv layer's
// are [out × (in·kh·kw)] in PyTorch's (in, kh, kw) order (its im2col rows), activations flatten
// C×H×W like torch.flatten. So tensors copy over unchanged once they are matched to layers:
//   1. by name, when the file has `<name>.weight` for every winnow layer name (fc1, conv1, out, …);
//   2. else in order: the file's weight tensors (names ending in `.weight`, 2-D or 4-D) map to winnow's
//      layers in order — the order of the file's header (a state dict's order, as torch writes it) if
//      every shape fits, else sorted by name with numbers compared as numbers ("net.2" before "net.10").
// Every weight layer needs a weight and a bias of exactly its shape, and every tensor in the file must be
// used: a file with more (batch norm, an extra layer) describes another network and is refused.
import { Conv2d } from '../nn/conv2d.js';
import type { Sequential } from '../nn/sequential.js';
import { UserError } from '../util/errors.js';
import type { DenseTensor, SafetensorsFile } from './safetensors.js';

export interface ImportedLayer { layer: string; weight: string; bias: string; shape: number[] }

function naturalKey(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const prefixOf = (n: string): string => n.slice(0, -'.weight'.length);

/** Copies the file's tensors into the model's weight layers (masks: all kept); returns the mapping. */
export function importStateDict(model: Sequential, file: SafetensorsFile, where: string): ImportedLayer[] {
  const byName = new Map<string, DenseTensor>(file.tensors.map((t) => [t.name, t]));
  const layers = model.weightLayers();
  const named = layers.every((l) => byName.has(`${l.name}.weight`));
  const expectOf = (l: (typeof layers)[number]): number[] => l instanceof Conv2d ? [l.weights.rows, l.shape.inChannels, l.shape.kernel, l.shape.kernel] : [l.weights.rows, l.weights.cols];
  const inFile = file.tensors.filter((t) => t.name.endsWith('.weight') && (t.shape.length === 2 || t.shape.length === 4)).map((t) => prefixOf(t.name));
  const fits = (ps: string[]): boolean => ps.length === layers.length && ps.every((p, i) => byName.get(`${p}.weight`)!.shape.join() === expectOf(layers[i]!).join());
  const sorted = [...inFile].sort(naturalKey);
  const prefixes = named ? layers.map((l) => l.name) : fits(inFile) ? inFile : fits(sorted) ? sorted : inFile;
  if (prefixes.length !== layers.length) {
    throw new UserError(`${where}: the file has ${prefixes.length} weight tensors (${prefixes.map((p) => `${p}.weight`).join(', ') || 'none'}), the model ${model.spec} has ${layers.length} weight layers (${layers.map((l) => l.name).join(', ')})`);
  }
  const used = new Set<string>();
  const out: ImportedLayer[] = [];
  layers.forEach((l, i) => {
    const p = prefixes[i]!;
    const w = byName.get(`${p}.weight`)!, b = byName.get(`${p}.bias`);
    const rows = l.weights.rows;
    const expect = expectOf(l);
    if (w.shape.join() !== expect.join()) {
      throw new UserError(`${where}: tensor '${w.name}' has shape [${w.shape.join(', ')}], layer ${l.name} of ${model.spec} needs [${expect.join(', ')}]`);
    }
    if (!b) throw new UserError(`${where}: no tensor '${p}.bias' for layer ${l.name} (layers without a bias are not supported)`);
    if (b.shape.join() !== String(rows)) throw new UserError(`${where}: tensor '${b.name}' has shape [${b.shape.join(', ')}], layer ${l.name} needs [${rows}]`);
    for (const t of [w, b]) {
      for (let k = 0; k < t.data.length; k++) if (!Number.isFinite(t.data[k]!)) throw new UserError(`${where}: tensor '${t.name}' holds a non-finite value at index ${k}`);
    }
    l.setWeights(Float32Array.from(w.data), null);
    l.bias.set(b.data);
    used.add(w.name); used.add(b.name);
    out.push({ layer: l.name, weight: w.name, bias: b.name, shape: [...w.shape] });
  });
  const unused = file.tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (unused.length > 0) throw new UserError(`${where}: tensors ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', …' : ''} match no layer of ${model.spec}; the file describes another network`);
  return out;
}
