// Transformer glue over batch-last activations [features × n]: tanh-GELU and LayerNorm, forward and
// backward. GELU has explicit AVX-512 and AVX2 paths (below); the rest are plain loops the per-ISA compile
// auto-vectorizes. The generic e^x is a branch-free Cody–Waite reduction + degree-7 Taylor polynomial
// (≲ 2 ulp on the clamped range), so its loops vectorize without libm. The reference twins are in
// src/backend/transformer-reference.ts.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include "dispatch.h"
#include "scratch.h"
#include "gelu.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {

namespace {
using simd::expApprox;
constexpr float kGelu = 0.7978845608028654f;  // sqrt(2/pi)
}  // namespace

// The SIMD paths' code is in gelu.h (sparse.cc's spmmWide uses it too).
// y = ½x(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³);
// dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)), t = tanh(u) = 2σ(2u) − 1.
// The SIMD paths take σ(2u) from e = e^(−2|u|) ∈ (0, 1] (u has x's sign), so nothing overflows: r = 1/(1 + e),
// σ(2u) = r (x ≥ 0) or e·r (x < 0), and ½(1 − t²) = 2σ(1 − σ) = 2e·r² for either sign (no cancellation).
// e = 2^t, t = −2·log2(e)·|u|: t rounded to n, a degree-5 minimax polynomial of 2^(t − n) on [−½, ½] (relative
// error 1.7e-7 in float), scaled by 2^n; 1/(1 + e) is a reciprocal estimate refined by one Newton step, no
// divide. Error against float64 tanh on [−12, 12]: forward 3e-7, backward 2e-7 relative (the divide-and-
// (1 − t²) form had 1.3e-6 in backward). 512×768 against that form (AVX-512, this machine, interleaved): forward
// 133 → 78 µs, backward 184 → 103 µs; AVX2 1381 → 176 and 2221 → 220 µs (the plain loop did not vectorize there).
// The per-column decoder step uses it too (512 lanes: 156 → 110 ns against its own rcp14 + Taylor gelu1). The
// generic build keeps the plain formula below.
// The GPT keeps gelu'(x) instead of x (geluForwardWithGrad, the same expression as geluBackward's, so the same bits)
// and its backward multiplies by it (geluBackwardFromGrad): 512×768 forward 71 → 95 µs, backward 92 → 37 µs; in the
// 10% iteration ≈ 0.2–0.3 ms less (the backward's input was cold; docs/GPT.md). The fused sparse kernels apply both in
// registers (gelu.h).
#if defined(__AVX512F__)
namespace {
inline __mmask16 laneMask(int64_t left) { return (__mmask16)(left >= 16 ? 0xFFFFu : (1u << left) - 1u); }
inline __m512 geluForward16(__m512 v) { return gelu::forward(v); }
inline __m512 geluGrad16(__m512 v, __m512* y) { return gelu::grad(v, y); }
inline __m512 geluBackward16(__m512 v, __m512 dv) { return _mm512_mul_ps(gelu::grad(v, nullptr), dv); }
}  // namespace

// Whole vectors with plain loads and stores, the tail masked: the fused sparse kernels called these on a chunk they
// had just stored (now they apply gelu.h in registers), and a masked load is not forwarded from those stores (here: with masked loads throughout,
// the 10% GPT iteration took 14.5–19 ms of CPU against 11.2–11.8 ms like this, interleaved, load ≈ 3.5).
void geluForward(const float* x, float* y, int64_t len) {
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) _mm512_storeu_ps(y + i, geluForward16(_mm512_loadu_ps(x + i)));
  if (i < len) {
    const __mmask16 k = laneMask(len - i);
    _mm512_mask_storeu_ps(y + i, k, geluForward16(_mm512_maskz_loadu_ps(k, x + i)));
  }
}

void geluBackward(const float* x, const float* dy, float* dx, int64_t len) {
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) _mm512_storeu_ps(dx + i, geluBackward16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(dy + i)));
  if (i < len) {
    const __mmask16 k = laneMask(len - i);
    _mm512_mask_storeu_ps(dx + i, k, geluBackward16(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, dy + i)));
  }
}
void geluForwardWithGrad(const float* x, float* y, float* dydx, int64_t len) {
  int64_t i = 0;
  __m512 o;
  for (; i + 16 <= len; i += 16) {
    const __m512 d = geluGrad16(_mm512_loadu_ps(x + i), &o);
    _mm512_storeu_ps(y + i, o); _mm512_storeu_ps(dydx + i, d);
  }
  if (i < len) {
    const __mmask16 k = laneMask(len - i);
    const __m512 d = geluGrad16(_mm512_maskz_loadu_ps(k, x + i), &o);
    _mm512_mask_storeu_ps(y + i, k, o); _mm512_mask_storeu_ps(dydx + i, k, d);
  }
}
#elif defined(__AVX2__)
void geluForward(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i += 8) {
    const int k = (int)(len - i < 8 ? len - i : 8);
    const __m256 o = gelu::forward(k == 8 ? _mm256_loadu_ps(x + i) : simd::loadn(x + i, k));
    if (k == 8) _mm256_storeu_ps(y + i, o); else simd::storen(y + i, o, k);
  }
}

namespace {
inline __m256 geluGrad8(__m256 v, __m256* y) { return gelu::grad(v, y); }
}  // namespace

void geluBackward(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i += 8) {
    const int k = (int)(len - i < 8 ? len - i : 8);
    const __m256 v = k == 8 ? _mm256_loadu_ps(x + i) : simd::loadn(x + i, k);
    const __m256 dv = k == 8 ? _mm256_loadu_ps(dy + i) : simd::loadn(dy + i, k);
    const __m256 o = _mm256_mul_ps(geluGrad8(v, nullptr), dv);
    if (k == 8) _mm256_storeu_ps(dx + i, o); else simd::storen(dx + i, o, k);
  }
}

void geluForwardWithGrad(const float* x, float* y, float* dydx, int64_t len) {
  for (int64_t i = 0; i < len; i += 8) {
    const int k = (int)(len - i < 8 ? len - i : 8);
    __m256 o;
    const __m256 d = geluGrad8(k == 8 ? _mm256_loadu_ps(x + i) : simd::loadn(x + i, k), &o);
    if (k == 8) { _mm256_storeu_ps(y + i, o); _mm256_storeu_ps(dydx + i, d); }
    else { simd::storen(y + i, o, k); simd::storen(dydx + i, d, k); }
  }
}
#else
void geluForward(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float v = x[i], u = kGelu * (v + 0.044715f * v * v * v);
    y[i] = v / (1.0f + expApprox(-2.0f * u));
  }
}

void geluBackward(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float v = x[i], u = kGelu * (v + 0.044715f * v * v * v);
    const float s = 1.0f / (1.0f + expApprox(-2.0f * u));
    const float t = 2.0f * s - 1.0f;
    dx[i] = dy[i] * (s + 0.5f * v * (1.0f - t * t) * kGelu * (1.0f + 3.0f * 0.044715f * v * v));
  }
}

void geluForwardWithGrad(const float* x, float* y, float* dydx, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float v = x[i], u = kGelu * (v + 0.044715f * v * v * v), d = 1.0f + expApprox(-2.0f * u);
    const float s = 1.0f / d, t = 2.0f * s - 1.0f;
    y[i] = v / d;
    dydx[i] = s + 0.5f * v * (1.0f - t * t) * kGelu * (1.0f + 3.0f * 0.044715f * v * v);
  }
}
#endif

// dx = dy·dydx: the GELU backward from the derivative geluForwardWithGrad stored (the same bits as geluBackward on its x)
void geluBackwardFromGrad(const float* dydx, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) dx[i] = dy[i] * dydx[i];
}

// LayerNorm over strips of C·W columns (W = SIMD lanes), each column's sums in registers while the strip's rows
// stream past. Forward: one pass for the statistics (below), one for y. Backward: one pass for the column sums
// Σdŷ, Σdŷ·x̂ (dŷ = dy·γ, x̂ = (x − μ)·rstd) and the row sums dγ, dβ, kept as W-lane partials per row in a
// scratch (reduced once at the end), then dx = rstd·(dŷ − ā − x̂·b̄) as dy·(rstd·γ) + (x − μ)·β′ + γ′ with the
// per-column β′ = −rstd²·b̄, γ′ = −rstd·ā. Partial strips load and store with lane masks (simd.h).
// Measured on 128×768, AVX-512 (the blocked auto-vectorized loops before → these, interleaved), µs: forward
// 15.9 → 11.4, backward 42.2 → 27.3; 512×768: 81 → 55, 177 → 107. AVX2: forward +9% at 128×768 and −18% at
// 512×768, backward −21% and −6%.
namespace {
using simd::V;
using simd::W;
// Vectors per strip. The rows are 3 KB apart at n = 768, so a strip never stays in L1 (its lines fall in a few
// sets) and each pass streams it from L2: what pays is fewer passes and longer runs per row. 128×768, AVX-512,
// µs forward/backward (load ≈ 2.8): 4 vectors 15.9/34.4, 8: 13.1/29.7, 16: 13.2/30.9; 1 or 2 vectors 26–53/35–67.
constexpr int kStrip = 8;

template <bool MASK>
inline V ld(const float* p, int cnt) { return MASK ? simd::loadn(p, cnt) : simd::load(p); }
template <bool MASK>
inline void st(float* p, V v, int cnt) { if (MASK) simd::storen(p, v, cnt); else simd::store(p, v); }

// cnt[c]: the lanes of vector c inside the strip (W each unless MASK)
template <int C, bool MASK>
void layerNormStrip(const float* x, const float* gamma, const float* beta, int64_t d, int64_t n, float* y, float* mean,
                    float* rstd, const int* cnt) {
  // One pass for Σx (the mean, as the twin sums it) and the variance's sums shifted by the first row: t = x − x₀,
  // var = Σt²/d − (Σt/d)² (Σt and Σt² stay near the spread, so this does not cancel when |μ| ≫ σ; an outlying
  // x₀ costs ≈ d ulp of var). A second pass over x for Σ(x − μ)² cost 25% more at 128×768.
  V nk[C], mu[C], rs[C];
  for (int c = 0; c < C; c++) nk[c] = simd::mul(ld<MASK>(x + c * W, cnt[c]), simd::set1(-1.0f));
  V s[C], ts[C], tq[C];
  for (int c = 0; c < C; c++) s[c] = simd::zero(), ts[c] = simd::zero(), tq[c] = simd::zero();
  for (int64_t r = 0; r < d; r++)
    for (int c = 0; c < C; c++) {
      const V v = ld<MASK>(x + r * n + c * W, cnt[c]), t = simd::add(v, nk[c]);
      s[c] = simd::add(s[c], v); ts[c] = simd::add(ts[c], t); tq[c] = simd::fma(t, t, tq[c]);
    }
  const int width = (C - 1) * W + cnt[C - 1];
  float sb[C * W], tb[C * W], qb[C * W];
  for (int c = 0; c < C; c++) simd::store(sb + c * W, s[c]), simd::store(tb + c * W, ts[c]), simd::store(qb + c * W, tq[c]);
  for (int j = 0; j < width; j++) {
    const float m = tb[j] / (float)d, var = qb[j] / (float)d - m * m;
    mean[j] = sb[j] / (float)d;
    rstd[j] = 1.0f / std::sqrt((var > 0.f ? var : 0.f) + 1e-5f);
  }
  for (int c = 0; c < C; c++) mu[c] = simd::mul(ld<MASK>(mean + c * W, cnt[c]), simd::set1(-1.0f));  // −μ
  for (int c = 0; c < C; c++) rs[c] = ld<MASK>(rstd + c * W, cnt[c]);
  for (int64_t r = 0; r < d; r++) {
    const V g = simd::set1(gamma[r]), b = simd::set1(beta[r]);
    for (int c = 0; c < C; c++) {
      const V h = simd::mul(simd::add(ld<MASK>(x + r * n + c * W, cnt[c]), mu[c]), rs[c]);
      st<MASK>(y + r * n + c * W, simd::fma(h, g, b), cnt[c]);
    }
  }
}

// part: W-lane partial sums of dγ (part[2rW …]) and dβ (part[(2r+1)W …]) per row, added to across strips; null
// (no memory for it): each row's strip sums go straight into dgamma/dbeta.
template <int C, bool MASK, bool ACC>
void layerNormBackStrip(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t d,
                        int64_t n, float* dx, float* dgamma, float* dbeta, float* part, const int* cnt) {
  V nmu[C], rs[C], a[C], b[C];
  for (int c = 0; c < C; c++) {
    nmu[c] = simd::mul(ld<MASK>(mean + c * W, cnt[c]), simd::set1(-1.0f));
    rs[c] = ld<MASK>(rstd + c * W, cnt[c]);
    a[c] = simd::zero(), b[c] = simd::zero();
  }
  for (int64_t r = 0; r < d; r++) {
    const V g = simd::set1(gamma[r]);
    V pg = part ? simd::load(part + 2 * r * W) : simd::zero(), pb = part ? simd::load(part + (2 * r + 1) * W) : simd::zero();
    for (int c = 0; c < C; c++) {
      const V dv = ld<MASK>(dy + r * n + c * W, cnt[c]);
      const V h = simd::mul(simd::add(ld<MASK>(x + r * n + c * W, cnt[c]), nmu[c]), rs[c]), dg = simd::mul(dv, g);
      a[c] = simd::add(a[c], dg);
      b[c] = simd::fma(dg, h, b[c]);
      pg = simd::fma(dv, h, pg);
      pb = simd::add(pb, dv);
    }
    if (part) simd::store(part + 2 * r * W, pg), simd::store(part + (2 * r + 1) * W, pb);
    else dgamma[r] += simd::hsum(pg), dbeta[r] += simd::hsum(pb);
  }
  const V invD = simd::set1(-1.0f / (float)d);
  for (int c = 0; c < C; c++) {  // β′ = −rstd²·b̄ into b, γ′ = −rstd·ā into a
    b[c] = simd::mul(simd::mul(rs[c], rs[c]), simd::mul(b[c], invD));
    a[c] = simd::mul(rs[c], simd::mul(a[c], invD));
  }
  for (int64_t r = 0; r < d; r++) {
    const V g = simd::set1(gamma[r]);
    for (int c = 0; c < C; c++) {
      const V xc = simd::add(ld<MASK>(x + r * n + c * W, cnt[c]), nmu[c]);
      V v = simd::fma(ld<MASK>(dy + r * n + c * W, cnt[c]), simd::mul(rs[c], g), simd::fma(xc, b[c], a[c]));
      if (ACC) v = simd::add(v, ld<MASK>(dx + r * n + c * W, cnt[c]));
      st<MASK>(dx + r * n + c * W, v, cnt[c]);
    }
  }
}

// The strips of n columns: whole ones (full(j0, cnt)), then the rest (nv ≤ kStrip vectors, the last one partial) with
// lane masks (tail(j0, nv, cnt)); cnt[c] = the lanes of vector c in the strip.
template <typename Full, typename Tail>
inline void forStrips(int64_t n, Full full, Tail tail) {
  int cnt[kStrip];
  for (int c = 0; c < kStrip; c++) cnt[c] = W;
  int64_t j0 = 0;
  for (; j0 + kStrip * W <= n; j0 += kStrip * W) full(j0, cnt);
  if (j0 < n) {
    const int64_t rem = n - j0;
    for (int c = 0; c < kStrip; c++) { const int64_t k = rem - c * W; cnt[c] = (int)(k < 0 ? 0 : k > W ? W : k); }
    tail(j0, (int)((rem + W - 1) / W), cnt);
  }
}

// f(std::integral_constant<int, nv>) for a runtime nv in [1, C]: the masked strip kernels for the tail
template <int C, typename F>
inline void withVectors(int nv, F f) {
  if constexpr (C > 1) { if (nv < C) return withVectors<C - 1>(nv, f); }
  f(std::integral_constant<int, C>());
}

thread_local ScratchFloats lnPartScratch;
}  // namespace

void layerNormForward(const float* x, const float* gamma, const float* beta, int64_t d, int64_t n, float* y, float* mean, float* rstd) {
  forStrips(n, [&](int64_t j0, const int* cnt) { layerNormStrip<kStrip, false>(x + j0, gamma, beta, d, n, y + j0, mean + j0, rstd + j0, cnt); },
            [&](int64_t j0, int nv, const int* cnt) {
              withVectors<kStrip>(nv, [&](auto C) { layerNormStrip<C, true>(x + j0, gamma, beta, d, n, y + j0, mean + j0, rstd + j0, cnt); });
            });
}

namespace {
template <bool ACC>
void layerNormBackwardAll(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t d,
                          int64_t n, float* dx, float* dgamma, float* dbeta) {
  for (int64_t r = 0; r < d; r++) dgamma[r] = 0.f, dbeta[r] = 0.f;
  float* part = lnPartScratch.get(2 * d * W);
  if (part) std::memset(part, 0, sizeof(float) * 2 * d * W);
  forStrips(n, [&](int64_t j0, const int* cnt) {
              layerNormBackStrip<kStrip, false, ACC>(dy + j0, x + j0, gamma, mean + j0, rstd + j0, d, n, dx + j0, dgamma, dbeta, part, cnt);
            },
            [&](int64_t j0, int nv, const int* cnt) {
              withVectors<kStrip>(nv, [&](auto C) {
                layerNormBackStrip<C, true, ACC>(dy + j0, x + j0, gamma, mean + j0, rstd + j0, d, n, dx + j0, dgamma, dbeta, part, cnt);
              });
            });
  if (part)
    for (int64_t r = 0; r < d; r++) dgamma[r] = simd::hsum(simd::load(part + 2 * r * W)), dbeta[r] = simd::hsum(simd::load(part + (2 * r + 1) * W));
}
}  // namespace

void layerNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t d, int64_t n,
                       float* dx, float* dgamma, float* dbeta, bool accumulate) {
  if (accumulate) layerNormBackwardAll<true>(dy, x, gamma, mean, rstd, d, n, dx, dgamma, dbeta);
  else layerNormBackwardAll<false>(dy, x, gamma, mean, rstd, d, n, dx, dgamma, dbeta);
}


// ---- fused causal self-attention ----------------------------------------------------------------
// qkv [3D × N] batch-last (rows: Q heads, K heads, V heads; head h owns rows h·hd … of each; column
// b·T + t), per sequence b and head h: P = softmax(QᵀK/√hd, causal), Y = V·Pᵀ. Only the causal
// triangle is computed (to whole vectors). Two register-blocked micro-kernels do all six products:
//   atbRows  : C[j][i] = Σ_d A[j][d]·B[d][i] over the head dimension, for a row block's vectors: Sᵀ = KᵀQ
//              and dPᵀ = VᵀdY (upperAtB: rows j, the vectors of queries i ≥ j; K and V broadcast in place);
//   rowsTimes: O[d][c] = Σ_r A[d][r]·M[r][c] over the causal range (Y, dV, dK, dQ), 4 rows × 4 vectors of
//              columns per register block, each vector summing only the rows its columns need.
// Both sides work with keys down and queries across the lanes (Sᵀ, Pᵀ, dPᵀ, dSᵀ), so the softmax and its
// backward (D = Σ_j P ⊙ dP, dS = P ⊙ (dP − D)) run down the columns, lane by lane, with no horizontal sum;
// Y = V·Pᵀ and dQ = K·dSᵀ read them as they are; W × W register transposes give P (stored), Pᵀ from the stored P,
// and dS (for dK = Q·dS). Products run at ≈ 85–95% of the FMA peak (0.74–0.86 µs per head at T = 64, hd = 32, a
// peak of 0.73). At gpt:4-4-128-64, batch 12, hot (min of 5 × 400 calls, load ≈ 2): forward 248 → 123 µs,
// backward 221 → 205 µs per call; per head the forward is Sᵀ 0.86, softmax 0.58, Y 0.77, P stored 0.21 µs.
// Recomputing P in the backward (Sᵀ + softmax ≈ 1.4 µs per head) would cost more than storing and reading it.
// Operands whose rows must be padded to whole vectors (Tp = T rounded up to W, padding zero, so no load needs a
// mask) are copied per head into a per-thread scratch; when T is a multiple of W they are read in place.
namespace {
using namespace simd;
constexpr int RB = 4;  // rows per register block of atbRows
constexpr int CV = 4;  // vectors per column chunk of atbRows
// rows × vectors of columns per register block of rowsTimes: 16 of the 32 zmm registers accumulate; with 16
// registers (AVX2, SSE/NEON) 8 do.
#if defined(__AVX512F__)
constexpr int MR = 4, MV = 4;
#else
constexpr int MR = 4, MV = 2;
#endif

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Row r of a diagonal W × W block of Sᵀ (key r, queries l across the lanes) keeps lanes l ≥ r: keep is 1
// there, 0 elsewhere; bias is 0 there, −3·10³⁸ elsewhere (so the lane drops out of the max).
struct CausalLanes {
  float keep[W][W], bias[W][W];
  constexpr CausalLanes() : keep(), bias() {
    for (int r = 0; r < W; r++)
      for (int l = 0; l < W; l++) keep[r][l] = l >= r ? 1.0f : 0.0f, bias[r][l] = l >= r ? 0.0f : -3.0e38f;
  }
};
constexpr CausalLanes kCausal{};

// C rows [i0, i0 + rb) (row stride ldc), vectors [j0, j0 + NV·W): A [· × k] (element (i, d) at i·ars + d·aks, so a
// batch-last activation serves as Aᵀ in place), B [k × ·] (stride ldb).
template <int NR, int NV>
inline void atbBlock(const float* A, int64_t ars, int64_t aks, const float* B, int64_t ldb, int64_t k, float* C, int64_t ldc) {
  V acc[NR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = zero();
  for (int64_t d = 0; d < k; d++) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = load(B + d * ldb + v * W);
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) {
      const V a = set1(A[r * ars + d * aks]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = fma(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) store(C + r * ldc + v * W, acc[r][v]);
}

template <int NR>
inline void atbRows(const float* A, int64_t ars, int64_t aks, const float* B, int64_t ldb, int64_t k, float* C, int64_t ldc, int64_t width) {
  for (int64_t j0 = 0; j0 < width; j0 += CV * W) {
    const int64_t nv = (width - j0) / W >= CV ? CV : (width - j0) / W;
    switch (nv) {
      case 1: atbBlock<NR, 1>(A, ars, aks, B + j0, ldb, k, C + j0, ldc); break;
      case 2: atbBlock<NR, 2>(A, ars, aks, B + j0, ldb, k, C + j0, ldc); break;
      case 3: atbBlock<NR, 3>(A, ars, aks, B + j0, ldb, k, C + j0, ldc); break;
      default: atbBlock<NR, CV>(A, ars, aks, B + j0, ldb, k, C + j0, ldc); break;
    }
  }
}

// C [T × ·] (stride ldc): rows j get the vectors covering i ≥ j (from the vector holding j to Tp): Sᵀ, dPᵀ. A [T × k]
// (strides ars, aks), B [k × Tp] (stride ldb). The rows of the last vector need one vector each: 8 rows a block there,
// so that 8 accumulators hide the FMA latency (4 rows: 0.91 µs per head for T = 64, hd = 32; 8: 0.85).
void upperAtB(const float* A, int64_t ars, int64_t aks, const float* B, int64_t ldb, int64_t T, int64_t Tp, int64_t k, float* C, int64_t ldc) {
  int64_t j0 = 0;
  while (j0 < T) {
    const int64_t v0 = j0 / W * W;
    if (Tp - v0 == W && j0 % W + 2 * RB <= W && j0 + 2 * RB <= T) {
      atbRows<2 * RB>(A + j0 * ars, ars, aks, B + v0, ldb, k, C + j0 * ldc + v0, ldc, W);
      j0 += 2 * RB;
    } else if (j0 + RB <= T) {  // RB divides W: a row block never straddles two vectors
      atbRows<RB>(A + j0 * ars, ars, aks, B + v0, ldb, k, C + j0 * ldc + v0, ldc, Tp - v0);
      j0 += RB;
    } else {
      atbRows<1>(A + j0 * ars, ars, aks, B + v0, ldb, k, C + j0 * ldc + v0, ldc, Tp - v0);
      j0++;
    }
  }
}

// acc[r][v] += Σ_{q0 ≤ q < q1} A[r][q]·M[q][v·W …] for the vectors v ∈ [VA, VB). With one vector, even and odd q
// go to separate sums, so that 2·NR chains hide the FMA latency (NR = 4 chains ran at half the FMA rate).
template <int NR, int NV, int VA, int VB>
__attribute__((always_inline)) inline void rowsAccumulate(V (&acc)[NR][NV], const float* A, int64_t lda, const float* M, int64_t ldm,
                                                          int64_t q0, int64_t q1) {
  int64_t q = q0;
  if constexpr (VB - VA == 1 && NR <= 8) {
    V odd[NR];
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) odd[r] = zero();
    for (; q + 2 <= q1; q += 2) {
      const V m0 = load(M + q * ldm + VA * W), m1 = load(M + (q + 1) * ldm + VA * W);
#pragma GCC unroll 8
      for (int r = 0; r < NR; r++) {
        acc[r][VA] = fma(set1(A[r * lda + q]), m0, acc[r][VA]);
        odd[r] = fma(set1(A[r * lda + q + 1]), m1, odd[r]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) acc[r][VA] = add(acc[r][VA], odd[r]);
  }
  for (; q < q1; q++) {
    V m[NV];
#pragma GCC unroll 4
    for (int v = VA; v < VB; v++) m[v] = load(M + q * ldm + v * W);
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) {
      const V a = set1(A[r * lda + q]);
#pragma GCC unroll 4
      for (int v = VA; v < VB; v++) acc[r][v] = fma(a, m[v], acc[r][v]);
    }
  }
}

// The rows of M that the NV vectors of columns from c0 need, in NV phases, each with the vectors that need
// its rows: upper (M[q][c] ≠ 0 only for q ≥ c): vector v sums q ∈ [c0 + v·W, T), so phase K (rows from
// c0 + K·W) adds vectors 0 … K; lower (M[q][c] ≠ 0 only for q ≤ c): vector v sums q < c0 + (v + 1)·W, so
// phase K (rows up to c0 + (K + 1)·W) adds vectors K … NV − 1.
template <bool Upper, int NR, int NV, int K = 0>
__attribute__((always_inline)) inline void rowsPhases(V (&acc)[NR][NV], const float* A, int64_t lda, const float* M, int64_t ldm,
                                                      int64_t c0, int64_t T) {
  if constexpr (K < NV) {
    int64_t q0 = c0 + K * W, q1 = c0 + (K + 1) * W;
    if (Upper && K + 1 == NV) q1 = T;
    if (!Upper && K == 0) q0 = 0;
    if (q1 > T) q1 = T;
    rowsAccumulate<NR, NV, Upper ? 0 : K, Upper ? K + 1 : NV>(acc, A, lda, M, ldm, q0, q1);
    rowsPhases<Upper, NR, NV, K + 1>(acc, A, lda, M, ldm, c0, T);
  }
}

// O rows [0, NR) (stride ldo), the NV vectors of columns from c0 (stores stop at column T).
template <bool Upper, int NR, int NV>
void rowsBlock(const float* A, int64_t lda, const float* M, int64_t ldm, int64_t c0, int64_t T, float* O, int64_t ldo) {
  V acc[NR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = zero();
  rowsPhases<Upper, NR, NV>(acc, A, lda, M + c0, ldm, c0, T);
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const int64_t c = c0 + v * W;
      if (T - c >= W) store(O + r * ldo + c, acc[r][v]);
      else storen(O + r * ldo + c, acc[r][v], (int)(T - c));
    }
}

template <bool Upper, int NV>
void rowsChunk(const float* A, int64_t lda, int64_t rows, const float* M, int64_t ldm, int64_t c0, int64_t T, float* O, int64_t ldo) {
  int64_t d = 0;
  for (; d + MR <= rows; d += MR) rowsBlock<Upper, MR, NV>(A + d * lda, lda, M, ldm, c0, T, O + d * ldo, ldo);
  for (; d < rows; d++) rowsBlock<Upper, 1, NV>(A + d * lda, lda, M, ldm, c0, T, O + d * ldo, ldo);
}

// O [rows × T] (stride ldo) = A·M over the causal range: A [rows × T] (stride lda), M [T × ·] (stride
// ldm ≥ T rounded up to W, padding zero; read only where the causal range needs it), Upper: M[r][c] ≠ 0 only for
// r ≥ c (P, dS); else only for r ≤ c (Pᵀ, dSᵀ). Up to MV vectors of columns at a time, so the products cost the
// triangle, not the square, and each broadcast of A feeds several vectors.
template <bool Upper>
void rowsTimes(const float* A, int64_t lda, int64_t rows, const float* M, int64_t ldm, int64_t T, float* O, int64_t ldo) {
  const int64_t nvec = (T + W - 1) / W;
  for (int64_t v0 = 0; v0 < nvec; v0 += MV) {
    const int64_t nv = nvec - v0 < MV ? nvec - v0 : MV, c0 = v0 * W;
    switch (nv) {
      case 1: rowsChunk<Upper, 1>(A, lda, rows, M, ldm, c0, T, O, ldo); break;
      case 2: rowsChunk<Upper, 2>(A, lda, rows, M, ldm, c0, T, O, ldo); break;
      case 3: rowsChunk<Upper, 3>(A, lda, rows, M, ldm, c0, T, O, ldo); break;
      default: rowsChunk<Upper, MV>(A, lda, rows, M, ldm, c0, T, O, ldo); break;
    }
  }
}

// Sᵀ [T × Tp] (keys j down, queries i across) → Pᵀ in place, column vector by column vector: P's row i is
// Sᵀ's column i over the keys j ≤ i, so the max and the sum run down the rows, lane by lane. Rows j ≥ i0 of the
// vector from i0 are the diagonal block (lanes i < j masked); rows below it are left as they are.
void softmaxColumns(float* s, int64_t T, int64_t Tp, float scale) {
  const V sc = set1(scale);
  for (int64_t i0 = 0; i0 < T; i0 += W) {
    const int64_t rows = i0 + W < T ? i0 + W : T;
    V m0 = set1(-3.0e38f), m1 = m0;
    int64_t j = 0;
    for (; j + 2 <= i0; j += 2) m0 = max(m0, load(s + j * Tp + i0)), m1 = max(m1, load(s + (j + 1) * Tp + i0));
    for (; j < i0; j++) m0 = max(m0, load(s + j * Tp + i0));
    for (; j < rows; j++) m1 = max(m1, add(load(s + j * Tp + i0), load(kCausal.bias[j - i0])));
    const V nm = zero() - max(m0, m1) * sc;  // exponent scale·s − scale·max
    V z0 = zero(), z1 = zero();
    for (j = 0; j + 2 <= i0; j += 2) {
      const V e0 = expV(fma(load(s + j * Tp + i0), sc, nm)), e1 = expV(fma(load(s + (j + 1) * Tp + i0), sc, nm));
      store(s + j * Tp + i0, e0); store(s + (j + 1) * Tp + i0, e1);
      z0 = add(z0, e0); z1 = add(z1, e1);
    }
    for (; j < i0; j++) { const V e = expV(fma(load(s + j * Tp + i0), sc, nm)); store(s + j * Tp + i0, e); z0 = add(z0, e); }
    for (; j < rows; j++) {
      const V e = mul(expV(fma(load(s + j * Tp + i0), sc, nm)), load(kCausal.keep[j - i0]));
      store(s + j * Tp + i0, e); z1 = add(z1, e);
    }
    const V inv = set1(1.0f) / add(z0, z1);
    for (j = 0; j < rows; j++) store(s + j * Tp + i0, mul(load(s + j * Tp + i0), inv));
  }
}

// dPᵀ [T × Tp] → dSᵀ·scale in place, column vector by column vector: with Pᵀ (zero for keys j > i), query i's
// D = Σ_j P ⊙ dP and dS = P ⊙ (dP − D) run down the rows, lane by lane.
void softmaxBackwardColumns(const float* pt, float* dst, int64_t T, int64_t Tp, float scale) {
  const V sc = set1(scale);
  for (int64_t i0 = 0; i0 < T; i0 += W) {
    const int64_t rows = i0 + W < T ? i0 + W : T;
    V d0 = zero(), d1 = zero();
    int64_t j = 0;
    for (; j + 2 <= rows; j += 2)
      d0 = fma(load(pt + j * Tp + i0), load(dst + j * Tp + i0), d0), d1 = fma(load(pt + (j + 1) * Tp + i0), load(dst + (j + 1) * Tp + i0), d1);
    if (j < rows) d0 = fma(load(pt + j * Tp + i0), load(dst + j * Tp + i0), d0);
    const V dot = add(d0, d1);
    for (j = 0; j < rows; j++) store(dst + j * Tp + i0, mul(mul(sc, load(pt + j * Tp + i0)), load(dst + j * Tp + i0) - dot));
  }
}

// dst (W rows, stride ldd) ← the transpose of src (W rows, stride lds), in registers.
#if defined(__AVX512F__)
inline void transposeW(const float* src, int64_t lds, float* dst, int64_t ldd) {  // 2-element, 4-element and 128-bit-lane shuffles
  __m512 r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 16; i += 2) { t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]); t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]); }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int g = 0; g < 16; g += 8)
    for (int i = 0; i < 4; i++) {
      t[g + i] = _mm512_shuffle_f32x4(r[g + i], r[g + i + 4], 0x88);
      t[g + i + 4] = _mm512_shuffle_f32x4(r[g + i], r[g + i + 4], 0xDD);
    }
  for (int i = 0; i < 8; i++) {
    _mm512_storeu_ps(dst + i * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88));
    _mm512_storeu_ps(dst + (i + 8) * ldd, _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD));
  }
}
#elif defined(__AVX2__)
inline void transposeW(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 r[8], c[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
  simd::transpose8(r, c);
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ldd, c[i]);
}
#else
inline void transposeW(const float* src, int64_t lds, float* dst, int64_t ldd) {  // 4 × 4: two rounds of 2-source shuffles
  typedef int32_t VI __attribute__((vector_size(sizeof(V))));
  const V r0 = load(src), r1 = load(src + lds), r2 = load(src + 2 * lds), r3 = load(src + 3 * lds);
  const V t0 = __builtin_shuffle(r0, r1, VI{0, 4, 1, 5}), t1 = __builtin_shuffle(r0, r1, VI{2, 6, 3, 7});
  const V t2 = __builtin_shuffle(r2, r3, VI{0, 4, 1, 5}), t3 = __builtin_shuffle(r2, r3, VI{2, 6, 3, 7});
  store(dst, __builtin_shuffle(t0, t2, VI{0, 1, 4, 5}));
  store(dst + ldd, __builtin_shuffle(t0, t2, VI{2, 3, 6, 7}));
  store(dst + 2 * ldd, __builtin_shuffle(t1, t3, VI{0, 1, 4, 5}));
  store(dst + 3 * ldd, __builtin_shuffle(t1, t3, VI{2, 3, 6, 7}));
}
#endif

// dst[c][r] = src[r][c] over the W × W blocks on or below the block diagonal of src (Lower: P, dS by rows → their
// transposes) or on or above it (Pᵀ, dSᵀ → by rows). Full blocks are transposed in registers; the diagonal blocks'
// entries outside the causal triangle (c > r for Lower, c < r else) are zeros there already (stored zeros of P, the
// masked lanes of the softmax), and partial blocks (T off the width) write them as zeros.
template <bool Lower>
void transposeBlocks(const float* src, int64_t lds, int64_t T, float* dst, int64_t ldd) {
  for (int64_t a0 = 0; a0 < T; a0 += W)
    for (int64_t b0 = Lower ? 0 : a0; Lower ? b0 <= a0 : b0 < T; b0 += W) {  // src block rows [a0, +W), columns [b0, +W)
      const int64_t a1 = a0 + W < T ? a0 + W : T, b1 = b0 + W < T ? b0 + W : T;
      if (a1 - a0 == W && b1 - b0 == W) { transposeW(src + a0 * lds + b0, lds, dst + b0 * ldd + a0, ldd); continue; }
      for (int64_t r = a0; r < a1; r++)
        for (int64_t c = b0; c < b1; c++) dst[c * ldd + r] = (Lower ? c <= r : r <= c) ? src[r * lds + c] : 0.0f;
    }
}

// P [T × T] (row stride T) from Pᵀ [T × Tp] (rows j; read only where i ≥ j), zero above the diagonal. The zero
// stores stay stores: as a memset call per row (what GCC makes of the loop) they cost 0.4 µs per head, 3× the transpose.
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void storeProbabilities(const float* pt, int64_t T, int64_t Tp, float* P) {
  transposeBlocks<false>(pt, Tp, T, P, T);
  for (int64_t i = 0; i < T; i++) {  // the blocks right of the diagonal block
    float* r = P + i * T;
    int64_t j = (i / W + 1) * W;
    for (; j + W <= T; j += W) store(r + j, zero());
    for (; j < T; j++) r[j] = 0.0f;
  }
}

// Asks for the lines of rows × T floats (row stride ld) ahead of their use. A head's operands are 32-odd rows of
// 256 bytes, 3 KB apart: too short a stream per row for the hardware prefetchers, so in training (where they come
// from L3 or memory) the first product of each head waited on them.
inline void prefetchRows(const float* a, int64_t rows, int64_t ld, int64_t T) {
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t t = 0; t < T; t += 16) __builtin_prefetch(a + r * ld + t);
    __builtin_prefetch(a + r * ld + T - 1);
  }
}

// dst [k × Tp] ← src [k × T] (row stride ldsrc), padding columns zero
inline void copyPadded(const float* src, int64_t ldsrc, int64_t k, int64_t T, int64_t Tp, float* dst) {
  for (int64_t d = 0; d < k; d++) {
    std::memcpy(dst + d * Tp, src + d * ldsrc, (size_t)T * sizeof(float));
    for (int64_t t = T; t < Tp; t++) dst[d * Tp + t] = 0.f;
  }
}

thread_local ScratchFloats attnScratch;
}  // namespace

// When T is a whole number of vectors (the usual context lengths), Q, K and V are read in place from qkv and
// the backward reads the stored P in place: no copies but the transposes.
bool causalAttentionForward(const float* qkv, int64_t B, int64_t T, int64_t H, int64_t D, float* y, float* p) {
  const int64_t N = B * T, hd = D / H, Tp = roundUp(T, W);
  const bool whole = Tp == T;
  const float scale = 1.0f / std::sqrt((float)hd);
  float* qp = attnScratch.get(hd * Tp + T * Tp);
  if (!qp) return false;    // Q [hd × Tp] (when T is not whole)
  float* st = qp + hd * Tp; // Sᵀ, then Pᵀ [T × Tp]
  for (int64_t b = 0; b < B; b++) {
    for (int64_t h = 0; h < H; h++) {
      const float* q = qkv + h * hd * N + b * T;
      const float* k = qkv + (D + h * hd) * N + b * T;
      const float* v = qkv + (2 * D + h * hd) * N + b * T;
      if (!whole) copyPadded(q, N, hd, T, Tp, qp);
      upperAtB(k, 1, N, whole ? q : qp, whole ? N : Tp, T, Tp, hd, st, Tp);  // Sᵀ = KᵀQ (scaled in the softmax)
      prefetchRows(v, hd, N, T);  // for Y, after the softmax
      softmaxColumns(st, T, Tp, scale);
      rowsTimes<false>(v, N, hd, st, Tp, T, y + h * hd * N + b * T, N);  // Y = V·Pᵀ
      if (b + 1 < B || h + 1 < H) {  // the next head's Q and K: (b, h + 1) or (b + 1, 0)
        const int64_t nb = h + 1 < H ? b : b + 1, nh = h + 1 < H ? h + 1 : 0;
        for (int64_t part = 0; part < 2; part++) prefetchRows(qkv + (part * D + nh * hd) * N + nb * T, hd, N, T);
      }
      storeProbabilities(st, T, Tp, p + (b * H + h) * T * T);
    }
  }
  return true;
}

// The backward works down the columns too: dPᵀ = VᵀdY (keys down, queries across), D = Σ_j Pᵀ ⊙ dPᵀ and
// dSᵀ = Pᵀ ⊙ (dPᵀ − D) lane by lane (no horizontal sums), dQ = K·dSᵀ as it is; P (stored) gives dV = dY·P, and one
// transpose each gives Pᵀ and dS (for dK = Q·dS).
bool causalAttentionBackward(const float* dy, const float* qkv, const float* p, int64_t B, int64_t T, int64_t H, int64_t D,
                             float* dqkv) {
  const int64_t N = B * T, hd = D / H, Tp = roundUp(T, W);
  const bool whole = Tp == T;
  const float scale = 1.0f / std::sqrt((float)hd);
  // The square scratch matrices have Tp rows, so that every transpose runs on whole W × W blocks in registers
  // (element by element, the partial blocks made the backward 1.5× slower than before at T = 70).
  float* gp = attnScratch.get(hd * Tp + 4 * Tp * Tp);
  if (!gp) return false;      // dY [hd × Tp] (when T is not whole)
  float* Pp = gp + hd * Tp;   // P [Tp × Tp], zero outside [T × T] (when T is not whole)
  float* pt = Pp + Tp * Tp;   // Pᵀ [Tp × Tp]
  float* dst = pt + Tp * Tp;  // dPᵀ, then dSᵀ/√hd [Tp × Tp] (rows ≥ T unused)
  float* ds = dst + Tp * Tp;  // dS/√hd [Tp × Tp]
  if (!whole) std::memset(Pp + T * Tp, 0, (size_t)((Tp - T) * Tp) * sizeof(float));
  for (int64_t b = 0; b < B; b++) {
    for (int64_t h = 0; h < H; h++) {
      const int64_t qo = h * hd * N + b * T, ko = (D + h * hd) * N + b * T, vo = (2 * D + h * hd) * N + b * T;
      const float* g = dy + h * hd * N + b * T;
      const float* ph = p + (b * H + h) * T * T;
      if (!whole) { copyPadded(g, N, hd, T, Tp, gp); copyPadded(ph, T, T, T, Tp, Pp); }
      const float* P = whole ? ph : Pp;
      transposeBlocks<true>(P, Tp, Tp, pt, Tp);
      upperAtB(qkv + vo, 1, N, whole ? g : gp, whole ? N : Tp, T, Tp, hd, dst, Tp);  // dPᵀ = VᵀdY
      if (b + 1 < B || h + 1 < H) {  // the next head's operands: (b, h + 1) or (b + 1, 0)
        const int64_t nb = h + 1 < H ? b : b + 1, nh = h + 1 < H ? h + 1 : 0;
        for (int64_t part = 0; part < 3; part++) prefetchRows(qkv + (part * D + nh * hd) * N + nb * T, hd, N, T);
        prefetchRows(dy + nh * hd * N + nb * T, hd, N, T);
        prefetchRows(p + (nb * H + nh) * T * T, T, T, T);
      }
      softmaxBackwardColumns(pt, dst, T, Tp, scale);
      transposeBlocks<false>(dst, Tp, Tp, ds, Tp);
      rowsTimes<true>(g, N, hd, P, Tp, T, dqkv + vo, N);             // dV = dY·P
      rowsTimes<true>(qkv + qo, N, hd, ds, Tp, T, dqkv + ko, N);     // dK = Q·dS/√hd
      rowsTimes<false>(qkv + ko, N, hd, dst, Tp, T, dqkv + qo, N);   // dQ = K·(dS/√hd)ᵀ
    }
  }
  return true;
}

}}  // namespace winnow::WINNOW_ISA_NS
