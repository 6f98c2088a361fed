// Batch orders for training: per-epoch seeded permutations cut into batches of sample indices.
// Only indices are produced; the engine gathers pixels with a native kernel from each index array.
//
// Epoch e's order comes from new Rng(seed).stream('data-order').stream(`epoch ${e}`), so it depends
// only on (seed, e): resuming at (epoch, batch) needs no replay of earlier epochs, and the state to
// save is two integers (plus the shape of the problem, checked on restore).
import { Rng } from '../util/rng.js';

export interface BatchOptions {
  /** Samples to draw from (indices 0..count-1). */
  readonly count: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Drop the last partial batch of each epoch (default true: every step sees batchSize samples). */
  readonly dropLast?: boolean;
  /** Shuffle each epoch (default true); false gives 0..count-1 in order, e.g. for evaluation. */
  readonly shuffle?: boolean;
}

/** Serializable position: the next batch to return is batch `batch` of epoch `epoch`. */
export interface BatchState {
  readonly epoch: number;
  readonly batch: number;
  /** Recorded so that a resume with a different dataset or batch size fails instead of drifting. */
  readonly count: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
}

export class BatchIterator {
  readonly count: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
  readonly batchesPerEpoch: number;
  private epochNo = 0;
  private batchNo = 0;
  private order: Int32Array;
  private orderEpoch = -1;
  private readonly base: Rng;

  constructor(opts: BatchOptions, state?: BatchState) {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error(`BatchIterator: count must be a positive integer, got ${opts.count}`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`BatchIterator: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.count = opts.count;
    this.batchSize = opts.batchSize;
    this.seed = opts.seed >>> 0;
    this.dropLast = opts.dropLast ?? true;
    this.shuffle = opts.shuffle ?? true;
    this.batchesPerEpoch = this.dropLast ? Math.floor(this.count / this.batchSize) : Math.ceil(this.count / this.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(`BatchIterator: batch size ${this.batchSize} exceeds the ${this.count} samples and the last partial batch is dropped: no batches`);
    }
    this.base = new Rng(this.seed).stream('data-order');
    this.order = new Int32Array(this.count);
    if (state) this.restore(state);
  }

  /** The full sample order of epoch `epoch` (a fresh array). */
  epochOrder(epoch: number): Int32Array {
    if (!this.shuffle) {
      const o = new Int32Array(this.count);
      for (let i = 0; i < this.count; i++) o[i] = i;
      return o;
    }
    return this.base.stream(`epoch ${epoch}`).permutation(this.count);
  }

  private ensureOrder(): void {
    if (this.orderEpoch === this.epochNo) return;
    this.order = this.epochOrder(this.epochNo);
    this.orderEpoch = this.epochNo;
  }

  get epoch(): number { return this.epochNo; }
  /** Index within the epoch of the batch next() will return. */
  get batch(): number { return this.batchNo; }

  /**
   * The next batch's sample indices: a view into the epoch's order, valid until the epoch ends
   * (copy it to keep it longer). Moves to the next epoch after the last batch.
   */
  next(): Int32Array {
    this.ensureOrder();
    const start = this.batchNo * this.batchSize;
    const end = Math.min(start + this.batchSize, this.count);
    const view = this.order.subarray(start, end);
    if (++this.batchNo === this.batchesPerEpoch) { this.batchNo = 0; this.epochNo++; }
    return view;
  }

  /** All batches of the current epoch from the current position; ends at the epoch boundary. */
  *restOfEpoch(): Generator<Int32Array> {
    const e = this.epochNo;
    while (this.epochNo === e) yield this.next();
  }

  state(): BatchState {
    return { epoch: this.epochNo, batch: this.batchNo, count: this.count, batchSize: this.batchSize, seed: this.seed, dropLast: this.dropLast, shuffle: this.shuffle };
  }

  restore(s: BatchState): void {
    const mine = this.state();
    for (const k of ['count', 'batchSize', 'seed', 'dropLast', 'shuffle'] as const) {
      if (s[k] !== mine[k]) throw new Error(`BatchIterator.restore: saved ${k} ${String(s[k])} differs from this iterator's ${String(mine[k])}`);
    }
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.batch) || s.batch < 0 || s.batch >= this.batchesPerEpoch) {
      throw new Error(`BatchIterator.restore: invalid position epoch ${s.epoch}, batch ${s.batch} (${this.batchesPerEpoch} batches per epoch)`);
    }
    this.epochNo = s.epoch;
    this.batchNo = s.batch;
  }
}
