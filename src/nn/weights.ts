// A weight matrix W [rows × cols] that is stored dense or sparse depending on its density.
// Dense: the full matrix plus an optional mask (pruned entries stay exactly zero because their
// gradient is masked). Sparse: a CSR index for W·X, a CSC index for Wᵀ·dY, and the weight gradient
// computed only at the nonzeros (SDDMM) — so a 2%-dense layer costs about 2% of the multiply-adds, and
// optimizer state exists only for the nonzeros. A sparse layer that computes an input gradient stores its
// values (and gradient and optimizer state) in CSC order, column by column: the fused backward then reads and
// writes them sequentially (scattering its gradients to CSR places cost ≈ 15% of the 2% layer-1-shaped
// backward), and the forward reads each value through csrToValue instead (≈ 9% slower). A first layer (no input
// gradient: sddmm alone, faster over rows than over columns) and the GPT's wide kernels keep CSR order.
// Outside this class the order does not show: csr(), toDense, loadDense, updateSparsity and the optimizer's
// state (Param.layout) all speak CSR (row-major) order.
import type { Backend, F32, I32, PreparedSparse, U8, ValueOrder } from '../backend/backend.js';
import { cscIndex } from '../backend/csc.js';
import { addInto, NONE, type ParamLayout } from './layer.js';

/**
 * Below this density a layer is stored sparse, unless a measured switch is given (sparse-switch.ts).
 * Measured with bench/kernels (layer-1 shape of LeNet-300-100, batch 60, fwd + bwd + weight
 * gradient): sparse won below roughly 30% density on the machine that fixed it, 17–35% on others.
 */
export const DEFAULT_SPARSE_THRESHOLD = 0.3;

/**
 * The layer a switch is asked about: a rows × cols weight matrix applied to `colsPerSample` activation columns per
 * sample (1 for fc, output positions for conv); `input`: it reads the model's input, so its backward computes no input
 * gradient (and a Linear one reads the input at Sequential.inputStride).
 */
export interface SwitchQuery { rows: number; cols: number; colsPerSample: number; input: boolean }

/** A per-layer threshold: the density below which the layer asked about is stored sparse. */
export type SparseSwitch = (layer: SwitchQuery) => number;

export type Storage = 'dense' | 'sparse';

export class WeightMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly storage: Storage;
  /** dense: [rows × cols]; sparse: the nnz values in `order`. */
  readonly value: F32;
  /** Same length and order as value. */
  readonly grad: F32;
  /** dense only: 1 = kept, 0 = pruned; null when every weight is kept. */
  readonly mask: U8 | null;
  /** The weight gradient of sparse storage through sddmmWide (another summation order, fast for many columns; set for the GPT, whose results are not stored digests). */
  readonly wideKernels: boolean;
  /** The order of a sparse layer's values: 'csc', or 'csr' for a first layer and the wide kernels (dense storage: 'csr', row-major). */
  readonly order: ValueOrder;
  // sparse only: CSR (rowPtr [rows+1], colIdx [nnz]) and CSC (colPtr [cols+1], rowIdx [nnz], perm [nnz]).
  private readonly rowPtr: I32;
  private readonly colIdx: I32;
  private readonly colPtr: I32;
  private readonly rowIdx: I32;
  private readonly perm: I32;
  /** 'csc' order: CSR entry q's value is value[csrToValue[q]] (the inverse of perm); empty otherwise. A new array
   * whenever the mask changes, so a layout taken before still describes the values as they were laid out then. */
  private csrToValue: I32;
  readonly nnz: number;
  /** The sparse index prepared on the backend that ran it last (no per-call index checks); dropped when the mask changes. */
  private prepared: { be: Backend; pattern: PreparedSparse } | null = null;

  /**
   * Builds the storage from dense weights and a mask (null = keep all). Entries with mask 0 are
   * dropped (sparse) or zeroed (dense). storage 'auto' picks sparse below `threshold` density (a
   * number, or a switch asked about this layer, `use` completing the query; consulted only for 'auto'). `use.wide`:
   * the GPT's kernels for many activation columns (wideKernels); `use.input` also keeps a sparse layer's values in CSR
   * order (its backward is sddmm alone).
   */
  constructor(rows: number, cols: number, dense: F32, mask: U8 | null,
    storage: Storage | 'auto' = 'auto', threshold: number | SparseSwitch = DEFAULT_SPARSE_THRESHOLD,
    use: { colsPerSample?: number; input?: boolean; wide?: boolean } = {}) {
    if (dense.length !== rows * cols) throw new Error(`WeightMatrix: expected ${rows}×${cols} weights, got ${dense.length}`);
    if (mask && mask.length !== rows * cols) throw new Error(`WeightMatrix: expected ${rows}×${cols} mask, got ${mask.length}`);
    this.rows = rows; this.cols = cols;
    let nnz = rows * cols;
    if (mask) { nnz = 0; for (let i = 0; i < mask.length; i++) nnz += mask[i] ? 1 : 0; }
    this.nnz = nnz;
    const density = rows * cols === 0 ? 1 : nnz / (rows * cols);
    const limit = storage !== 'auto' ? 0 : typeof threshold === 'function'
      ? threshold({ rows, cols, colsPerSample: use.colsPerSample ?? 1, input: use.input ?? false }) : threshold;
    this.storage = storage === 'auto' ? (density < limit ? 'sparse' : 'dense') : storage;
    this.wideKernels = use.wide ?? false;
    this.order = this.storage === 'sparse' && !this.wideKernels && !use.input ? 'csc' : 'csr';
    if (this.storage === 'dense') {
      // (slice and plain loops: the iterator and callback forms of .from took ≈ 35 ms for LeNet's first layer, ×3 per
      // lottery level)
      this.value = dense.slice();
      this.mask = mask && nnz < rows * cols ? new Uint8Array(rows * cols) : null;
      if (this.mask) for (let i = 0; i < this.value.length; i++) if (mask![i]) this.mask[i] = 1; else this.value[i] = 0;
      this.grad = new Float32Array(rows * cols);
      this.rowPtr = this.colIdx = this.colPtr = this.rowIdx = this.perm = this.csrToValue = new Int32Array(0);
      return;
    }
    this.mask = null;
    this.rowPtr = new Int32Array(rows + 1);
    this.colIdx = new Int32Array(nnz);
    this.value = new Float32Array(nnz);
    this.grad = new Float32Array(nnz);
    const csrValues = new Float32Array(nnz);
    let p = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (mask && !mask[r * cols + c]) continue;
        this.colIdx[p] = c; csrValues[p] = dense[r * cols + c]!; p++;
      }
      this.rowPtr[r + 1] = p;
    }
    ({ colPtr: this.colPtr, rowIdx: this.rowIdx, perm: this.perm } = cscIndex(rows, cols, this.rowPtr, this.colIdx));
    this.csrToValue = new Int32Array(0);
    this.storeValues(csrValues);
  }

  /** After the CSR index changed: `csrValues` (in CSR order; not `value` itself) stored in `order`, csrToValue anew. */
  private storeValues(csrValues: F32): void {
    if (this.order !== 'csc') { this.value.set(csrValues); return; }
    const perm = this.perm, csrToValue = new Int32Array(perm.length);
    for (let i = 0; i < perm.length; i++) { csrToValue[perm[i]!] = i; this.value[i] = csrValues[perm[i]!]!; }
    this.csrToValue = csrToValue;
  }

  /** Values in storage order → a new array in CSR order. */
  private csrOrder(a: F32): F32 { return this.order === 'csc' ? gather(a, this.csrToValue) : a.slice(); }

  /**
   * How arrays laid out like `value` (the optimizer's state) map to CSR (row-major) order and back, the order
   * checkpoints and slot maps use; null when value is in that order. It describes the layout as it is now: after
   * updateSparsity, take it again (an optimizer built before the change still maps its old state correctly).
   */
  get layout(): ParamLayout | null {
    if (this.order !== 'csc') return null;
    const csrToValue = this.csrToValue;
    return {
      toCanonical: (a) => gather(a, csrToValue),
      fromCanonical: (a, into) => { for (let q = 0; q < a.length; q++) into[csrToValue[q]!] = a[q]!; },
    };
  }

  /** The sparse index as prepared on `be` (prepared again when another backend asks, or after updateSparsity). */
  private pattern(be: Backend): PreparedSparse {
    if (this.prepared?.be !== be) {
      this.prepared = { be, pattern: be.prepareSparse(this.rows, this.cols, this.rowPtr, this.colIdx, this.colPtr, this.rowIdx, this.perm, this.order) };
    }
    return this.prepared.pattern;
  }

  get density(): number { return this.rows * this.cols === 0 ? 1 : this.nnz / (this.rows * this.cols); }

  /** y[rows × n] = W · x[cols × n] (x's rows ldx apart) */
  forward(be: Backend, x: F32, n: number, y: F32, ldx = n): void {
    if (this.storage === 'dense') be.gemm(false, false, this.rows, n, this.cols, 1, this.value, this.cols, x, ldx, 0, y, n);
    else this.pattern(be).spmm(this.value, x, n, y, ldx);
  }

  /**
   * y = W · x + bias per row (bias empty: none) + res (a residual, when given), and when gelu is given gelu = GELU(y)
   * and y then becomes GELU'(y), all its backward needs of y (pass it to backward as geluGrad): the GPT's sparse layers
   * in one pass (spmmWide), others as forward, biasActivation, the add, geluForwardWithGrad.
   */
  forwardBias(be: Backend, x: F32, n: number, y: F32, bias: F32, gelu: F32 | null = null, res: F32 | null = null, ldx = n): void {
    if (this.storage === 'sparse' && this.wideKernels && ldx === n) {
      be.spmmWide(this.rows, this.cols, this.rowPtr, this.colIdx, this.value, x, n, bias, res ?? NONE, y, gelu ?? NONE);
      return;
    }
    this.forward(be, x, n, y, ldx);
    if (bias.length > 0) be.biasActivation(y, bias, this.rows, n, false);
    if (res) addInto(be, y, res, this.rows * n);
    if (gelu) be.geluForwardWithGrad(y, gelu, y, this.rows * n);
  }

  /**
   * Whether backward with dx takes dy with its rows at a padded stride (sparseBackward, which then reads an aligned dy
   * in place instead of copying it): sparse storage outside the GPT's wide kernels.
   */
  get readsPaddedGrad(): boolean { return this.storage === 'sparse' && !this.wideKernels; }

  /** dx[cols × n] = Wᵀ · dy[rows × n] */
  backwardInput(be: Backend, dy: F32, n: number, dx: F32): void {
    if (this.storage === 'dense') be.gemm(true, false, this.cols, n, this.rows, 1, this.value, this.cols, dy, n, 0, dx, n);
    // CSC-ordered values are Wᵀ's in CSR order: spmm of Wᵀ, summed as spmmT sums (its chains over the CSC entries)
    else if (this.order === 'csc') be.spmm(this.cols, this.rows, this.colPtr, this.rowIdx, this.value, dy, n, 0, dx);
    else be.spmmT(this.rows, this.cols, this.colPtr, this.rowIdx, this.perm, this.value, dy, n, 0, dx);
  }

  /** grad = dy[rows × n] · x[cols × n]ᵀ (x's rows ldx apart), only at kept weights. */
  computeGrad(be: Backend, dy: F32, x: F32, n: number, ldx = n): void {
    if (this.storage === 'dense') {
      be.gemm(false, true, this.rows, this.cols, n, 1, dy, n, x, ldx, 0, this.grad, this.cols);
      if (this.mask) be.applyMask(this.grad, this.mask, this.grad.length);
    } else if (this.wideKernels && ldx === n) {
      be.sddmmWide(this.rows, this.rowPtr, this.colIdx, dy, x, n, this.grad);
    } else {
      this.pattern(be).sddmm(dy, x, n, this.grad, ldx);
    }
  }

  /**
   * The backward of y = W·x: grad = dy·xᵀ at the kept weights, when dx is given dx = Wᵀ·dy, and when biasGrad is given
   * its row sums of dy (rowSum); given geluGrad (the derivative of the GELU that produced x, as forwardBias stored it),
   * dx then goes through the GELU's backward (dx·geluGrad). Sparse storage does both products in one pass (sparseBackward; the GPT's sparseBackwardWide also the row
   * sums and the GELU), with the same results as the separate kernels. dy's rows may lie ldy apart only where
   * readsPaddedGrad says so.
   */
  backward(be: Backend, dy: F32, x: F32, n: number, dx: F32 | null, biasGrad: F32 | null = null, geluGrad: F32 | null = null, ldx = n, ldy = n): void {
    if (ldy !== n && !(this.readsPaddedGrad && dx)) throw new Error(`WeightMatrix.backward: dy stride ${ldy} ≠ n = ${n} needs sparse storage and dx`);
    // (sparseBackward sums in sddmm's order; the GPT's many columns take sddmmWide's, fused the same way, with the
    // bias gradient's row sums of dy and the GELU backward of dx in the same pass)
    if (this.storage === 'sparse' && dx && this.wideKernels && ldx === n) {
      be.sparseBackwardWide(this.rows, this.cols, this.colPtr, this.rowIdx, this.perm, this.value, dy, x, n, 0, dx, this.grad, biasGrad ?? NONE, geluGrad ?? NONE);
      return;
    }
    if (biasGrad) be.rowSum(dy, this.rows, n, biasGrad, ldy);
    if (this.storage === 'sparse' && dx) this.pattern(be).backward(this.value, dy, x, n, dx, this.grad, ldx, ldy);
    else {
      this.computeGrad(be, dy, x, n, ldx);
      if (dx) this.backwardInput(be, dy, n, dx);
    }
    if (dx && geluGrad) be.geluBackwardFromGrad(geluGrad, dx, dx, this.cols * n);
  }

  /**
   * Changes which weights of sparse storage are kept, in place and without a dense matrix (dynamic sparse training):
   * the nonzeros flagged in `drop` (CSR order) leave, the row-major positions `grow` (ascending, none of them kept
   * after the drop) join at value 0, as many as leave, so nnz and every array keep their size. Returns, for each new
   * nonzero (CSR order), the index it had before, or −1 for a grown one (to carry optimizer state along).
   */
  updateSparsity(drop: Uint8Array, grow: Int32Array): Int32Array {
    if (this.storage !== 'sparse') throw new Error('WeightMatrix.updateSparsity: sparse storage only');
    if (drop.length !== this.nnz) throw new Error(`WeightMatrix.updateSparsity: expected ${this.nnz} drop flags, got ${drop.length}`);
    let dropped = 0;
    for (let q = 0; q < drop.length; q++) dropped += drop[q] ? 1 : 0;
    if (dropped !== grow.length) throw new Error(`WeightMatrix.updateSparsity: ${dropped} dropped but ${grow.length} to grow`);
    const { rows, cols, nnz } = this;
    const colIdx = new Int32Array(nnz), value = new Float32Array(nnz), from = new Int32Array(nnz);
    const old = this.csrOrder(this.value);
    // Per row: merge the surviving entries (columns ascending) with the grown positions of that row.
    // Built aside and committed at the end, so a refused call leaves the layer as it was.
    const rowPtr = new Int32Array(rows + 1);
    let p = 0, g = 0;
    for (let r = 0; r < rows; r++) {
      const end = this.rowPtr[r + 1]!, rowEnd = (r + 1) * cols;
      let q = this.rowPtr[r]!;
      for (;;) {
        while (q < end && drop[q]) q++;
        const growHere = g < grow.length && grow[g]! < rowEnd;
        if (q >= end && !growHere) break;
        const gc = growHere ? grow[g]! - r * cols : cols;
        if (growHere && (gc < 0 || (g > 0 && grow[g]! <= grow[g - 1]!))) throw new Error('WeightMatrix.updateSparsity: grow must be ascending positions');
        if (q < end && this.colIdx[q]! < gc) { colIdx[p] = this.colIdx[q]!; value[p] = old[q]!; from[p] = q; q++; }
        else if (q < end && this.colIdx[q]! === gc) throw new Error(`WeightMatrix.updateSparsity: position ${grow[g]} is kept already`);
        else { colIdx[p] = gc; value[p] = 0; from[p] = -1; g++; }
        p++;
      }
      rowPtr[r + 1] = p;
    }
    if (g !== grow.length) throw new Error('WeightMatrix.updateSparsity: grow has positions outside the matrix');
    this.rowPtr.set(rowPtr); this.colIdx.set(colIdx); this.grad.fill(0);
    this.prepared = null;
    cscIndex(rows, cols, this.rowPtr, this.colIdx, { colPtr: this.colPtr, rowIdx: this.rowIdx, perm: this.perm });  // in place
    this.storeValues(value);
    return from;
  }

  /**
   * The CSR arrays of sparse storage (views, not copies, except the values of 'csc' order: a copy in CSR order);
   * null for dense storage.
   */
  csr(): { rowPtr: I32; colIdx: I32; values: F32 } | null {
    if (this.storage !== 'sparse') return null;
    return { rowPtr: this.rowPtr, colIdx: this.colIdx, values: this.order === 'csc' ? this.csrOrder(this.value) : this.value };
  }

  /** Where CSR entry q's value is stored. */
  private at(q: number): number { return this.order === 'csc' ? this.csrToValue[q]! : q; }

  /** The weights as a dense [rows × cols] array (zeros where pruned). */
  toDense(): F32 {
    if (this.storage === 'dense') return this.value.slice();
    const out = new Float32Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let q = this.rowPtr[r]!; q < this.rowPtr[r + 1]!; q++) out[r * this.cols + this.colIdx[q]!] = this.value[this.at(q)]!;
    }
    return out;
  }

  /** The mask as a dense [rows × cols] array of 0/1. */
  toMask(): U8 {
    if (this.storage === 'dense') return this.mask ? this.mask.slice() : new Uint8Array(this.rows * this.cols).fill(1);
    const out = new Uint8Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let q = this.rowPtr[r]!; q < this.rowPtr[r + 1]!; q++) out[r * this.cols + this.colIdx[q]!] = 1;
    }
    return out;
  }

  /** Overwrites the kept weights from a dense array (pruned positions are ignored). */
  loadDense(dense: F32): void {
    if (dense.length !== this.rows * this.cols) throw new Error(`WeightMatrix.loadDense: expected ${this.rows * this.cols} values, got ${dense.length}`);
    if (this.storage === 'dense') {
      this.value.set(dense);
      if (this.mask) for (let i = 0; i < this.value.length; i++) if (!this.mask[i]) this.value[i] = 0;
      return;
    }
    for (let r = 0; r < this.rows; r++) {
      for (let q = this.rowPtr[r]!; q < this.rowPtr[r + 1]!; q++) this.value[this.at(q)] = dense[r * this.cols + this.colIdx[q]!]!;
    }
  }
}

/** out[q] = a[index[q]] */
function gather(a: F32, index: I32): F32 {
  const out = new Float32Array(index.length);
  for (let q = 0; q < out.length; q++) out[q] = a[index[q]!]!;
  return out;
}
