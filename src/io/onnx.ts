// Dense float32 ONNX export of winnow networks, with a minimal hand-written protobuf encoder
// (no dependency). Each Linear layer becomes Gemm(h, W, b, transB = 1) (+ Relu for hidden layers);
// a conv network first reshapes the flat input to [N, C, H, W], then Conv (weights [out, in, kh, kw],
// winnow's im2col row order) + Relu, MaxPool 2×2 stride 2, and Flatten (C·H·W order, as winnow's):
//   input  "input"  float32 [N, features]   (N symbolic)
//   output "logits" float32 [N, classes]
// Quantized weights (model files in int8-*/int4-* formats, opts.quantized) keep their codes: the
// initializer `<layer>.weight_quantized` is INT8/UINT8/INT4/UINT4 (4-bit packed two per byte, first in
// the low nibble, as winnow stores them), `<layer>.weight_scale` FLOAT and, asymmetric, `<layer>.weight_zero_point`;
// a DequantizeLinear node (opset 21) rebuilds `<layer>.weight` before Gemm/Conv. Per-channel formats use
// axis 0; group formats (groups of 128 over the row-major value list, crossing rows) dequantize the
// flattened weight with block_size 128 and Reshape it. The dequantized weights equal winnow's exactly.
// Pruned weights are exported as explicit zeros: onnxruntime densifies sparse initializers at load
// anyway (docs/FORMATS.md §16), so this is the dense model a JS runtime actually executes.
//
// Field numbers follow onnx/onnx.proto (proto2): ModelProto {ir_version 1, producer_name 2,
// producer_version 3, graph 7, opset_import 8}; GraphProto {node 1, name 2, initializer 5, input 11,
// output 12}; NodeProto {input 1, output 2, name 3, op_type 4, attribute 5}; AttributeProto {name 1,
// i 3, s 4, type 20}; TensorProto {dims 1, data_type 2, name 8, raw_data 9}; ValueInfoProto {name 1, type 2};
// TypeProto {tensor_type 1}; TypeProto.Tensor {elem_type 1, shape 2}; TensorShapeProto {dim 1};
// Dimension {dim_value 1, dim_param 2}; OperatorSetIdProto {domain 1, version 2}.
import type { Sequential } from '../nn/sequential.js';
import { Linear } from '../nn/linear.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool.js';
import { Flatten } from '../nn/flatten.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { FORMATS, INT_GROUP } from '../quant/formats.js';
import { packBits, unpackBits } from '../quant/bitpack.js';
import { f16BitsToF32 } from '../quant/minifloat.js';
import { type EncodedTensor, decodeTensor, indexBytes, matrixView } from '../sparse/encodings.js';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;
/** Opset and IR version of graphs holding DequantizeLinear with INT4/UINT4 and block_size (opset 21). */
export const ONNX_QDQ_OPSET = 21;
export const ONNX_QDQ_IR_VERSION = 10;
const INT8 = 3, UINT8 = 2, INT4 = 22, UINT4 = 21; // TensorProto.DataType
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2; // AttributeProto.AttributeType.INT
const ATTR_STRING = 3; // AttributeProto.AttributeType.STRING (field 4)
const ATTR_INTS = 7; // AttributeProto.AttributeType.INTS (repeated field 8)
export const INT64 = 7; // TensorProto.DataType.INT64

// ---- protobuf writer (shared with onnx-gpt.ts) ----
export class Pb {
  private chunks: Uint8Array[] = [];
  private len = 0;

  private push(b: Uint8Array): void { this.chunks.push(b); this.len += b.length; }

  private varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`protobuf: varint ${v} must be a non-negative safe integer`);
    const out: number[] = [];
    while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: 0 | 2): void { this.varint(field * 8 + wire); }

  int(field: number, v: number): this { this.tag(field, 0); this.varint(v); return this; }

  bytes(field: number, b: Uint8Array): this { this.tag(field, 2); this.varint(b.length); this.push(b); return this; }

  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }

  message(field: number, m: Pb): this { return this.bytes(field, m.finish()); }

  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let off = 0;
    for (const c of this.chunks) { out.set(c, off); off += c.length; }
    return out;
  }
}

export function floatTensor(name: string, dims: number[], data: Float32Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).string(8, name);
  // raw_data is little-endian; copy so a subarray view never leaks neighbouring bytes.
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i]!, true);
  return t.bytes(9, raw);
}

function rawTensor(name: string, dims: number[], dataType: number, raw: Uint8Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  return t.int(2, dataType).string(8, name).bytes(9, raw);
}

export function valueInfo(name: string, dims: Array<number | string>, elemType = FLOAT): Pb {
  const shape = new Pb();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().string(2, d));
  const tensorType = new Pb().int(1, elemType).message(2, shape);
  return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
}

export function node(op: string, name: string, inputs: string[], outputs: string[], attrs: Array<[string, number | number[] | string]> = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, name).string(4, op);
  for (const [k, v] of attrs) {
    if (typeof v === 'number') { n.message(5, new Pb().string(1, k).int(3, v).int(20, ATTR_INT)); continue; }
    if (typeof v === 'string') { n.message(5, new Pb().string(1, k).string(4, v).int(20, ATTR_STRING)); continue; }
    const a = new Pb().string(1, k);
    for (const x of v) a.int(8, x);
    n.message(5, a.int(20, ATTR_INTS));
  }
  return n;
}

/** An int64 initializer: 1-D [values.length], or a scalar (no dims) when `scalar`. */
export function int64Tensor(name: string, values: number[], scalar = false): Pb {
  const t = new Pb();
  if (!scalar) t.int(1, values.length);
  t.int(2, INT64).string(8, name);
  const raw = new Uint8Array(values.length * 8);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
  return t.bytes(9, raw);
}

/** Int codes of a stored weight, re-laid densely (pruned positions hold the zero point) with its scales. */
export interface QuantizedWeight {
  /** 8 or 4 bits, symmetric (signed codes) or asymmetric (unsigned codes + zero points). */
  bits: 8 | 4;
  asym: boolean;
  /** 'channel': one scale per row (axis 0); 'group': blocks of `block` over the flattened tensor. */
  per: 'channel' | 'group';
  block: number;
  /** Packed codes of every element in row-major order (LSB-first; 4-bit two per byte). */
  codes: Uint8Array;
  scales: Float32Array;
  /** Packed zero points (asym only), one per scale. */
  zeroPoints?: Uint8Array;
}

export interface OnnxExportOptions {
  graphName?: string;
  /** Weights to export as codes + DequantizeLinear, by tensor name (`fc1.weight`). */
  quantized?: ReadonlyMap<string, QuantizedWeight>;
  /** Also output every dequantized weight (`<layer>.weight`, float32): lets tests check DequantizeLinear bit for bit. */
  exposeWeights?: boolean;
}

/** Emits the initializers and DequantizeLinear (+ Reshape) that rebuild `w` (float32, dims) from its codes. */
function dequantized(w: string, dims: number[], q: QuantizedWeight, inits: Pb[], nodes: Pb[]): void {
  const dt = q.bits === 8 ? (q.asym ? UINT8 : INT8) : (q.asym ? UINT4 : INT4);
  const numel = dims.reduce((a, b) => a * b, 1);
  const scaleBytes = new Uint8Array(q.scales.length * 4);
  const dv = new DataView(scaleBytes.buffer);
  q.scales.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  const inputs = [`${w}_quantized`, `${w}_scale`];
  if (q.per === 'channel') {
    inits.push(rawTensor(`${w}_quantized`, dims, dt, q.codes), rawTensor(`${w}_scale`, [dims[0]!], FLOAT, scaleBytes));
    if (q.asym) { inits.push(rawTensor(`${w}_zero_point`, [dims[0]!], dt, q.zeroPoints!)); inputs.push(`${w}_zero_point`); }
    nodes.push(node('DequantizeLinear', `${w}_dequantize`, inputs, [w], [['axis', 0]]));
    return;
  }
  // One group (a tensor of ≤ 128 values) is per-tensor quantization: scalar scale, no block_size (ORT refuses one).
  const single = q.scales.length === 1;
  const sdims = single ? [] : [q.scales.length];
  inits.push(rawTensor(`${w}_quantized`, [numel], dt, q.codes), rawTensor(`${w}_scale`, sdims, FLOAT, scaleBytes));
  if (q.asym) { inits.push(rawTensor(`${w}_zero_point`, sdims, dt, q.zeroPoints!)); inputs.push(`${w}_zero_point`); }
  inits.push(int64Tensor(`${w}_shape`, dims));
  nodes.push(node('DequantizeLinear', `${w}_dequantize`, inputs, [`${w}_flat`], single ? [] : [['axis', 0], ['block_size', q.block]]));
  nodes.push(node('Reshape', `${w}_reshape`, [`${w}_flat`, `${w}_shape`], [w]));
}

/** Serializes a Sequential (MLP or conv) as an ONNX model: dense float32, or with quantized weights. */
export function exportOnnx(model: Sequential, opts: OnnxExportOptions = {}): Uint8Array {
  const graph = new Pb();
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  const qmap = opts.quantized ?? new Map<string, QuantizedWeight>();
  const exposed: Array<[string, number[]]> = [];
  const weight = (name: string, dims: number[], dense: () => Float32Array): void => {
    const q = qmap.get(name);
    if (opts.exposeWeights) exposed.push([name, dims]);
    if (q) dequantized(name, dims, q, inits, nodes);
    else inits.push(floatTensor(name, dims, dense()));
  };
  let h = 'input';
  const layers = model.layers;
  if (layers[0] instanceof Conv2d) {
    inits.push(int64Tensor('input_shape', [-1, ...layers[0].inShape]));
    nodes.push(node('Reshape', 'input_reshape', ['input', 'input_shape'], ['input.nchw']));
    h = 'input.nchw';
  }
  layers.forEach((l, i) => {
    if (l instanceof Conv2d) {
      const s = l.shape, w = `${l.name}.weight`, b = `${l.name}.bias`;
      weight(w, [s.outChannels, s.inChannels, s.kernel, s.kernel], () => l.weights.toDense());
      inits.push(floatTensor(b, [s.outChannels], Float32Array.from(l.bias)));
      nodes.push(node('Conv', `${l.name}_conv`, [h, w, b], [`${l.name}.conv`], [['kernel_shape', [s.kernel, s.kernel]], ['pads', [s.pad, s.pad, s.pad, s.pad]], ['strides', [s.stride, s.stride]]]));
      h = `${l.name}.conv`;
      if (l.activation === 'relu') { nodes.push(node('Relu', `${l.name}_relu`, [h], [`${l.name}.relu`])); h = `${l.name}.relu`; }
      return;
    }
    if (l instanceof MaxPool2d) {
      nodes.push(node('MaxPool', `${l.name}_pool`, [h], [`${l.name}.out`], [['kernel_shape', [l.kernel, l.kernel]], ['strides', [l.stride, l.stride]]]));
      h = `${l.name}.out`;
      return;
    }
    if (l instanceof Flatten) {
      nodes.push(node('Flatten', `${l.name}_flatten`, [h], [`${l.name}.out`], [['axis', 1]]));
      h = `${l.name}.out`;
      return;
    }
    if (!(l instanceof Linear)) {
      throw new UserError(`ONNX export: layer '${l.name}' of '${model.spec}' has no ONNX equivalent here (Linear, Conv2d, MaxPool2d, Flatten)`);
    }
    const { rows, cols } = l.weights;
    const w = `${l.name}.weight`, b = `${l.name}.bias`;
    weight(w, [rows, cols], () => l.weights.toDense());
    inits.push(floatTensor(b, [rows], Float32Array.from(l.bias)));
    const last = i === layers.length - 1;
    const gemmOut = last && l.activation === 'none' ? 'logits' : `${l.name}.gemm`;
    nodes.push(node('Gemm', `${l.name}_gemm`, [h, w, b], [gemmOut], [['transB', 1]]));
    h = gemmOut;
    if (l.activation === 'relu') {
      const reluOut = last ? 'logits' : `${l.name}.relu`;
      nodes.push(node('Relu', `${l.name}_relu`, [h], [reluOut]));
      h = reluOut;
    }
  });
  for (const n of nodes) graph.message(1, n);
  graph.string(2, opts.graphName ?? model.spec.replace(/[^A-Za-z0-9_]/g, '_'));
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo('input', ['N', model.inFeatures]));
  graph.message(12, valueInfo('logits', ['N', model.classes]));
  for (const [name, dims] of exposed) graph.message(12, valueInfo(name, dims));
  const qdq = qmap.size > 0;
  const m = new Pb()
    .int(1, qdq ? ONNX_QDQ_IR_VERSION : ONNX_IR_VERSION)
    .string(2, 'winnow')
    .string(3, '0.1.0')
    .message(7, graph)
    .message(8, new Pb().string(1, '').int(2, qdq ? ONNX_QDQ_OPSET : ONNX_OPSET));
  return m.finish();
}

export function saveOnnx(path: string, model: Sequential, opts: OnnxExportOptions = {}): number {
  const bytes = exportOnnx(model, opts);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

/**
 * The ONNX integer form of a stored weight in an int8-* / int4-* format, or why it has none. Codes are
 * recovered from the dequantized values and the stored scales, and checked to reproduce every value
 * exactly (q·s in float32, as winnow and DequantizeLinear both compute it).
 */
export function quantizedWeightOf(t: EncodedTensor): QuantizedWeight | string {
  const m = /^int(8|4)-(channel|group)(-asym)?$/.exec(t.format);
  if (!m) return `format ${t.format} has no ONNX integer DequantizeLinear form here (int8-*, int4-* do)`;
  const bits = Number(m[1]) as 8 | 4, per = m[2] as 'channel' | 'group', asym = m[3] !== undefined;
  if (per === 'group' && t.encoding !== 'dense') {
    return `${t.format} groups run over the stored nonzeros of a ${t.encoding} tensor, which ONNX blocks cannot express (compress with --encoding dense, or use ${t.format.replace('group', 'channel')})`;
  }
  const [rows, cols] = matrixView(t.shape);
  const f = FORMATS[t.format];
  const sec = t.payload.subarray(indexBytes(t.encoding, rows, cols, t.stored) + f.codeBytes(t.stored));
  const n = per === 'channel' ? rows : Math.ceil(t.stored / INT_GROUP);
  const sv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
  const scales = Float32Array.from({ length: n }, (_, k) => (per === 'channel' ? sv.getFloat32(4 * k, true) : f16BitsToF32(sv.getUint16(2 * k, true))));
  const zp = asym ? unpackBits(sec.subarray(n * (per === 'channel' ? 4 : 2)), bits, n) : null;
  const w = decodeTensor(t);
  const mod = 2 ** bits;
  const q = new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const k = per === 'channel' ? Math.floor(i / cols) : Math.floor(i / INT_GROUP);
    const s = scales[k]!, z = zp ? zp[k]! : 0;
    const c = w[i] === 0 || s === 0 ? 0 : Math.round(w[i]! / s);
    if (Math.fround(c * s) !== w[i] && !Number.isNaN(w[i]!)) throw new Error(`BUG: ${t.name}[${i}] = ${w[i]} is not a code × scale ${s}`);
    q[i] = asym ? c + z : (c + mod) % mod;
  }
  return { bits, asym, per, block: INT_GROUP, codes: packBits(q, bits), scales, ...(zp ? { zeroPoints: packBits(zp, bits) } : {}) };
}
