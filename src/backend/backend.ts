// The kernel interface every backend implements. Two implementations exist:
//   reference.ts — plain TypeScript, slow and obvious: the oracle for tests and the fallback;
//   native.ts    — the C++ Node-API addon (AVX-512 / AVX2 / generic dispatch).
//
// Conventions (shared by every kernel, so the layers above never transpose):
// - Matrices are row-major Float32Array; activations are batch-last: [features × batch].
// - Convolution activations are [channels × height × width × batch] (batch innermost).
// - Sparse weights are CSR (rowPtr[rows+1], colIdx[nnz], values[nnz]) plus, for the
//   transposed product, a CSC index over the same nonzeros (colPtr[cols+1], rowIdx[nnz],
//   perm[nnz] = position in the CSR value array), so W's values are stored once.
// - Every kernel writes only to its output arguments and allocates nothing.
// - Counts (m, n, k, rows, batch…) are non-negative integers; zero-sized inputs are valid no-ops
//   (with beta semantics still applied to the output).

export type F32 = Float32Array;
export type I32 = Int32Array;
export type U8 = Uint8Array;
export type F64 = Float64Array;

/**
 * How a prepared layer runs at batch 1: `auto` (CSR below 8% density, else dense; LeNet's rule),
 * `dense`, `csr` (scalar), `csr-gather` (vector gathers, for long rows), `2:4` (values [rows × cols/2]
 * with their in-group offsets; batch 1 only). Above batch 1 every format but 2:4 runs the batch kernels.
 */
export type MatvecFormat = 'auto' | 'dense' | 'csr' | 'csr-gather' | '2:4';
export const MATVEC_FORMATS: readonly MatvecFormat[] = ['auto', 'dense', 'csr', 'csr-gather', '2:4'];

/** One fully connected layer for prepared inference: dense row-major values, or CSR when rowPtr is given. */
export interface InferenceLayer {
  rows: number;
  cols: number;
  relu: boolean;
  /** dense: [rows × cols]; sparse: the nnz values in CSR order; 2:4: [rows × cols/2] */
  values: F32;
  bias: F32;
  rowPtr?: I32;
  colIdx?: I32;
  /** default `auto` */
  format?: MatvecFormat;
  /** 2:4: the offset (0..3) of each value inside its group of 4 columns */
  offsets?: U8;
}

/**
 * How a matrix of the fused GPT decoder step runs (native/decoder.h): `dense` row-major; `csr` with 16-bit
 * column indices, rows padded to multiples of 4 (cols < 65536); `2:4` (at most 2 nonzeros per group of
 * 4 columns); `bitmap` (per row and block of 16 columns a 16-bit mask of the nonzeros, then the packed
 * nonzero values); `sell` (sliced ELL: rows in slices of 16, each layer one nonzero per row of the slice
 * inside one 32-column window of x, picked by a register permute). Each is laid out from the dense weights.
 */
export type DecoderFormat = 'dense' | 'csr' | '2:4' | 'bitmap' | 'sell';
export const DECODER_FORMATS: readonly DecoderFormat[] = ['dense', 'csr', '2:4', 'bitmap', 'sell'];

/** One matrix of the decoder: dense row-major weights [rows × cols] (laid out in `format`), bias [rows] or none. */
export interface DecoderMatrix { format: DecoderFormat; weights: F32; bias: F32 | null }

/** A GPT (pre-LayerNorm blocks, tanh-GELU MLP, src/nn/gpt/model.ts) for the fused batch-1 decoder step. */
export interface DecoderSpec {
  layers: number; heads: number; dim: number; context: number; vocab: number;
  /** token embedding [vocab × dim], position embedding [context × dim] */
  wte: F32; wpe: F32;
  /** per block: LayerNorms and the matrices attn [3D × D], proj [D × D], fc [4D × D], fcProj [D × 4D] */
  blocks: Array<{ ln1Gamma: F32; ln1Beta: F32; ln2Gamma: F32; ln2Beta: F32; attn: DecoderMatrix; proj: DecoderMatrix; fc: DecoderMatrix; fcProj: DecoderMatrix }>;
  lnFGamma: F32; lnFBeta: F32;
  /** [vocab × dim], bias ignored */
  head: DecoderMatrix;
}

/** A prepared decoder with its key/value cache: one call per token. */
export interface PreparedDecoder {
  /** Tokens in the cache. */
  readonly length: number;
  /** Appends `token` at the next position and writes its logits [vocab]; throws when the cache is full. */
  step(token: number, logits: F32): void;
  /** Empties the cache. */
  reset(): void;
}

/** One decoder matrix prepared alone: y[rows] = W·x[cols] + b. */
export interface PreparedMatvec { forward(x: F32, y: F32): void }

/**
 * A sparse matrix's index, CSR (rowPtr, colIdx) with its CSC transpose (colPtr, rowIdx, perm), validated and copied
 * once (inspector–executor): its kernels skip the O(nnz) index checks that spmm, sddmm and sparseBackward make on
 * every call, and later changes to the arrays given do not reach it (prepare again after a mask change). The
 * values, activations and outputs are the caller's arrays, as in the plain kernels; the results are the same bit
 * for bit.
 */
/**
 * The order of a sparse matrix's values (and of its gradient) in a PreparedSparse: 'csr' row by row (the CSR
 * arrays' order), 'csc' column by column (the CSC arrays' order: entry i of the CSC index is value i, entry q of the
 * CSR index is value q' where perm[q'] = q). Each product is summed the same way in both, so the results are
 * the same bits, permuted; in 'csc' the backward reads and writes the values sequentially.
 */
export type ValueOrder = 'csr' | 'csc';

export interface PreparedSparse {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly order: ValueOrder;
  /** spmm with beta 0: y[rows × n] = W·x, x's rows ldx apart. */
  spmm(values: F32, x: F32, n: number, y: F32, ldx?: number): void;
  /** sddmm: out[p] = dY[row(p),:]·X[col(p),:] at every nonzero (in the pattern's order), X's rows ldx apart. */
  sddmm(dy: F32, x: F32, n: number, out: F32, ldx?: number): void;
  /** sparseBackward with beta 0: dx = Wᵀ·dY and grad = dY·Xᵀ at the nonzeros, X's rows ldx apart, dY's ldy. */
  backward(values: F32, dy: F32, x: F32, n: number, dx: F32, grad: F32, ldx?: number, ldy?: number): void;
}

/** A chain of fully connected layers, validated and laid out once, run with one call per forward. */
export interface InferenceNet {
  /** out[outFeatures × n] = the chain applied to x[inFeatures × n] (batch-last). */
  forward(x: F32, n: number, out: F32): void;
}

export interface Backend {
  readonly name: 'reference' | 'native';
  /** Human-readable detail, e.g. the ISA the native addon dispatched to. */
  readonly detail: string;

  // ---- dense linear algebra -------------------------------------------------------------
  /**
   * C[m×n] = alpha·op(A)·op(B) + beta·C (row-major, leading dimensions lda/ldb/ldc).
   * op(A) is m×k: A is stored m×k when !transA, k×m when transA. op(B) is k×n likewise.
   * beta = 0 overwrites C (NaNs in C are not propagated).
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: F32, lda: number, b: F32, ldb: number, beta: number, c: F32, ldc: number): void;

  // ---- sparse linear algebra (W is rows×cols in CSR) -------------------------------------
  /**
   * Y[rows×n] = W·X + beta·Y, X is [cols×n] with its rows ldx apart (default n). The native kernels copy X to an
   * aligned, padded scratch first unless its rows already are (allocActivations start, ldx a multiple of 16).
   */
  spmm(rows: number, cols: number, rowPtr: I32, colIdx: I32, values: F32,
    x: F32, n: number, beta: number, y: F32, ldx?: number): void;
  /** dX[cols×n] = Wᵀ·dY + beta·dX, dY is [rows×n]; uses the CSC index of W. */
  spmmT(rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
    dy: F32, n: number, beta: number, dx: F32): void;
  /** SDDMM: out[p] = Σ_j dY[row(p), j] · X[colIdx[p], j] for every nonzero p; dY [rows×n], X [cols×n] (rows ldx apart). */
  sddmm(rows: number, rowPtr: I32, colIdx: I32, dy: F32, x: F32, n: number, out: F32, ldx?: number): void;
  /**
   * spmmT and sddmm together: dX[cols×n] = Wᵀ·dY + beta·dX and grad[p] = dY[row(p),:]·X[col(p),:] for every nonzero p
   * (grad in CSR order, like sddmm's out). One pass over the CSC index reads each dY row once for both; the results
   * equal the two separate calls bit for bit on the same backend. X's rows are ldx apart, dY's ldy (default n); the
   * native kernel copies dY to an aligned scratch first unless its rows already are aligned (as reluBackwardTo writes them).
   */
  sparseBackward(rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
    dy: F32, x: F32, n: number, beta: number, dx: F32, grad: F32, ldx?: number, ldy?: number): void;
  /**
   * The index of a rows × cols sparse matrix validated and copied once (PreparedSparse): what a training loop
   * calls every step, its values in `order` (default 'csr'). Throws when the CSC arrays are not the CSR's transpose
   * (rows ascending within each column).
   */
  prepareSparse(rows: number, cols: number, rowPtr: I32, colIdx: I32, colPtr: I32, rowIdx: I32, perm: I32, order?: ValueOrder): PreparedSparse;
  /** sddmm's products summed in another order, fast for many columns (the GPT's B·T); sddmm keeps its order, which stored results depend on. */
  sddmmWide(rows: number, rowPtr: I32, colIdx: I32, dy: F32, x: F32, n: number, out: F32): void;
  /**
   * spmmT and sddmmWide together (sparseBackward's arguments); when biasGrad is not empty, biasGrad[r] = Σ_j dY[r, j]
   * (rowSum); when geluGrad [cols×n] is not empty, dX then becomes geluBackwardFromGrad(geluGrad, dX) (the backward of
   * the GELU that fed this layer, from the derivative spmmWide or geluForwardWithGrad stored): one pass per column chunk
   * for the GPT's many columns; the results equal the separate calls bit for bit on the same backend.
   */
  sparseBackwardWide(rows: number, cols: number, colPtr: I32, rowIdx: I32, perm: I32, values: F32,
    dy: F32, x: F32, n: number, beta: number, dx: F32, grad: F32, biasGrad: F32, geluGrad: F32): void;
  /**
   * Y[rows×n] = W·X + bias[r] (bias empty: none) + res (res [rows×n], empty: none), and when gelu is not empty
   * gelu = GELU(Y) and Y then becomes GELU'(Y) (what the GELU's backward needs of Y): spmm with beta 0, biasActivation
   * without relu, the residual add (sgdStep(y, res, len, −1, 0)) and geluForwardWithGrad(y, gelu, y) in one pass
   * (bit for bit).
   */
  spmmWide(rows: number, cols: number, rowPtr: I32, colIdx: I32, values: F32, x: F32, n: number, bias: F32, res: F32, y: F32, gelu: F32): void;

  // ---- element-wise glue (batch-last) ----------------------------------------------------
  /** y[r,j] = y[r,j] + bias[r], then max(0, ·) when relu; y is [rows×n]. */
  biasActivation(y: F32, bias: F32, rows: number, n: number, relu: boolean): void;
  /** dy[i] = y[i] > 0 ? dy[i] : 0 for i < len (y is the ReLU output). */
  reluBackward(y: F32, dy: F32, len: number): void;
  /**
   * out[r·ld + j] = y[r,j] > 0 ? dy[r,j] : 0 for j < n and 0 for n ≤ j < ld (y, dy [rows×n]): reluBackward written with
   * a padded row stride, so that a sparse layer's backward reads it in place (an allocActivations buffer, ld a multiple of 16).
   */
  reluBackwardTo(y: F32, dy: F32, rows: number, n: number, out: F32, ld: number): void;
  /** out[r] = Σ_j dy[r,j] (the bias gradient); dy is [rows×n], rows ld apart (default n). */
  rowSum(dy: F32, rows: number, n: number, out: F32, ld?: number): void;
  /**
   * Softmax cross-entropy over logits [classes×n] with integer labels.
   * Writes grad[classes×n] = (softmax − onehot) / n and returns the summed (not mean) loss.
   * Numerically stable (max-subtracted). Labels outside [0, classes) are a caller error.
   */
  softmaxCrossEntropy(logits: F32, labels: I32, classes: number, n: number, grad: F32): number;
  /**
   * softmaxCrossEntropy for many columns (the GPT's logits): float arithmetic across the columns and an
   * approximate e^x (≲ 2 ulp), so not bit for bit with softmaxCrossEntropy, whose results the LeNet digests pin.
   */
  softmaxCrossEntropyWide(logits: F32, labels: I32, classes: number, n: number, grad: F32): number;
  /** Number of columns j whose argmax over logits[·, j] equals labels[j] (first max wins ties). */
  countCorrect(logits: F32, labels: I32, classes: number, n: number): number;
  /** x[i] = mask[i] ? x[i] : 0. */
  applyMask(x: F32, mask: U8, len: number): void;
  /** out[f×B] (batch-last, rows ld apart, default B; lanes B..ld zero) gathers rows idx[0..B) of src [N×features]. */
  gatherColumns(src: F32, features: number, idx: I32, batch: number, out: F32, ld?: number): void;
  /**
   * The embedding gather out[d, j] (+)= table[idx[j], d] for j < n, out batch-last [D × n]. The table [rows × D] is
   * dense row-major in `table` when rowPtr is empty, else CSR (rowPtr, colIdx, and its kept values in `table`).
   */
  embeddingGather(table: F32, rowPtr: I32, colIdx: I32, rows: number, D: number, idx: I32, n: number, out: F32, accumulate: boolean): void;
  /** Its adjoint grad[idx[j], d] += dx[d, j]: grad dense [rows × D] when rowPtr is empty, else in CSR order at the kept entries. */
  embeddingScatterAdd(grad: F32, rowPtr: I32, colIdx: I32, rows: number, D: number, idx: I32, n: number, dx: F32): void;

  // ---- optimizers (act on a flat parameter array, elementwise; for sparse layers the values in their stored order) ----
  /** w -= lr·(g + wd·w) */
  sgdStep(w: F32, g: F32, len: number, lr: number, weightDecay: number): void;
  /** v = mu·v + (g + wd·w); w -= lr·v  (PyTorch's SGD with momentum, no dampening) */
  momentumStep(w: F32, g: F32, v: F32, len: number, lr: number, mu: number, weightDecay: number): void;
  /**
   * Adam (Kingma & Ba, as PyTorch): m = b1·m + (1−b1)·g; v = b2·v + (1−b2)·g²;
   * w -= lr · (m / (1−b1^t)) / (sqrt(v / (1−b2^t)) + eps). step t starts at 1.
   */
  adamStep(w: F32, g: F32, m: F32, v: F32, len: number, lr: number, beta1: number, beta2: number,
    eps: number, step: number): void;

  // ---- convolution and pooling ([C×H×W×B] activations) -------------------------------
  /**
   * col[(c·kh + ky)·kw + kx, (oy·OW + ox)·B + b] = x[c, oy·stride − pad + ky, ox·stride − pad + kx, b] (0 outside).
   * col is [(C·kh·kw) × (OH·OW·B)], OH = floor((H + 2·pad − kh)/stride) + 1.
   */
  im2col(x: F32, c: number, h: number, w: number, batch: number, kh: number, kw: number,
    stride: number, pad: number, col: F32): void;
  /** The adjoint of im2col: dx = 0, then dx[...] += col[...] for every entry im2col reads. */
  col2im(col: F32, c: number, h: number, w: number, batch: number, kh: number, kw: number,
    stride: number, pad: number, dx: F32): void;
  /**
   * Max pooling, window k, stride s, no padding: y[c, oy, ox, b] = max over the window;
   * argmax receives the flat index into x of the (first) maximum. OH = floor((H − k)/s) + 1.
   */
  maxPoolForward(x: F32, c: number, h: number, w: number, batch: number, k: number, stride: number,
    y: F32, argmax: I32): void;
  /** dx = 0, then dx[argmax[i]] += dy[i] for i < outLen. */
  maxPoolBackward(dy: F32, argmax: I32, outLen: number, dx: F32, inLen: number): void;

  // ---- transformer glue ([d × n] batch-last) ------------------------------------------------
  /** y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2's tanh-GELU) for i < len. */
  geluForward(x: F32, y: F32, len: number): void;
  /** dx = dy · gelu'(x) for i < len (dx may alias dy). */
  geluBackward(x: F32, dy: F32, dx: F32, len: number): void;
  /**
   * y = GELU(x) and dydx = gelu'(x) (dydx may alias x): the forward that keeps the derivative instead of x, so that the
   * backward is geluBackwardFromGrad, one multiply (the same bits as geluBackward on x).
   */
  geluForwardWithGrad(x: F32, y: F32, dydx: F32, len: number): void;
  /** dx = dy · dydx for i < len (dx may alias dy): geluBackward from the derivative geluForwardWithGrad stored. */
  geluBackwardFromGrad(dydx: F32, dy: F32, dx: F32, len: number): void;
  /** LayerNorm over the d features of each of n columns (ε = 1e-5, biased variance); writes y and the column mean and 1/σ. */
  layerNormForward(x: F32, gamma: F32, beta: F32, d: number, n: number, y: F32, mean: F32, rstd: F32): void;
  /** Its backward: dgamma, dbeta overwritten; dx written, or added to when accumulate. */
  layerNormBackward(dy: F32, x: F32, gamma: F32, mean: F32, rstd: F32, d: number, n: number,
    dx: F32, dgamma: F32, dbeta: F32, accumulate: boolean): void;
  /**
   * Causal multi-head self-attention from the fused projection qkv [3D × B·T] (rows: Q heads, K heads,
   * V heads; head h owns rows h·hd … (h+1)·hd − 1 of each, hd = D/H; column b·T + t) to y [D × B·T].
   * Per sequence b and head h: P = softmax(QᵀK/√hd, causal), Y = V·Pᵀ; p [B·H × T × T] receives P
   * (zero above the diagonal) for the backward.
   */
  causalAttentionForward(qkv: F32, B: number, T: number, H: number, D: number, y: F32, p: F32): void;
  /** Its backward: dqkv [3D × B·T] overwritten from dy [D × B·T], the forward's qkv and p. */
  causalAttentionBackward(dy: F32, qkv: F32, p: F32, B: number, T: number, H: number, D: number, dqkv: F32): void;

  // ---- NEAT programs (float64; a compiled program is src/neat/network.ts's Program) ----------
  /**
   * One topologically ordered program over B columns of values [(nIn + nEval) × B], in place. Rows
   * 0..nIn−1 are the inputs (written by the caller); row nIn+k is node k, computed in order:
   *   v[nIn+k][b] = act_k(bias_k + Σ_{c ∈ [start[k], start[k+1])} weight[c] · v[src[c]][b])
   * with activation codes as network.ts's ACT_CODE (0 steep sigmoid … 7 abs). Rows nIn.. are zeroed
   * first unless keepState, so a back edge (src at or after its target) reads the previous call's value.
   */
  neatForward(nIn: number, nEval: number, start: I32, src: I32, weight: F64, act: U8, bias: F64,
    values: F64, B: number, keepState: boolean): void;
  /**
   * G programs concatenated (node k of program g is global node nodeOff[g] + k; start holds global
   * connection offsets, src program-local slots) over the same inputs [nIn × B], each from a zero state,
   * using values [maxSlots × B] as scratch: out[(g·nOut + o)·B + b] = slot outSlot[g·nOut + o] of program g.
   */
  neatForwardMany(G: number, nIn: number, nOut: number, nodeOff: I32, start: I32, src: I32, weight: F64,
    act: U8, bias: F64, outSlot: I32, input: F64, B: number, values: F64, out: F64): void;
  /** y[i] = e^x[i] for i < n, with the exp the NEAT kernels use (native: ≲1e−15 relative of Math.exp). */
  neatExp(x: F64, y: F64, n: number): void;

  // ---- inference -------------------------------------------------------------------------
  /**
   * Prepares a chain of fully connected layers (each y = act(W·x + b); layer l's cols = layer l−1's
   * rows) for repeated forwards: validation and layout happen here, not per call, which is what
   * batch-1 latency on a sparse network is made of. The layers' arrays are copied.
   */
  prepareInference(layers: InferenceLayer[]): InferenceNet;
  /**
   * Prepares a GPT for batch-1 generation with a key/value cache, each matrix in its format: one call
   * per token runs every layer. The arrays are copied.
   */
  prepareDecoder(spec: DecoderSpec): PreparedDecoder;
  /** Prepares one matrix in a decoder format (kernel tests, benchmarks). */
  prepareMatvec(format: DecoderFormat, rows: number, cols: number, weights: F32, bias: F32 | null): PreparedMatvec;

  /**
   * A zeroed Float32Array of `len` floats whose data starts on a 64-byte boundary (native only; a
   * plain array where absent): the sparse kernels read such activations in place instead of copying
   * them to an aligned scratch first. The GPT allocates its activation buffers with it.
   */
  allocActivations?(len: number): F32;
}

/** Output spatial size of a convolution or pooling window. */
export function outSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}
