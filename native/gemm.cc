// Dense GEMM, BLIS-style: C[m×n] = alpha·op(A)·op(B) + beta·C (row-major).
// Loops: jc (NC columns of C) → pc (KC of k; pack op(B) KC×NC) → ic (MC rows; pack op(A) MC×KC)
//        → jr (NR) → ir (MR) → micro-kernel: an MR×NR tile of C held in registers over kc steps.
// Transposes are absorbed by the packing routines, so one micro-kernel serves all four cases.
// Tile: MR = 6 rows × NR = 2 vectors (6×32 on AVX-512, 6×16 on AVX2, 6×8 generic): 12 accumulators.
#include <cstdlib>
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {
namespace {
using namespace simd;

constexpr int MR = 6;
constexpr int NV = 2;
constexpr int NR = NV * W;
#ifndef WINNOW_GEMM_KC
#define WINNOW_GEMM_KC 384
#endif
#ifndef WINNOW_GEMM_MC
#define WINNOW_GEMM_MC 144
#endif
// Block sizes chosen by a sweep at 1024³ and the LeNet shapes on Zen 5 (AVX-512); overridable with -D for tuning.
constexpr int64_t KC = WINNOW_GEMM_KC;   // B micro-panel KC×NR (48 KiB at NR=32) streams from L1/L2
constexpr int64_t MC = WINNOW_GEMM_MC;   // packed A block MC×KC (216 KiB) stays in L2
constexpr int64_t NC = 3072;             // packed B block KC×NC (4.5 MiB) in L3
constexpr int64_t DIRECT_A_MAX_PANELS = 4;  // read A in place when n ≤ 4·NR
static_assert(MC % MR == 0, "MC must be a multiple of MR");
static_assert(NC % NR == 0, "NC must be a multiple of NR");

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Packing buffers, per thread, grown on demand and never shrunk: the only allocation GEMM does.
struct Buffer {
  float* p = nullptr;
  int64_t cap = 0;
  ~Buffer() { std::free(p); }
  bool reserve(int64_t floats) {
    if (floats <= cap) return true;
    std::free(p);
    p = static_cast<float*>(std::aligned_alloc(64, (size_t)((floats * 4 + 63) / 64 * 64)));
    cap = p ? floats : 0;
    return p != nullptr;
  }
};
thread_local Buffer packA, packB;

// Packs op(A)[i0.., p0..] (mc×kc) as ceil(mc/MR) micro-panels, each [kc][MR], zero-padded rows.
void packAPanel(bool ta, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = imin(MR, mc - ir);
    float* d = dst + ir * kc;
    if (!ta) {  // row i of op(A) is contiguous in A
      for (int64_t i = 0; i < mr; i++) {
        const float* s = a + (i0 + ir + i) * lda + p0;
        for (int64_t p = 0; p < kc; p++) d[p * MR + i] = s[p];
      }
      for (int64_t i = mr; i < MR; i++)
        for (int64_t p = 0; p < kc; p++) d[p * MR + i] = 0.f;
    } else {  // column p of op(A) is contiguous in A (stored k×m)
      for (int64_t p = 0; p < kc; p++) {
        const float* s = a + (p0 + p) * lda + i0 + ir;
        float* dp = d + p * MR;
        for (int64_t i = 0; i < mr; i++) dp[i] = s[i];
        for (int64_t i = mr; i < MR; i++) dp[i] = 0.f;
      }
    }
  }
}

// Packs op(B)[p0.., j0..] (kc×nc) as ceil(nc/NR) micro-panels, each [kc][NR], zero-padded columns.
void packBPanel(bool tb, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t nr = imin(NR, nc - jr);
    float* d = dst + jr * kc;
    if (!tb) {  // row p of op(B) is contiguous in B
      for (int64_t p = 0; p < kc; p++) {
        const float* s = b + (p0 + p) * ldb + j0 + jr;
        float* dp = d + p * NR;
        if (nr == NR) {
          for (int v = 0; v < NV; v++) store(dp + v * W, load(s + v * W));
        } else {
          for (int64_t j = 0; j < nr; j++) dp[j] = s[j];
          for (int64_t j = nr; j < NR; j++) dp[j] = 0.f;
        }
      }
    } else {  // column j of op(B) is contiguous in B (stored n×k)
      for (int64_t j = 0; j < nr; j++) {
        const float* s = b + (j0 + jr + j) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) d[p * NR + j] = s[p];
      }
      for (int64_t j = nr; j < NR; j++)
        for (int64_t p = 0; p < kc; p++) d[p * NR + j] = 0.f;
    }
  }
}

// C[mr×nr] (mr ≤ MR, nr ≤ NR) = alpha·(A·Bp) + beta·C over kc steps; Bp is [kc][NR].
// A is read as ap[rowOff[i] + p·colStep]: packed ([kc][MR]: rowOff = i, colStep = MR) or straight from
// the caller's matrix (rowOff = i·lda, colStep = 1 when !transA; rowOff = i, colStep = lda when transA).
// beta == 0 never reads C (so NaNs there are overwritten).
void microKernel(int64_t kc, const float* __restrict ap, const int64_t* rowOff, int64_t colStep,
                 const float* __restrict bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  V acc[MR][NV];
  int64_t off[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    off[i] = rowOff[i];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = zero();
  }
  for (int64_t p = 0; p < kc; p++) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = load(bp + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V av = set1(ap[off[i]]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = fma(av, bv[v], acc[i][v]);
    }
    ap += colStep;
    bp += NR;
  }
  const V va = set1(alpha), vb = set1(beta);
  if (nr == NR) {
    for (int i = 0; i < mr; i++) {
      float* ci = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        V r = mul(va, acc[i][v]);
        if (beta != 0.f) r = fma(vb, load(ci + v * W), r);
        store(ci + v * W, r);
      }
    }
  } else {
    for (int i = 0; i < mr; i++) {
      float* ci = c + i * ldc;
      for (int v = 0; v < NV; v++) {
        const int cnt = (int)imin(W, (int64_t)nr - v * W);
        if (cnt <= 0) break;
        V r = mul(va, acc[i][v]);
        if (beta != 0.f) r = fma(vb, loadn(ci + v * W, cnt), r);
        storen(ci + v * W, r, cnt);
      }
    }
  }
}

// C = beta·C, with beta == 0 writing zeros (the k == 0 / alpha == 0 case).
void scaleC(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.f) for (int64_t j = 0; j < n; j++) ci[j] = 0.f;
    else if (beta != 1.f) for (int64_t j = 0; j < n; j++) ci[j] *= beta;
  }
}
}  // namespace

bool gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return true;
  if (k <= 0 || alpha == 0.f) { scaleC(m, n, beta, c, ldc); return true; }
  // Balanced blocks: k = 784 becomes 4×196 rather than 3×256 + 16.
  const int64_t kb = ceilDiv(k, ceilDiv(k, KC));
  const int64_t mb = ceilDiv(ceilDiv(m, ceilDiv(m, MC)), MR) * MR;
  const int64_t nb = imin(NC, ceilDiv(n, NR) * NR);
  // Each A element is used by ceil(n/NR) micro-kernel calls. When that is small (batch-sized n, e.g.
  // the LeNet forward and input-gradient products) packing A would cost about as much as the
  // multiply, so the micro-kernel reads A in place; otherwise A is packed for contiguous streaming.
  const bool packAOn = ceilDiv(n, NR) > DIRECT_A_MAX_PANELS;
  if ((packAOn && !packA.reserve(mb * kb)) || !packB.reserve(nb * kb)) return false;
  float* pb = packB.p;
  int64_t packedOff[MR];
  for (int i = 0; i < MR; i++) packedOff[i] = i;
  for (int64_t jc = 0; jc < n; jc += nb) {
    const int64_t nc = imin(nb, n - jc);
    for (int64_t pc = 0; pc < k; pc += kb) {
      const int64_t kc = imin(kb, k - pc);
      const float betaEff = pc == 0 ? beta : 1.f;  // later k blocks accumulate
      packBPanel(tb, b, ldb, pc, jc, kc, nc, pb);
      for (int64_t ic = 0; ic < m; ic += mb) {
        const int64_t mc = imin(mb, m - ic);
        if (packAOn) packAPanel(ta, a, lda, ic, pc, mc, kc, packA.p);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = (int)imin(NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = (int)imin(MR, mc - ir);
            float* cTile = c + (ic + ir) * ldc + jc + jr;
            if (packAOn) {
              microKernel(kc, packA.p + ir * kc, packedOff, MR, pb + jr * kc, cTile, ldc, mr, nr, alpha, betaEff);
            } else {
              // Rows past mr re-read row 0 of the tile (results discarded): never outside A.
              const int64_t i0 = ic + ir;
              int64_t off[MR];
              for (int i = 0; i < MR; i++) off[i] = (i < mr ? i : 0) * (ta ? 1 : lda);
              const float* a0 = ta ? a + pc * lda + i0 : a + i0 * lda + pc;
              microKernel(kc, a0, off, ta ? lda : 1, pb + jr * kc, cTile, ldc, mr, nr, alpha, betaEff);
            }
          }
        }
      }
    }
  }
  return true;
}

// 12 independent accumulator chains (more than FMA latency × pipes on current cores).
double fmaPeak(int64_t iters, float* sink) {
  constexpr int CH = 12;
  V acc[CH];
  const V x = set1(0.999999f), y = set1(1e-7f);
#pragma GCC unroll 16
  for (int i = 0; i < CH; i++) acc[i] = set1((float)i);
  for (int64_t t = 0; t < iters; t++) {
#pragma GCC unroll 16
    for (int i = 0; i < CH; i++) acc[i] = fma(acc[i], x, y);
  }
  V s = zero();
  for (int i = 0; i < CH; i++) s = add(s, acc[i]);
  *sink = hsum(s);
  return (double)iters * CH * W * 2.0;
}

}}  // namespace winnow::WINNOW_ISA_NS
