// Dense float32 ONNX export of a winnow GPT (src/nn/gpt), opset 20, batch-first as ONNX runtimes expect:
//   input  "tokens" int64   [B, T]      (B, T symbolic; T ≤ the context)
//   output "logits" float32 [B, T, vocab]
// The graph is the model's math op for op: Gather (token and position embeddings, positions Range(0, T)),
// per block LayerNormalization (ε 1e-5, winnow's) → MatMul + Add (c_attn; winnow's [3D × D] weights
// stored transposed as [D, 3D]) → Split into Q, K, V → heads by Reshape/Transpose → MatMul, scale,
// causal mask (a [context × context] constant of 0 / −∞ sliced to [T, T]) → Softmax → MatMul → merge
// heads → c_proj, residual; LayerNormalization → c_fc → Gelu(approximate = tanh) → c_proj, residual;
// ln_f → MatMul with the head (the token embedding transposed when tied). No key/value cache inputs:
// a runtime that generates with it recomputes the window each token.
import type { Gpt } from '../nn/gpt/model.js';
import type { WeightLayer } from '../nn/weight-layer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { INT64, Pb, floatTensor, int64Tensor, node, valueInfo } from './onnx.js';

export const GPT_ONNX_OPSET = 20; // Gelu(approximate) needs 20; LayerNormalization 17
const GPT_ONNX_IR_VERSION = 9;

function transposed(l: WeightLayer): Float32Array {
  const { rows, cols } = l.weights, w = l.weights.toDense(), t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

export function exportGptOnnx(model: Gpt, opts: { graphName?: string } = {}): Uint8Array {
  const { layers, heads: H, dim: D, context: C, vocab: V } = model.config, hd = D / H;
  const nodes: Pb[] = [], inits: Pb[] = [];
  const f32 = (name: string, dims: number[], data: Float32Array): string => { inits.push(floatTensor(name, dims, data)); return name; };
  const i64 = (name: string, values: number[], scalar = false): string => { inits.push(int64Tensor(name, values, scalar)); return name; };
  const op = (type: string, inputs: string[], out: string, attrs: Array<[string, number | number[] | string]> = []): string => {
    nodes.push(node(type, `${out}_${type}`, inputs, [out], attrs)); return out;
  };

  // shapes and constants
  const shape = op('Shape', ['tokens'], 'tokens.shape');
  const T = op('Gather', [shape, i64('c.one', [1], true)], 'T'); // scalar
  const T1 = op('Gather', [shape, i64('c.one1', [1])], 'T1'); // [1]
  const zero1 = i64('c.zero1', [0]);
  const pos = op('Range', [i64('c.zero', [0], true), T, i64('c.step', [1], true)], 'positions');
  const mask = new Float32Array(C * C);
  for (let i = 0; i < C; i++) for (let j = i + 1; j < C; j++) mask[i * C + j] = -Infinity;
  const maskRows = op('Slice', [f32('causal_mask', [C, C], mask), zero1, T1, zero1], 'mask.rows');
  const causal = op('Slice', [maskRows, zero1, T1, i64('c.axis1', [1])], 'mask');
  const scale = f32('c.scale', [], Float32Array.of(1 / Math.sqrt(hd)));
  const headsShape = i64('c.heads_shape', [0, 0, H, hd]), mergeShape = i64('c.merge_shape', [0, 0, D]);
  const split = i64('c.qkv_split', [D, D, D]);

  const wte = f32('wte.weight', [V, D], model.wte.weights.toDense());
  const tok = op('Gather', [wte, 'tokens'], 'tok_emb');
  const pe = op('Gather', [f32('wpe.weight', [C, D], model.wpe.weights.toDense()), pos], 'pos_emb');
  let x = op('Add', [tok, pe], 'x.0');
  const ln = (name: string, input: string, gamma: Float32Array, beta: Float32Array): string =>
    op('LayerNormalization', [input, f32(`${name}.weight`, [D], Float32Array.from(gamma)), f32(`${name}.bias`, [D], Float32Array.from(beta))], `${name}.out`); // axis −1 and ε 1e-5: the defaults
  const linear = (l: WeightLayer, input: string): string => {
    const { rows, cols } = l.weights;
    const mm = op('MatMul', [input, f32(`${l.name}.weightT`, [cols, rows], transposed(l))], `${l.name}.mm`);
    return op('Add', [mm, f32(`${l.name}.bias`, [rows], Float32Array.from(l.bias))], `${l.name}.out`);
  };
  for (let i = 0; i < layers; i++) {
    const b = model.blocks[i]!, n = `h.${i}`;
    const qkv = linear(b.attn, ln(b.ln1.name, x, b.ln1.gamma, b.ln1.beta));
    nodes.push(node('Split', `${n}.split`, [qkv, split], [`${n}.q`, `${n}.k`, `${n}.v`], [['axis', 2]]));
    const q = op('Transpose', [op('Reshape', [`${n}.q`, headsShape], `${n}.q4`)], `${n}.qh`, [['perm', [0, 2, 1, 3]]]);
    const k = op('Transpose', [op('Reshape', [`${n}.k`, headsShape], `${n}.k4`)], `${n}.kh`, [['perm', [0, 2, 3, 1]]]);
    const v = op('Transpose', [op('Reshape', [`${n}.v`, headsShape], `${n}.v4`)], `${n}.vh`, [['perm', [0, 2, 1, 3]]]);
    const s = op('Add', [op('Mul', [op('MatMul', [q, k], `${n}.qk`), scale], `${n}.scaled`), causal], `${n}.masked`);
    const p = op('Softmax', [s], `${n}.p`); // axis −1: the default
    const y = op('Reshape', [op('Transpose', [op('MatMul', [p, v], `${n}.pv`)], `${n}.yt`, [['perm', [0, 2, 1, 3]]]), mergeShape], `${n}.y`);
    const mid = op('Add', [x, linear(b.proj, y)], `${n}.mid`);
    const g = op('Gelu', [linear(b.fc, ln(b.ln2.name, mid, b.ln2.gamma, b.ln2.beta))], `${n}.gelu`, [['approximate', 'tanh']]);
    x = op('Add', [mid, linear(b.fcProj, g)], `x.${i + 1}`);
  }
  const h = ln('ln_f', x, model.lnF.gamma, model.lnF.beta);
  const headT = model.head ? transposed(model.head) : transposed(model.wte);
  nodes.push(node('MatMul', 'lm_head', [h, f32('lm_head.weightT', [D, V], headT)], ['logits']));

  const graph = new Pb();
  for (const nd of nodes) graph.message(1, nd);
  graph.string(2, opts.graphName ?? 'winnow_gpt');
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo('tokens', ['B', 'T'], INT64));
  graph.message(12, valueInfo('logits', ['B', 'T', V]));
  return new Pb().int(1, GPT_ONNX_IR_VERSION).string(2, 'winnow').string(3, '0.1.0').message(7, graph)
    .message(8, new Pb().string(1, '').int(2, GPT_ONNX_OPSET)).finish();
}

export function saveGptOnnx(path: string, model: Gpt): number {
  const bytes = exportGptOnnx(model);
  writeFileAtomic(path, bytes);
  return bytes.length;
}
