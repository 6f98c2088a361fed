// Quantize a tensor in every number format, and count the exact bytes of a sparse matrix in every
// encoding. Run: node dist/examples/quantize-encode.js
import { dequantize, encodeSparse, ENCODING_NAMES, FORMAT_NAMES, quantize, Rng, inapplicableEncoding } from 'winnow';

const rows = 64, cols = 128;
const rng = new Rng(7);
const dense = new Float32Array(rows * cols);
for (let i = 0; i < dense.length; i++) dense[i] = rng.normal() * 0.05;

console.log('format       bytes   max |error|');
for (const format of FORMAT_NAMES) {
  const q = quantize(dense, [rows, cols], format);
  const back = dequantize(q);
  let err = 0;
  for (let i = 0; i < dense.length; i++) err = Math.max(err, Math.abs(back[i]! - dense[i]!));
  console.log(`${format.padEnd(18)} ${String(q.codes.length + q.scales.length).padStart(6)}   ${err.toExponential(2)}`);
}

// Keep 10% of the weights (a random mask) and encode the sparse matrix as int8 values (per-channel scales).
const sparse = dense.map((v) => (rng.next() < 0.1 ? v : 0));
console.log('\nencoding (int8-channel)   bytes');
for (const encoding of ENCODING_NAMES) {
  const why = inapplicableEncoding(sparse, [rows, cols], 'int8-channel', encoding);
  if (why) { console.log(`${encoding.padEnd(24)} n/a (${why})`); continue; }
  console.log(`${encoding.padEnd(24)} ${encodeSparse(sparse, [rows, cols], 'int8-channel', encoding).bytes}`);
}
