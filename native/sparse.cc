// Sparse × dense kernels over batch-last activations: every row of X/dY is a contiguous run of n
// floats, so all three kernels vectorize over n and touch only the nonzeros of W.
//   spmm : Y[rows×n]  = W·X + beta·Y         (CSR rows of W; X is [cols×n])
//   spmmT: dX[cols×n] = Wᵀ·dY + beta·dX      (CSC index of W, gather form: no atomics, no scatter)
//   sddmm: out[p]     = dY[row(p),:]·X[col(p),:]  (the weight gradient at the nonzeros only)
//   sparseBackward: spmmT and sddmm in one pass over the CSC index (each dY row read once for both)
// Training keeps a sparse layer's values in CSC order (WeightMatrix): sparseBackward then reads the values and
// writes the gradient sequentially (perm null), its sddmm-only form (dx null) is a first layer's weight gradient,
// and spmm reads each value through a permutation instead (8.6 µs instead of 7.9 at 2%; the backward 10.3 instead
// of 12.5: native-ab, the same run).
// What bounds them (measured with bench/kernels and a C++ loop over the kernels, layer-1 of
// LeNet-300-100 at 2%, batch 60, AVX-512 on Zen 5):
//   - the accumulators must stay in registers: an epilogue that indexed them at run time made GCC
//     spill all of them to the stack on every nonzero (−25% time once removed);
//   - every nonzero reads a whole source row (n floats) gathered by index, and with n = 60 three rows
//     in four start off a 64-byte line, so most vector loads split two lines: the source rows are
//     first copied to an aligned scratch with a padded stride when the rows are reused enough
//     (nnz ≥ source rows) to pay for the copy;
//   - rows of W are short (≈16 nonzeros; CSC columns ≈6), so two rows run side by side for more
//     independent FMA chains;
//   - with many columns (the GPT: n = B·T = 768, rows of 3 KB) each 64-column chunk of the source is
//     packed contiguous first: 3 KB strides put every row's chunk in the same few L1 sets, so unpacked it
//     came from L2 on every nonzero (spmm, spmmT, sddmmWide ~25% faster at the GPT's shapes).
//   - in the addon (a shared library) a thread-local is reached through __tls_get_addr: the aligned copy
//     reloaded its scratch pointer on every row (vector stores may alias it), ≈ 2 µs of spmm's 13 at 2%;
//   - sparseBackward: GCC folded each dY load into both of its FMAs (two loads); pinned in a register
//     (−0.8 µs of 17), and a column's last 1–3 nonzeros share one hsum4 (−0.3–0.7 µs).
// Measured and not the bound (session 6): branch mispredictions on row/column lengths (masks with equal
// lengths run no faster), split stores of dX (an aligned padded dX runs no faster), and the source rows'
// L2 traffic: with the sources in L1 spmm and sparseBackward are only ≈ 2 µs each faster at 2%, and L1
// tiling in the same order was slower (the chains' state moves through L2 instead; docs/SPARSE-KERNELS.md).
// What remains at 2%: ≈ 1 FMA per cycle in the loops (one FMA per loaded source vector; from L2 the loads are
// the bound: gatherPeak below), writing dX (≈ 1.8 µs). The aligned copy of X (≈ 2.2 µs) is skipped when the caller
// lays X out aligned at a padded stride ldx (the trainer does for a Linear first layer: Sequential.inputStride).
// None of this changes the arithmetic: each output is summed in the same order as before (two chains,
// even and odd nonzeros of the row, then added; the dot products of sddmm as before), so results are
// bit-identical to the plain loops at each ISA level. (The GPT's wide kernels at the end, for n > 64,
// sum in their own orders.)
#include "dispatch.h"
#include "gelu.h"
#include "scratch.h"
#include "simd.h"
#include <cstdlib>
#include <cstring>

namespace winnow { namespace WINNOW_ISA_NS {
namespace {
using namespace simd;

constexpr int CV = 4;  // vectors per column chunk: 64 columns on AVX-512 (batch 60 fits one chunk)
// Vectors per column chunk of the GPT's wide kernels (n > CV·W; sparseBackwardWide, spmmWide): 128 columns on
// AVX-512, whose 32 registers hold a chunk's accumulators and X row; AVX2 (16 registers) and generic keep CV.
constexpr int WV = W >= 16 ? 8 : CV;

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// The source rows (n floats each, row r at src + r·ldSrc) copied to a scratch with stride ld = n rounded up to
// whole vectors and a vector-aligned start (padding lanes zero), or src itself (ld = ldSrc) when that would not
// pay: rows already aligned (a caller that lays its rows out at a padded, aligned stride saves the copy), the
// generic build (4 lanes), too few nonzeros per source row, or a copy over 8 MiB.
// The scratch is per thread and grows as needed; the values are copied exactly.
const float* alignedSource(const float* src, int64_t srcRows, int64_t n, int64_t ldSrc, int64_t nnz, int64_t* ld) {
  *ld = ldSrc;
  constexpr int64_t A = (int64_t)sizeof(V);  // bytes per vector
  if (W < 8 || n <= 0 || srcRows <= 0) return src;
  if ((reinterpret_cast<uintptr_t>(src) % A == 0) && ldSrc % W == 0) return src;
  const int64_t stride = (n + W - 1) / W * W;
  if (nnz < srcRows || srcRows * stride > ((int64_t)8 << 20) / (int64_t)sizeof(float)) return src;
  struct Buf { float* p = nullptr; int64_t cap = 0; ~Buf() { std::free(p); } };
  static thread_local Buf buf;
  const int64_t need = srcRows * stride;
  if (need > buf.cap) {
    void* q = std::aligned_alloc(A, (size_t)need * sizeof(float));
    if (!q) return src;  // no memory for the scratch: run on the unaligned rows
    std::free(buf.p);
    buf.p = static_cast<float*>(q); buf.cap = need;
  }
  // buf.p in a local: the vector stores may alias anything, so GCC would reload the thread-local on every row,
  // and in a shared library each reload is a __tls_get_addr call (≈ 1 µs per call of spmm at 784 rows).
  float* const base = buf.p;
  const int64_t full = n / W;
  const int tail = (int)(n - full * W);
  for (int64_t r = 0; r < srcRows; r++) {  // vector moves copy the bits exactly; the padding lanes get 0
    float* d = base + r * stride;
    const float* s = src + r * ldSrc;
    for (int64_t v = 0; v < full; v++) store(d + v * W, load(s + v * W));
    if (tail) store(d + full * W, loadn(s + full * W, tail));
  }
  *ld = stride;
  return base;
}

// Chunk j0 of the outputs of two rows at once (a then b; nb = 0 for a lone row), for cnt ≤ NVEC·W columns:
//   out[j0 .. j0+cnt) = Σ_q val(q)·src[idx[q]·n + j0 ..] + beta·out.
// Each row keeps two accumulator sets, even and odd nonzeros (counted from the row's first), summed in
// row order: the result is the same, bit for bit, whether a row runs alone or beside another. Two rows
// side by side give 4·NVEC independent FMA chains, which hides the FMA latency of short rows.
// PERM: the value of entry q is values[perm[q]] (CSC over CSR-ordered values).
template <int NVEC, bool PERM>
struct Chunk {
  const int32_t* idx; const int32_t* perm; const float* values; const float* src; int64_t ld, s0, j0; int last;

  // acc[0..NVEC) += val(q) · src row idx[q]
  inline void add1(V* acc, int64_t q) const {
    const V w = set1(values[PERM ? perm[q] : q]);
    const float* s = src + (int64_t)idx[q] * ld + s0;
#pragma GCC unroll 4
    for (int v = 0; v < NVEC - 1; v++) acc[v] = fma(w, load(s + v * W), acc[v]);
    acc[NVEC - 1] = fma(w, loadn(s + (NVEC - 1) * W, last), acc[NVEC - 1]);
  }
  inline void finish(const V* e, const V* o, float beta, float* out, int64_t cnt) const {
    float* p = out + j0;
    const V vb = set1(beta);
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++) {
      const int64_t r = cnt - (int64_t)v * W;
      const int c = (int)(r > W ? W : r);
      V x = add(e[v], o[v]);
      if (beta != 0.f) x = fma(vb, loadn(p + v * W, c), x);  // beta == 0 never reads out
      if (c == W) store(p + v * W, x); else storen(p + v * W, x, c);
    }
  }
};

template <int NVEC, bool PERM>
inline void rowChunks(const Chunk<NVEC, PERM>& k, int64_t qa0, int64_t qa1, int64_t qb0, int64_t qb1, bool two,
                      int64_t cnt, float beta, float* outA, float* outB) {
  V ae[NVEC], ao[NVEC], be[NVEC], bo[NVEC];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) { ae[v] = zero(); ao[v] = zero(); be[v] = zero(); bo[v] = zero(); }
  const int64_t pa = (qa1 - qa0) >> 1, pb = two ? (qb1 - qb0) >> 1 : 0, pm = pa < pb ? pa : pb;
  int64_t i = 0;
  for (; i < pm; i++) {
    k.add1(ae, qa0 + 2 * i); k.add1(be, qb0 + 2 * i);
    k.add1(ao, qa0 + 2 * i + 1); k.add1(bo, qb0 + 2 * i + 1);
  }
  for (int64_t j = i; j < pa; j++) { k.add1(ae, qa0 + 2 * j); k.add1(ao, qa0 + 2 * j + 1); }
  if ((qa1 - qa0) & 1) k.add1(ae, qa1 - 1);
  k.finish(ae, ao, beta, outA, cnt);
  if (!two) return;
  for (int64_t j = i; j < pb; j++) { k.add1(be, qb0 + 2 * j); k.add1(bo, qb0 + 2 * j + 1); }
  if ((qb1 - qb0) & 1) k.add1(be, qb1 - 1);
  k.finish(be, bo, beta, outB, cnt);
}

template <int NVEC, bool PERM>
void rowsAt(int64_t rows, const int32_t* ptr, const int32_t* idx, const int32_t* perm, const float* values,
            const float* src, int64_t ld, int64_t s0, int64_t n, int64_t j0, int64_t cnt, float beta, float* dst) {
  const Chunk<NVEC, PERM> k{idx, perm, values, src, ld, s0, j0, (int)(cnt - (int64_t)(NVEC - 1) * W)};
  int64_t r = 0;
  for (; r + 1 < rows; r += 2)
    rowChunks(k, ptr[r], ptr[r + 1], ptr[r + 1], ptr[r + 2], true, cnt, beta, dst + r * n, dst + (r + 1) * n);
  if (r < rows) rowChunks(k, ptr[r], ptr[r + 1], 0, 0, false, cnt, beta, dst + r * n, nullptr);
}

// Columns j0 .. j0+cnt of the source rows (row r at src + r·ld), packed contiguous and aligned: [srcRows × stride],
// lanes beyond cnt zero. The values are copied exactly.
void packChunk(const float* src, int64_t srcRows, int64_t ld, int64_t j0, int64_t cnt, int64_t stride, float* dst) {
  const int64_t full = cnt / W;
  const int tail = (int)(cnt - full * W);
  for (int64_t r = 0; r < srcRows; r++) {
    const float* s = src + r * ld + j0;
    float* d = dst + r * stride;
    for (int64_t v = 0; v < full; v++) store(d + v * W, load(s + v * W));
    if (tail) store(d + full * W, loadn(s + full * W, tail));
  }
}

thread_local ScratchFloats chunkScratch, valueScratch;
constexpr int64_t MAX_PACK_ROWS = ((int64_t)8 << 20) / (CV * W * (int64_t)sizeof(float));  // a packed chunk ≤ 8 MiB

template <bool PERM>
void chunkRows(int64_t rows, const int32_t* ptr, const int32_t* idx, const int32_t* perm, const float* values,
               const float* src, int64_t ld, int64_t s0, int64_t n, int64_t j0, int64_t cnt, float beta, float* dst) {
  switch ((cnt + W - 1) / W) {  // as many vectors as the chunk needs
    case 1: rowsAt<1, PERM>(rows, ptr, idx, perm, values, src, ld, s0, n, j0, cnt, beta, dst); break;
    case 2: rowsAt<2, PERM>(rows, ptr, idx, perm, values, src, ld, s0, n, j0, cnt, beta, dst); break;
    case 3: rowsAt<3, PERM>(rows, ptr, idx, perm, values, src, ld, s0, n, j0, cnt, beta, dst); break;
    default: rowsAt<4, PERM>(rows, ptr, idx, perm, values, src, ld, s0, n, j0, cnt, beta, dst); break;
  }
}

template <bool PERM>
void sparseRows(int64_t rows, const int32_t* ptr, const int32_t* idx, const int32_t* perm, const float* values,
                const float* src0, int64_t srcRows, int64_t ldSrc, int64_t n, float beta, float* dst) {
  if (n <= 0 || rows <= 0) return;
  const int64_t nnz = (int64_t)ptr[rows] - ptr[0];
  // Many columns (the GPT's B·T): each chunk of the source rows is packed contiguous first. Rows of n
  // floats with n a multiple of 256 (B·T = 768: 3 KB) map every row's chunk to the same few L1 sets, so
  // unpacked the chunk is read from L2 on every nonzero; packed (srcRows × 256 B) it stays in L1 while
  // all rows of W use it. No sum changes: each output chunk is summed exactly as before.
  if (n > CV * W && W >= 8 && nnz >= srcRows && srcRows <= MAX_PACK_ROWS) {
    // (Narrower chunks for taller sources, to stay in L1, were slower: fewer FMAs per index load.)
    const int64_t cw = CV * W;
    float* buf = chunkScratch.get(srcRows * cw);
    if (PERM && buf) {  // spmmT: the values in CSC order once, not through perm in every chunk
      float* v = valueScratch.get(ptr[rows]);
      if (v) {
        for (int64_t q = ptr[0]; q < ptr[rows]; q++) v[q] = values[perm[q]];
        for (int64_t j0 = 0; j0 < n; j0 += cw) {
          const int64_t cnt = imin(cw, n - j0);
          packChunk(src0, srcRows, ldSrc, j0, cnt, cw, buf);
          chunkRows<false>(rows, ptr, idx, nullptr, v, buf, cw, 0, n, j0, cnt, beta, dst);
        }
        return;
      }
    }
    if (buf) {
      for (int64_t j0 = 0; j0 < n; j0 += cw) {
        const int64_t cnt = imin(cw, n - j0);
        packChunk(src0, srcRows, ldSrc, j0, cnt, cw, buf);
        chunkRows<PERM>(rows, ptr, idx, perm, values, buf, cw, 0, n, j0, cnt, beta, dst);
      }
      return;
    }
  }
  int64_t ld;
  const float* src = alignedSource(src0, srcRows, n, ldSrc, nnz, &ld);
  for (int64_t j0 = 0; j0 < n; j0 += CV * W)
    chunkRows<PERM>(rows, ptr, idx, perm, values, src, ld, j0, n, j0, imin(CV * W, n - j0), beta, dst);
}

// Dot products of one dY row (cached in NVEC registers, n ≤ NVEC·W) with X rows (stride ld), four
// nonzeros at a time.
template <int NVEC>
void sddmmRowCached(int64_t q0, int64_t q1, const int32_t* colIdx, const float* dyRow, const float* x, int64_t ld,
                    int64_t n, float* out) {
  const int last = (int)(n - (int64_t)(NVEC - 1) * W);  // lanes of the last vector, 1..W
  V d[NVEC];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC - 1; v++) d[v] = load(dyRow + v * W);
  d[NVEC - 1] = loadn(dyRow + (NVEC - 1) * W, last);
  int64_t q = q0;
  for (; q + 3 < q1; q += 4) {
    const float* s0 = x + (int64_t)colIdx[q] * ld;
    const float* s1 = x + (int64_t)colIdx[q + 1] * ld;
    const float* s2 = x + (int64_t)colIdx[q + 2] * ld;
    const float* s3 = x + (int64_t)colIdx[q + 3] * ld;
    V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
#pragma GCC unroll 4
    for (int v = 0; v < NVEC - 1; v++) {
      a0 = fma(d[v], load(s0 + v * W), a0); a1 = fma(d[v], load(s1 + v * W), a1);
      a2 = fma(d[v], load(s2 + v * W), a2); a3 = fma(d[v], load(s3 + v * W), a3);
    }
    constexpr int L = NVEC - 1;  // the (possibly partial) last vector is masked
    a0 = fma(d[L], loadn(s0 + L * W, last), a0); a1 = fma(d[L], loadn(s1 + L * W, last), a1);
    a2 = fma(d[L], loadn(s2 + L * W, last), a2); a3 = fma(d[L], loadn(s3 + L * W, last), a3);
    hsum4(a0, a1, a2, a3, out + q);
  }
  for (; q < q1; q++) {
    const float* s0 = x + (int64_t)colIdx[q] * ld;
    V a0 = zero();
#pragma GCC unroll 4
    for (int v = 0; v < NVEC - 1; v++) a0 = fma(d[v], load(s0 + v * W), a0);
    a0 = fma(d[NVEC - 1], loadn(s0 + (NVEC - 1) * W, last), a0);
    out[q] = hsum(a0);
  }
}

// Any n: one dot product of two rows, two accumulators (even and odd vectors, the tail into the first).
inline float dotLong(const float* a, const float* b, int64_t n) {
  V a0 = zero(), a1 = zero();
  int64_t j = 0;
  for (; j + 2 * W <= n; j += 2 * W) {
    a0 = fma(load(a + j), load(b + j), a0);
    a1 = fma(load(a + j + W), load(b + j + W), a1);
  }
  for (; j < n; j += W) {
    const int cnt = (int)imin(W, n - j);
    a0 = fma(loadn(a + j, cnt), loadn(b + j, cnt), a0);
  }
  return hsum(add(a0, a1));
}

// Any n: streams both rows per nonzero.
void sddmmRowLong(int64_t q0, int64_t q1, const int32_t* colIdx, const float* dyRow, const float* x, int64_t ldx,
                  int64_t n, float* out) {
  for (int64_t q = q0; q < q1; q++) out[q] = dotLong(dyRow, x + (int64_t)colIdx[q] * ldx, n);
}

// Keeps v in a register: GCC otherwise folds a load used twice into both FMAs as memory operands (two loads).
// (x86's vector-register constraint is "v", AArch64's "w"; elsewhere nothing to do.)
#if defined(__x86_64__) || defined(__i386__)
inline void pin(V& v) { asm("" : "+v"(v)); }
#elif defined(__aarch64__)
inline void pin(V& v) { asm("" : "+w"(v)); }
#else
inline void pin(V&) {}
#endif

// The backward of a sparse layer in one pass over the CSC index (sparseBackward below): per column c of W,
// the row x[c] stays in registers while each of its nonzeros (r, c) reads dY[r] once and uses it twice:
//   dx[c] += w·dY[r]            (even/odd chains in CSC order, exactly as spmmT's rowChunks sums them)
//   grad(r, c) = dY[r]·x[c]     (the dot product exactly as sddmmRowCached computes it; a·b = b·a)
// So each output is bit-identical to spmmT followed by sddmm, while the step reads a dY row per nonzero once
// instead of a dY row (spmmT) and an X row (sddmm): the L2 traffic that bounds both is halved.
// CSC: the values and gradients in CSC order (entry i at i, not at perm[i]): every access is sequential, and each
// group's four gradients leave hsum4 as one 128-bit store (the scattered stores to CSR places cost ≈ 1.7 µs of
// the 2% layer-1 backward's 12.7). DX false: the gradient only (a first layer's sddmm, here in CSC order: it
// gathers dY's rows, not X's larger ones).
template <int NVEC, bool CSC, bool DX>
void backwardCols(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
                  const float* dy, int64_t ld, const float* x, int64_t ldx, int64_t n, float beta, float* dx, float* out) {
  const auto at = [perm](int64_t i) -> int64_t { return CSC ? i : perm[i]; };  // where entry i's value and gradient live
  const int last = (int)(n - (int64_t)(NVEC - 1) * W);
  const V vb = set1(beta);
  for (int64_t c = 0; c < cols; c++) {
    const int64_t i0 = colPtr[c], i1 = colPtr[c + 1];
    V xr[NVEC], e[NVEC], o[NVEC];
    const float* xc = x + c * ldx;
    if (DX) {
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) { e[v] = zero(); o[v] = zero(); }
    }
    if (i1 > i0) {
#pragma GCC unroll 4
      for (int v = 0; v < NVEC - 1; v++) xr[v] = load(xc + v * W);
      xr[NVEC - 1] = loadn(xc + (NVEC - 1) * W, last);
    }
    int64_t i = i0;
    for (; i + 3 < i1; i += 4) {
      const float* s0 = dy + (int64_t)rowIdx[i] * ld;
      const float* s1 = dy + (int64_t)rowIdx[i + 1] * ld;
      const float* s2 = dy + (int64_t)rowIdx[i + 2] * ld;
      const float* s3 = dy + (int64_t)rowIdx[i + 3] * ld;
      V w0 = zero(), w1 = zero(), w2 = zero(), w3 = zero();
      if (DX) { w0 = set1(values[at(i)]); w1 = set1(values[at(i + 1)]); w2 = set1(values[at(i + 2)]); w3 = set1(values[at(i + 3)]); }
      V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        const int cnt = v < NVEC - 1 ? W : last;
        V d0 = v < NVEC - 1 ? load(s0 + v * W) : loadn(s0 + v * W, cnt);
        V d1 = v < NVEC - 1 ? load(s1 + v * W) : loadn(s1 + v * W, cnt);
        V d2 = v < NVEC - 1 ? load(s2 + v * W) : loadn(s2 + v * W, cnt);
        V d3 = v < NVEC - 1 ? load(s3 + v * W) : loadn(s3 + v * W, cnt);
        if (DX) {
          pin(d0); pin(d1); pin(d2); pin(d3);
          e[v] = fma(w0, d0, e[v]); o[v] = fma(w1, d1, o[v]);
          e[v] = fma(w2, d2, e[v]); o[v] = fma(w3, d3, o[v]);
        }
        a0 = fma(d0, xr[v], a0); a1 = fma(d1, xr[v], a1);
        a2 = fma(d2, xr[v], a2); a3 = fma(d3, xr[v], a3);
      }
      if (CSC) {
        hsum4(a0, a1, a2, a3, out + i);
      } else {
        alignas(16) float t[4];
        hsum4(a0, a1, a2, a3, t);
        out[perm[i]] = t[0]; out[perm[i + 1]] = t[1]; out[perm[i + 2]] = t[2]; out[perm[i + 3]] = t[3];
      }
    }
    // The last 1–3 nonzeros: the groups took a multiple of 4, so they go to e, o, e; two or three share one hsum4.
    const int64_t rem = i1 - i;
    if (rem > 0) {
      const float* s0 = dy + (int64_t)rowIdx[i] * ld;
      const float* s1 = dy + (int64_t)rowIdx[rem > 1 ? i + 1 : i] * ld;
      const float* s2 = dy + (int64_t)rowIdx[rem > 2 ? i + 2 : i] * ld;
      V w0 = zero(), w1 = zero(), w2 = zero();
      if (DX) {
        w0 = set1(values[at(i)]);
        w1 = set1(rem > 1 ? values[at(i + 1)] : 0.f); w2 = set1(rem > 2 ? values[at(i + 2)] : 0.f);
      }
      V a0 = zero(), a1 = zero(), a2 = zero();
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) {
        V d0 = v < NVEC - 1 ? load(s0 + v * W) : loadn(s0 + v * W, last);
        if (DX) { pin(d0); e[v] = fma(w0, d0, e[v]); }
        a0 = fma(d0, xr[v], a0);
      }
      if (rem == 1) {
        out[at(i)] = hsum(a0);
      } else {
#pragma GCC unroll 4
        for (int v = 0; v < NVEC; v++) {
          V d1 = v < NVEC - 1 ? load(s1 + v * W) : loadn(s1 + v * W, last);
          if (DX) { pin(d1); o[v] = fma(w1, d1, o[v]); }
          a1 = fma(d1, xr[v], a1);
        }
        if (rem == 3) {
#pragma GCC unroll 4
          for (int v = 0; v < NVEC; v++) {
            V d2 = v < NVEC - 1 ? load(s2 + v * W) : loadn(s2 + v * W, last);
            if (DX) { pin(d2); e[v] = fma(w2, d2, e[v]); }
            a2 = fma(d2, xr[v], a2);
          }
        }
        alignas(16) float t[4];
        hsum4(a0, a1, a2, zero(), t);
        out[at(i)] = t[0]; out[at(i + 1)] = t[1];
        if (rem == 3) out[at(i + 2)] = t[2];
      }
    }
    if (!DX) continue;
    float* dxc = dx + c * n;
#pragma GCC unroll 4
    for (int v = 0; v < NVEC; v++) {  // as Chunk::finish
      const int cnt = v < NVEC - 1 ? W : last;
      V r = add(e[v], o[v]);
      if (beta != 0.f) r = fma(vb, loadn(dxc + v * W, cnt), r);
      if (cnt == W) store(dxc + v * W, r); else storen(dxc + v * W, r, cnt);
    }
  }
}

// backwardCols for the value order (perm null: CSC) and whether dx is wanted.
template <int NVEC>
void backwardColsFor(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
                     const float* dy, int64_t ld, const float* x, int64_t ldx, int64_t n, float beta, float* dx, float* out) {
  if (perm) {
    if (dx) backwardCols<NVEC, false, true>(cols, colPtr, rowIdx, perm, values, dy, ld, x, ldx, n, beta, dx, out);
    else backwardCols<NVEC, false, false>(cols, colPtr, rowIdx, perm, values, dy, ld, x, ldx, n, beta, dx, out);
  } else {
    if (dx) backwardCols<NVEC, true, true>(cols, colPtr, rowIdx, perm, values, dy, ld, x, ldx, n, beta, dx, out);
    else backwardCols<NVEC, true, false>(cols, colPtr, rowIdx, perm, values, dy, ld, x, ldx, n, beta, dx, out);
  }
}
}  // namespace

void spmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const int32_t* perm, const float* values,
          const float* x, int64_t cols, int64_t n, float beta, float* y, int64_t ldx) {
  if (perm) sparseRows<true>(rows, rowPtr, colIdx, perm, values, x, cols, ldx, n, beta, y);
  else sparseRows<false>(rows, rowPtr, colIdx, nullptr, values, x, cols, ldx, n, beta, y);
}

void spmmT(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
           const float* dy, int64_t rows, int64_t n, float beta, float* dx) {
  sparseRows<true>(cols, colPtr, rowIdx, perm, values, dy, rows, n, n, beta, dx);
}

void sddmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x0,
           int64_t xRows, int64_t n, float* out, int64_t ldx) {
  if (rows <= 0) return;
  if (n <= 0) { for (int64_t q = rowPtr[0]; q < rowPtr[rows]; q++) out[q] = 0.f; return; }
  int64_t ld = ldx;
  const float* x = n <= CV * W ? alignedSource(x0, xRows, n, ldx, (int64_t)rowPtr[rows] - rowPtr[0], &ld) : x0;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t q0 = rowPtr[r], q1 = rowPtr[r + 1];
    if (q0 == q1) continue;
    const float* d = dy + r * n;
    switch ((n + W - 1) / W) {
      case 1: sddmmRowCached<1>(q0, q1, colIdx, d, x, ld, n, out); break;
      case 2: sddmmRowCached<2>(q0, q1, colIdx, d, x, ld, n, out); break;
      case 3: sddmmRowCached<3>(q0, q1, colIdx, d, x, ld, n, out); break;
      case 4: sddmmRowCached<4>(q0, q1, colIdx, d, x, ld, n, out); break;
      default: sddmmRowLong(q0, q1, colIdx, d, x, ld, n, out); break;
    }
  }
}

void sparseBackward(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
                    const float* dy, int64_t rows, const float* x, int64_t n, float beta, float* dx, float* out, int64_t ldx,
                    int64_t ldy) {
  if (cols <= 0) return;
  const auto at = [perm](int64_t i) -> int64_t { return perm ? perm[i] : i; };
  if (n <= 0) { for (int64_t i = colPtr[0]; i < colPtr[cols]; i++) out[at(i)] = 0.f; return; }
  if (n > CV * W) {  // wider than the registers hold: the two kernels, sddmm's long dot products in CSC order
    if (dx && perm) sparseRows<true>(cols, colPtr, rowIdx, perm, values, dy, rows, ldy, n, beta, dx);  // spmmT
    else if (dx) sparseRows<false>(cols, colPtr, rowIdx, nullptr, values, dy, rows, ldy, n, beta, dx);
    for (int64_t c = 0; c < cols; c++)
      for (int64_t i = colPtr[c]; i < colPtr[c + 1]; i++) out[at(i)] = dotLong(dy + (int64_t)rowIdx[i] * ldy, x + c * ldx, n);
    return;
  }
  // dY's rows ldy apart: no copy when the caller laid them out aligned at a stride of whole vectors (reluBackwardTo)
  int64_t ld;
  const float* d = alignedSource(dy, rows, n, ldy, (int64_t)colPtr[cols] - colPtr[0], &ld);
  switch ((n + W - 1) / W) {
    case 1: backwardColsFor<1>(cols, colPtr, rowIdx, perm, values, d, ld, x, ldx, n, beta, dx, out); break;
    case 2: backwardColsFor<2>(cols, colPtr, rowIdx, perm, values, d, ld, x, ldx, n, beta, dx, out); break;
    case 3: backwardColsFor<3>(cols, colPtr, rowIdx, perm, values, d, ld, x, ldx, n, beta, dx, out); break;
    default: backwardColsFor<4>(cols, colPtr, rowIdx, perm, values, d, ld, x, ldx, n, beta, dx, out); break;
  }
}

// ---- sddmmWide: the GPT's many columns (n = B·T) --------------------------------------------------
// The products of sddmm, summed in another order (so a separate kernel: sddmm's results are part of
// stored digests). For n beyond one chunk sddmm streams both whole rows per nonzero (sddmmRowLong);
// here the products run per 64-column chunk with the dY chunk in registers and four nonzeros at a
// time (sddmmRowCached), and the chunks' partial sums are added up. (Blocking the source rows of
// spmm/spmmT the same way was measured too: no faster at the GPT's shapes, so those stay shared.)
namespace {
thread_local ScratchFloats partScratch;
}  // namespace

bool sddmmWide(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x0,
               int64_t xRows, int64_t n, float* out) {
  if (n <= CV * W) { sddmm(rows, rowPtr, colIdx, dy, x0, xRows, n, out, n); return true; }
  if (rows <= 0) return true;
  const int64_t q0 = rowPtr[0], q1 = rowPtr[rows];
  if (q1 <= q0) return true;
  float* part = partScratch.get(q1);
  if (!part) return false;
  // Each chunk of X packed contiguous (as sparseRows does: rows of 3 KB share a few L1 sets), when reused.
  float* xbuf = (W >= 8 && q1 - q0 >= xRows && xRows <= MAX_PACK_ROWS) ? chunkScratch.get(xRows * CV * W) : nullptr;
  int64_t ld = n;
  const float* x = xbuf ? nullptr : alignedSource(x0, xRows, n, n, q1 - q0, &ld);
  for (int64_t j0 = 0; j0 < n; j0 += CV * W) {
    const int64_t cnt = imin(CV * W, n - j0);
    float* o = j0 == 0 ? out : part;
    const float* xc;
    if (xbuf) { packChunk(x0, xRows, n, j0, cnt, CV * W, xbuf); xc = xbuf; ld = CV * W; } else xc = x + j0;
    for (int64_t r = 0; r < rows; r++) {
      const int64_t a = rowPtr[r], b = rowPtr[r + 1];
      if (a == b) continue;
      const float* d = dy + r * n + j0;
      switch ((cnt + W - 1) / W) {
        case 1: sddmmRowCached<1>(a, b, colIdx, d, xc, ld, cnt, o); break;
        case 2: sddmmRowCached<2>(a, b, colIdx, d, xc, ld, cnt, o); break;
        case 3: sddmmRowCached<3>(a, b, colIdx, d, xc, ld, cnt, o); break;
        default: sddmmRowCached<4>(a, b, colIdx, d, xc, ld, cnt, o); break;
      }
    }
    if (j0 > 0) for (int64_t q = q0; q < q1; q++) out[q] += part[q];
  }
  return true;
}


// ---- sparseBackwardWide: the GPT's backward of a sparse layer in one pass (n = B·T) -----------------
// spmmT and the weight gradient together, per WV·W-column chunk: the dY chunk is packed (as sparseRows does), then
// per column c of W its X chunk (read in place) stays in registers while each nonzero (r, c) loads the dY row chunk once and uses
// it twice: dx[c] += w·dY[r] and the chunk's partial dot dY[r]·x[c], added to grad across chunks. Half the loads
// per nonzero of spmmT + sddmmWide (there each loaded vector feeds one FMA; here two). geluGrad (not null): dx then
// goes through the backward of the GELU before this layer as dx·geluGrad (its derivative, stored by spmmWide's
// forward), in registers before each dx chunk is stored.
// The GPT's kernel only, so its summation order is its own (the reference twin agrees within rounding):
// 128-column chunks on AVX-512 (8 vectors) with one dx chain per column in CSC order (8 independent chains
// of ≤ 4 FMAs per group of four nonzeros hide the FMA latency), and per chunk one hsum4 per four nonzeros
// whose four sums are added to grad as one vector. Against 64-column chunks with even/odd dx chains and a
// scalar add per nonzero, that halves the reductions (12 per nonzero at n = 768 cost ≈ a quarter of the
// kernel), the per-column work and the index and broadcast loads per FMA: 1.22–1.27× at the GPT's four shapes
// (qkv 162 → 130 µs, fc2 213 → 168 µs alone; in the step ≈ 1.25×). Two dot chains per nonzero (even/odd
// vectors) were no faster (spills). What remains: ≈ 50% of the FMA peak (loads feeding FMAs reach ≈ 1.1–1.4
// FMAs per cycle on this CPU even from L1); with dY's chunk in L1 (not at 384–512 rows of 512 B) ≈ 20% faster,
// but dY's rows in L1-sized blocks were 10–20% slower (dx's and X's chunks then pass through L2 once per
// block), and software prefetch of the next group's rows into L1 3–40% slower.
namespace {

// grad[0..K) += the sums of a[0..K)
template <int K>
inline void addSums(const V* a, float* grad) {
#if defined(__AVX512F__)
  const V z = zero();
  alignas(16) float t[4];
  hsum4(a[0], K > 1 ? a[1] : z, K > 2 ? a[2] : z, K > 3 ? a[3] : z, t);
  if (K == 4) _mm_storeu_ps(grad, _mm_add_ps(_mm_loadu_ps(grad), _mm_load_ps(t)));
  else for (int k = 0; k < K; k++) grad[k] += t[k];
#else
  for (int k = 0; k < K; k++) grad[k] += hsum(a[k]);
#endif
}

// K nonzeros i .. i+K of one column: dx chain e += w·dY[r], and their chunk dot products with the column's X (xr).
template <int NVEC, int K>
inline void backwardGroup(const float* dyc, int64_t ld, const int32_t* rowIdx, const float* values, int64_t i,
                          const V* xr, V* e, int last, float* grad) {
  const float* s[K];
  V w[K], a[K];
#pragma GCC unroll 4
  for (int k = 0; k < K; k++) { s[k] = dyc + (int64_t)rowIdx[i + k] * ld; w[k] = set1(values[i + k]); a[k] = zero(); }
#pragma GCC unroll 8
  for (int v = 0; v < NVEC; v++) {
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) {
      V d = v < NVEC - 1 ? load(s[k] + v * W) : loadn(s[k] + v * W, last);
      pin(d);  // one load feeding both FMAs
      e[v] = fma(w[k], d, e[v]);
      a[k] = fma(d, xr[v], a[k]);
    }
  }
  addSums<K>(a, grad + i);
}

// values and grad in CSC order here (the caller gathers and scatters them through perm once per call)
// The next chunk's columns of dY, X, geluGrad and dx, prefetched into L2 while this chunk runs: in the GPT's step they
// are cold, and packing them stalled on every row (spread over the columns of W; with the row sums taken while
// packing, ≈ 5% of the kernel in the step, e.g. qkv 153–157 → 143–147 µs; alone no change).
struct NextChunk {
  const float *dy, *x, *geluGrad; float* dx; int64_t rows, n, bytes;  // dy null: none (the last chunk)
  inline void column(int64_t c, int64_t cols) const {
    if (!dy) return;
    for (int64_t r = c * rows / cols, r1 = (c + 1) * rows / cols; r < r1; r++) lines(dy + r * n, false);
    lines(x + c * n, false);
    if (geluGrad) lines(geluGrad + c * n, false);
    lines(dx + c * n, true);
  }
  inline void lines(const float* p, bool write) const {
    const char* b = reinterpret_cast<const char*>(p);
    for (int64_t o = 0; o < bytes; o += 64) {
      if (write) __builtin_prefetch(b + o, 1, 2); else __builtin_prefetch(b + o, 0, 2);
    }
  }
};

template <int NVEC>
void backwardChunk(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const float* values,
                   const float* dyc, int64_t ld, const float* xc0, int64_t ldx, int64_t n, int64_t j0, int64_t cnt, float beta,
                   float* dx, float* grad, const float* geluGrad, const NextChunk& next) {
  const int last = (int)(cnt - (int64_t)(NVEC - 1) * W);
  const V vb = set1(beta);
  for (int64_t c = 0; c < cols; c++) {
    next.column(c, cols);
    // X is read in place: the next column's X chunk is prefetched into L1 one column's work ahead (packing X per chunk,
    // as before, cost a copy of cols × 512 B per chunk, ≈ 10% of fc2's kernel; in place without the prefetch each
    // column's chunk of a cold X was a cache miss; with it, in the step: proj 57 → 51, fc2 + GELU 442 → 406 µs)
    if (c + 1 < cols) {
      const char* p = reinterpret_cast<const char*>(xc0 + (c + 1) * ldx);
      for (int l = 0; l < (NVEC * (int)sizeof(V) + 63) / 64; l++) __builtin_prefetch(p + 64 * l, 0, 3);
    }
    const int64_t i0 = colPtr[c], i1 = colPtr[c + 1];
    float* dxc = dx + c * n + j0;
    const float* gg = geluGrad ? geluGrad + c * n + j0 : nullptr;
    V xr[NVEC], e[NVEC];
#pragma GCC unroll 8
    for (int v = 0; v < NVEC; v++) e[v] = zero();
    if (i1 > i0) {
      const float* xc = xc0 + c * ldx;
#pragma GCC unroll 8
      for (int v = 0; v < NVEC - 1; v++) xr[v] = load(xc + v * W);
      xr[NVEC - 1] = loadn(xc + (NVEC - 1) * W, last);
    }
    int64_t i = i0;
    for (; i + 3 < i1; i += 4) backwardGroup<NVEC, 4>(dyc, ld, rowIdx, values, i, xr, e, last, grad);
    switch (i1 - i) {  // the column's last 1–3 nonzeros share one reduction
      case 3: backwardGroup<NVEC, 3>(dyc, ld, rowIdx, values, i, xr, e, last, grad); break;
      case 2: backwardGroup<NVEC, 2>(dyc, ld, rowIdx, values, i, xr, e, last, grad); break;
      case 1: backwardGroup<NVEC, 1>(dyc, ld, rowIdx, values, i, xr, e, last, grad); break;
      default: break;
    }
#pragma GCC unroll 8
    for (int v = 0; v < NVEC; v++) {
      const int k = v < NVEC - 1 ? W : last;
      V r = e[v];
      if (beta != 0.f) r = fma(vb, loadn(dxc + v * W, k), r);
      if (gg) r = mul(r, k == W ? load(gg + v * W) : loadn(gg + v * W, k));  // geluBackwardFromGrad in registers
      if (k == W) store(dxc + v * W, r); else storen(dxc + v * W, r, k);
    }
  }
}
}  // namespace

// biasGrad (when not null) = rowSum(dY), summed as rowSum does: per row, even and odd vectors in two
// accumulators (a vector of the tail after the last whole pair into the even one), then added and reduced.
// Here the accumulators live in a scratch across chunks and read the chunk of dY the kernel uses anyway.
namespace {
thread_local ScratchFloats rowSumScratch;
// dY's chunk (columns j0 .. j0+cnt) packed into dst (stride; dst null: not packed) and added to the row sums in acc
// (acc null: the packing alone) in one pass: dY's chunk read once, not twice (in the step ≈ 3% of the kernel).
void packChunkRowSum(const float* dy, int64_t rows, int64_t n, int64_t j0, int64_t cnt, int64_t stride, float* dst, float* acc) {
  if (!acc) { if (dst) packChunk(dy, rows, n, j0, cnt, stride, dst); return; }
  const int64_t pairsEnd = n / (2 * W) * 2;  // vectors from here on go to the even accumulator
  const int64_t k0 = j0 / W, nv = (cnt + W - 1) / W;
  for (int64_t r = 0; r < rows; r++) {
    const float* s = dy + r * n + j0;
    V a0 = load(acc + r * 2 * W), a1 = load(acc + r * 2 * W + W);
    for (int64_t v = 0; v < nv; v++) {
      const int64_t k = k0 + v;
      const V t = v == nv - 1 ? loadn(s + v * W, (int)(cnt - v * W)) : load(s + v * W);
      if (dst) store(dst + r * stride + v * W, t);
      if ((k & 1) && k < pairsEnd) a1 = add(a1, t); else a0 = add(a0, t);
    }
    store(acc + r * 2 * W, a0); store(acc + r * 2 * W + W, a1);
  }
}
}  // namespace

bool sparseBackwardWide(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
                        const float* dy, int64_t rows, const float* x, int64_t n, float beta, float* dx, float* out,
                        float* biasGrad, const float* geluGrad) {
  if (n <= CV * W) {
    sparseBackward(cols, colPtr, rowIdx, perm, values, dy, rows, x, n, beta, dx, out, n, n);
    if (biasGrad) rowSum(dy, rows, n, biasGrad, n);
    if (geluGrad) geluBackwardFromGrad(geluGrad, dx, dx, cols * n);
    return true;
  }
  float* acc = biasGrad ? rowSumScratch.get(rows * 2 * W + 1) : nullptr;
  if (biasGrad && !acc) return false;
  if (acc) for (int64_t i = 0; i < rows * 2 * W; i++) acc[i] = 0.f;
  const int64_t cw = WV * W, maxPack = ((int64_t)8 << 20) / (cw * (int64_t)sizeof(float));
  // dY's chunk packed when that pays (as sparseRows: nonzeros ≥ dY rows), else read in place
  const int64_t nnz = (int64_t)colPtr[cols] - colPtr[0];
  float* buf = (W >= 8 && nnz >= rows && rows <= maxPack) ? chunkScratch.get(rows * cw) : nullptr;
  // the values in CSC order, and the gradient summed in CSC order then scattered
  float* v = valueScratch.get(colPtr[cols] + 1);
  float* g = partScratch.get(colPtr[cols] + 1);
  if (!v || !g) return false;  // no memory for the scratch
  for (int64_t q = colPtr[0]; q < colPtr[cols]; q++) { v[q] = values[perm[q]]; g[q] = 0.f; }
  for (int64_t j0 = 0; j0 < n; j0 += cw) {
    const int64_t cnt = imin(cw, n - j0), ld = buf ? cw : n;
    const float* d = buf ? buf : dy + j0;
    packChunkRowSum(dy, rows, n, j0, cnt, cw, buf, acc);
    const int64_t jn = j0 + cw;
    const NextChunk next{jn < n ? dy + jn : nullptr, x + jn, geluGrad ? geluGrad + jn : nullptr, dx + jn, rows, n,
                         imin(cw, n - jn) * (int64_t)sizeof(float)};
    const float* xc = x + j0;  // X's chunk read in place (see backwardChunk)
    const int64_t ldx = n;
#define WINNOW_BWD(NV) backwardChunk<NV>(cols, colPtr, rowIdx, v, d, ld, xc, ldx, n, j0, cnt, beta, dx, g, geluGrad, next)
    switch ((cnt + W - 1) / W) {
      case 1: WINNOW_BWD(1); break;
      case 2: WINNOW_BWD(2); break;
      case 3: WINNOW_BWD(3); break;
      case 4: WINNOW_BWD(4); break;
      case 5: WINNOW_BWD((WV > 5 ? 5 : WV)); break;  // 5–7 only where WV = 8
      case 6: WINNOW_BWD((WV > 6 ? 6 : WV)); break;
      case 7: WINNOW_BWD((WV > 7 ? 7 : WV)); break;
      default: WINNOW_BWD(WV); break;
    }
#undef WINNOW_BWD
  }
  for (int64_t q = colPtr[0]; q < colPtr[cols]; q++) out[perm[q]] = g[q];
  if (acc) for (int64_t r = 0; r < rows; r++) biasGrad[r] = hsum(add(load(acc + r * 2 * W), load(acc + r * 2 * W + W)));
  return true;
}

// ---- spmmWide: the GPT's forward of a sparse layer with its bias (n = B·T) --------------------------------------
// y = W·x + bias[row] (+ res), with the bias and the residual added in the epilogue, (Σ + b) + r, without more passes
// over y. gelu (not null): also gelu = GELU(y), and y becomes gelu'(y), the derivative its backward needs (all that
// needs y), per row chunk while it is in L1 (geluForwardWithGrad). bias null: spmm.
// The GPT's kernel only, so its summation order is its own (the reference twin agrees within rounding): spmm's
// 64-column chunks of X packed, two rows side by side, but one FMA chain per row and vector in CSR order instead of
// even/odd chains (8 chains of 4-cycle FMAs already cover 2 FMAs per cycle; in the GPT's step ≈ 5–10% faster).
// 128-column chunks, which halve the index and broadcast loads per FMA, were measured too: 15% faster with X's chunk
// in L1, but at 128 source rows (512 B each) it leaves L1 and the kernel was 2–6% slower; 80 and 96 columns: ±3%.
namespace {
// gelu (not null, vector builds): gelu = GELU(y) and y stored as gelu'(y), computed in registers (the generic build:
// rowsBias runs geluForwardWithGrad over the stored chunk)
template <int NVEC>
inline void finishBias(const V* acc, float b, const float* res, float* out, float* gelu, int64_t cnt) {
  const V vb = set1(b);
#pragma GCC unroll 8
  for (int v = 0; v < NVEC; v++) {
    const int64_t r = cnt - (int64_t)v * W;
    const int c = (int)(r > W ? W : r);
    V x = add(acc[v], vb);
    if (res) x = add(x, loadn(res + v * W, c));
#if WINNOW_GELU_VECTOR
    if (gelu) {
      V g;
      x = gelu::grad(x, &g);
      if (c == W) store(gelu + v * W, g); else storen(gelu + v * W, g, c);
    }
#else
    (void)gelu;
#endif
    if (c == W) store(out + v * W, x); else storen(out + v * W, x, c);
  }
}

// acc[0..NVEC) += values[q] · src row idx[q] (chunk stride ld; the last vector has `last` lanes)
template <int NVEC>
inline void addRow(V* acc, const int32_t* idx, const float* values, const float* src, int64_t ld, int last, int64_t q) {
  const V w = set1(values[q]);
  const float* s = src + (int64_t)idx[q] * ld;
#pragma GCC unroll 8
  for (int v = 0; v < NVEC - 1; v++) acc[v] = fma(w, load(s + v * W), acc[v]);
  acc[NVEC - 1] = fma(w, loadn(s + (NVEC - 1) * W, last), acc[NVEC - 1]);
}

template <int NVEC>
void rowsBias(int64_t rows, const int32_t* ptr, const int32_t* idx, const float* values, const float* src, int64_t ld,
              int64_t n, int64_t j0, int64_t cnt, const float* bias, const float* res, float* dst, float* gelu) {
  const int last = (int)(cnt - (int64_t)(NVEC - 1) * W);
  for (int64_t r = 0; r < rows; r += 2) {  // two rows side by side, one chain per row and vector
    const bool two = r + 1 < rows;
    const int64_t qa0 = ptr[r], qa1 = ptr[r + 1], qb0 = two ? ptr[r + 1] : 0, qb1 = two ? ptr[r + 2] : 0;
    V a[NVEC], b[NVEC];
#pragma GCC unroll 8
    for (int v = 0; v < NVEC; v++) { a[v] = zero(); b[v] = zero(); }
    const int64_t la = qa1 - qa0, lb = qb1 - qb0, lm = la < lb ? la : lb;
    int64_t i = 0;
    for (; i < lm; i++) { addRow<NVEC>(a, idx, values, src, ld, last, qa0 + i); addRow<NVEC>(b, idx, values, src, ld, last, qb0 + i); }
    for (int64_t j = i; j < la; j++) addRow<NVEC>(a, idx, values, src, ld, last, qa0 + j);
    finishBias<NVEC>(a, bias[r], res ? res + r * n + j0 : nullptr, dst + r * n + j0, gelu ? gelu + r * n + j0 : nullptr, cnt);
    if (!WINNOW_GELU_VECTOR && gelu) geluForwardWithGrad(dst + r * n + j0, gelu + r * n + j0, dst + r * n + j0, cnt);  // in L1
    if (!two) break;
    for (int64_t j = i; j < lb; j++) addRow<NVEC>(b, idx, values, src, ld, last, qb0 + j);
    finishBias<NVEC>(b, bias[r + 1], res ? res + (r + 1) * n + j0 : nullptr, dst + (r + 1) * n + j0,
                     gelu ? gelu + (r + 1) * n + j0 : nullptr, cnt);
    if (!WINNOW_GELU_VECTOR && gelu) geluForwardWithGrad(dst + (r + 1) * n + j0, gelu + (r + 1) * n + j0, dst + (r + 1) * n + j0, cnt);
  }
}
}  // namespace

bool spmmWide(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
              int64_t cols, int64_t n, const float* bias, const float* res, float* y, float* gelu) {
  if (n <= 0 || rows <= 0) return true;
  const int64_t cw = CV * W, nnz = (int64_t)rowPtr[rows] - rowPtr[0];
  float* buf = (bias && n > CV * W && W >= 8 && nnz >= cols && cols <= MAX_PACK_ROWS) ? chunkScratch.get(cols * cw) : nullptr;
  if (!buf) {  // not the packed path: spmm, then the bias as biasActivation adds it, then GELU
    spmm(rows, rowPtr, colIdx, nullptr, values, x, cols, n, 0.f, y, n);
    if (bias) biasActivation(y, bias, rows, n, false);
    if (res) sgdStep(y, res, rows * n, -1.f, 0.f);  // y + res, exactly as the GPT's residual add (ops.ts addInto)
    if (gelu) geluForwardWithGrad(y, gelu, y, rows * n);
    return true;
  }
  for (int64_t j0 = 0; j0 < n; j0 += cw) {
    const int64_t cnt = imin(cw, n - j0);
    packChunk(x, cols, n, j0, cnt, cw, buf);
#define WINNOW_FWD(NV) rowsBias<NV>(rows, rowPtr, colIdx, values, buf, cw, n, j0, cnt, bias, res, y, gelu)
    switch ((cnt + W - 1) / W) {
      case 1: WINNOW_FWD(1); break;
      case 2: WINNOW_FWD(2); break;
      case 3: WINNOW_FWD(3); break;
      default: WINNOW_FWD(4); break;
    }
#undef WINNOW_FWD
  }
  return true;
}

// ---- gatherPeak: the floor of the sparse kernels' inner loop on this core (bench/kernels) ---------
// spmm's per-nonzero work and nothing else: an index, a broadcast weight, CV aligned vector loads from a random row
// of a [srcRows × CV·W] source and CV FMAs, four nonzeros side by side into 16 accumulators (as rowChunks runs two
// rows' even and odd chains). With 128 rows the source is in L1; with 784 (LeNet's layer 1) it comes from L2, and
// the loads, not the FMAs, set the rate. Returns the floating-point operations done (time it outside).
double gatherPeak(int64_t srcRows, int64_t reps, float* sink) {
  constexpr int64_t NNZ = 4096, LD = CV * W;
  static thread_local ScratchFloats srcScratch, valScratch;
  float* src = srcScratch.get(srcRows * LD);
  float* val = valScratch.get(2 * NNZ);  // the weights, then the row offsets (as int32 bits)
  if (!src || !val || srcRows <= 0) return 0;
  int32_t* off = reinterpret_cast<int32_t*>(val + NNZ);
  static thread_local int64_t filledRows = 0;  // the setup once per size, so that timing a call times the loop
  if (filledRows != srcRows) {
    uint32_t h = 2463534242u;  // xorshift32: any fixed scattering of rows will do
    auto next = [&h]() { h ^= h << 13; h ^= h >> 17; h ^= h << 5; return h; };
    for (int64_t i = 0; i < srcRows * LD; i++) src[i] = (float)(next() % 1000) * 1e-6f;
    for (int64_t q = 0; q < NNZ; q++) { val[q] = (float)(next() % 1000) * 1e-6f; off[q] = (int32_t)((next() % srcRows) * LD); }
    filledRows = srcRows;
  }
  V acc[4][CV];
#pragma GCC unroll 4
  for (int u = 0; u < 4; u++)
#pragma GCC unroll 4
    for (int v = 0; v < CV; v++) acc[u][v] = zero();
  for (int64_t r = 0; r < reps; r++) {
    for (int64_t q = 0; q < NNZ; q += 4) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const V w = set1(val[q + u]);
        const float* p = src + off[q + u];
#pragma GCC unroll 4
        for (int v = 0; v < CV; v++) acc[u][v] = fma(w, load(p + v * W), acc[u][v]);
      }
    }
  }
  V s = zero();
  for (int u = 0; u < 4; u++)
    for (int v = 0; v < CV; v++) s = add(s, acc[u][v]);
  *sink = hsum(s);
  return (double)reps * NNZ * LD * 2.0;
}

}}  // namespace winnow::WINNOW_ISA_NS
