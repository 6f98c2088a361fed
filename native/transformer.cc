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
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {

namespace {
using simd::expApprox;
constexpr float kGelu = 0.7978845608028654f;  // sqrt(2/pi)
}  // namespace

// y = ½x(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³);
// dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)), t = tanh(u) = 2σ(2u) − 1.
// The SIMD paths take σ(2u) from e = e^(−2|u|) ∈ (0, 1] (u has x's sign), so nothing overflows: r = 1/(1 + e),
// σ(2u) = r (x ≥ 0) or e·r (x < 0), and ½(1 − t²) = 2σ(1 − σ) = 2e·r² for either sign (no cancellation).
// e = 2^t, t = −2·log2(e)·|u|: t rounded to n, a degree-5 minimax polynomial of 2^(t − n) on [−½, ½] (relative
// error 1.7e-7 in float), scaled by 2^n; 1/(1 + e) is a reciprocal estimate refined by one Newton step, no
// divide. Error against float64 tanh on [−12, 12]: forward 3e-7, backward 2e-7 relative (the divide-and-
// (1 − t²) form had 1.3e-6 in backward). 512×768 against that form (AVX-512, Zen 4, interleaved): forward
// 133 → 78 µs, backward 184 → 103 µs; AVX2 1381 → 176 and 2221 → 220 µs (the plain loop did not vectorize there).
// The per-column decoder step uses it too (512 lanes: 156 → 110 ns against its own rcp14 + Taylor gelu1). The
// generic build keeps the plain formula below.
#if defined(__AVX512F__) || defined(__AVX2__)
namespace {
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kT0 = -2.0f * kLog2e * kGelu, kT1 = -2.0f * kLog2e * kGelu * 0.044715f;  // ±t = x·(kT0 + kT1·x²)
constexpr float kD0 = 2.0f * kGelu, kD1 = 2.0f * kGelu * 3.0f * 0.044715f;  // ½x(1−t²)k(1+3cx²) = x(kD0 + kD1·x²)·e·r²
constexpr float kP1 = 0.6931470036506653f, kP2 = 0.24022231996059418f, kP3 = 0.05550685152411461f,
                kP4 = 0.009671973995864391f, kP5 = 0.0013277654070407152f;  // 2^f ≈ 1 + f(kP1 + f(kP2 + … f·kP5))
}  // namespace
#endif

#if defined(__AVX512F__)
namespace {
// e = e^(−2|u|) and r ≈ 1/(1 + e) of 16 lanes; x2 = x².
inline void geluCore(__m512 x, __m512& x2, __m512& e, __m512& r) {
  x2 = _mm512_mul_ps(x, x);
  __m512 t = _mm512_mul_ps(x, _mm512_fmadd_ps(x2, _mm512_set1_ps(kT1), _mm512_set1_ps(kT0)));
  t = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), _mm512_set1_epi32(INT32_MIN)));  // −|t|
  t = _mm512_max_ps(t, _mm512_set1_ps(-200.0f));  // x = ±∞: e = 0, not NaN
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kP5), f, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  e = _mm512_scalef_ps(p, n);
  const __m512 d = _mm512_add_ps(e, _mm512_set1_ps(1.0f));
  const __m512 r0 = _mm512_rcp14_ps(d);
  r = _mm512_mul_ps(r0, _mm512_fnmadd_ps(d, r0, _mm512_set1_ps(2.0f)));
}
inline __mmask16 laneMask(int64_t left) { return (__mmask16)(left >= 16 ? 0xFFFFu : (1u << left) - 1u); }
inline __mmask16 negative(__m512 x) { return _mm512_movepi32_mask(_mm512_castps_si512(x)); }

inline __m512 geluForward16(__m512 v) {
  __m512 x2, e, r;
  geluCore(v, x2, e, r);
  return _mm512_mul_ps(v, _mm512_mask_mul_ps(r, negative(v), e, r));  // x·σ(2u)
}
inline __m512 geluBackward16(__m512 v, __m512 dv) {
  __m512 x2, e, r;
  geluCore(v, x2, e, r);
  const __m512 s = _mm512_mask_mul_ps(r, negative(v), e, r);
  const __m512 q = _mm512_mul_ps(v, _mm512_fmadd_ps(x2, _mm512_set1_ps(kD1), _mm512_set1_ps(kD0)));
  return _mm512_mul_ps(_mm512_fmadd_ps(q, _mm512_mul_ps(e, _mm512_mul_ps(r, r)), s), dv);
}
}  // namespace

// Whole vectors with plain loads and stores, the tail masked: the fused sparse kernels call these on a chunk they
// have just stored, and a masked load is not forwarded from those stores (Zen 4: with masked loads throughout,
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
#elif defined(__AVX2__)
namespace {
// geluCore of 8 lanes: 2^n from the exponent bits (t ≥ −126 keeps them normal), rcp (12 bits) + one Newton step.
inline void geluCore(__m256 x, __m256& x2, __m256& e, __m256& r) {
  x2 = _mm256_mul_ps(x, x);
  __m256 t = _mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(kT1), _mm256_set1_ps(kT0)));
  t = _mm256_or_ps(t, _mm256_set1_ps(-0.0f));  // −|t|
  t = _mm256_max_ps(t, _mm256_set1_ps(-126.0f));
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kP5), f, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  const __m256 d = _mm256_add_ps(e, _mm256_set1_ps(1.0f));
  const __m256 r0 = _mm256_rcp_ps(d);
  r = _mm256_mul_ps(r0, _mm256_fnmadd_ps(d, r0, _mm256_set1_ps(2.0f)));
}
}  // namespace

void geluForward(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i += 8) {
    const int k = (int)(len - i < 8 ? len - i : 8);
    const __m256 v = k == 8 ? _mm256_loadu_ps(x + i) : simd::loadn(x + i, k);
    __m256 x2, e, r;
    geluCore(v, x2, e, r);
    const __m256 s = _mm256_blendv_ps(r, _mm256_mul_ps(e, r), v);  // σ(2u): e·r where x's sign bit is set
    const __m256 o = _mm256_mul_ps(v, s);
    if (k == 8) _mm256_storeu_ps(y + i, o); else simd::storen(y + i, o, k);
  }
}

void geluBackward(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i += 8) {
    const int k = (int)(len - i < 8 ? len - i : 8);
    const __m256 v = k == 8 ? _mm256_loadu_ps(x + i) : simd::loadn(x + i, k);
    const __m256 dv = k == 8 ? _mm256_loadu_ps(dy + i) : simd::loadn(dy + i, k);
    __m256 x2, e, r;
    geluCore(v, x2, e, r);
    const __m256 s = _mm256_blendv_ps(r, _mm256_mul_ps(e, r), v);
    const __m256 q = _mm256_mul_ps(v, _mm256_fmadd_ps(x2, _mm256_set1_ps(kD1), _mm256_set1_ps(kD0)));
    const __m256 o = _mm256_mul_ps(_mm256_fmadd_ps(q, _mm256_mul_ps(e, _mm256_mul_ps(r, r)), s), dv);
    if (k == 8) _mm256_storeu_ps(dx + i, o); else simd::storen(dx + i, o, k);
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
#endif

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

struct FloatScratch {
  float* p = nullptr;
  int64_t cap = 0;
  ~FloatScratch() { std::free(p); }
  float* get(int64_t len) {
    if (len > cap) { std::free(p); p = static_cast<float*>(std::malloc((size_t)len * sizeof(float))); cap = p ? len : 0; }
    return p;
  }
};
thread_local FloatScratch lnPartScratch;
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
// triangle is computed (to whole vectors). Two register-blocked micro-kernels do all the products:
//   lowerAtB : C[i][j] = Σ_d A[i][d]·B[d][j] for the vectors j ≤ i of each row (scores, dP);
//   rowsTimes: O[d][c] = Σ_{r ∈ range(c)} A[d][r]·M[r][c] (Y, dV, dK, dQ), where M is a triangular
//              [T × Tp] matrix and range(c) its nonzero rows for the vector of columns holding c.
// Operands whose rows must be padded to whole vectors (Tp = T rounded up to W, padding zero, so no load
// needs a mask) are copied per head into a per-thread scratch; when T is a multiple of W they are read in place.
namespace {
using namespace simd;
constexpr int RB = 4;  // rows per register block
constexpr int CV = 4;  // vectors per column chunk

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// C rows [i0, i0 + rb) (row stride ldc), vectors [j0, j0 + NV·W): A [· × k] (element (i, d) at i·ars + d·aks, so a
// batch-last activation serves as Aᵀ in place), B [k × ·] (stride ldb).
template <int NR, int NV>
inline void atbBlock(const float* A, int64_t ars, int64_t aks, const float* B, int64_t ldb, int64_t k, float* C, int64_t ldc) {
  V acc[NR][NV];
#pragma GCC unroll 4
  for (int r = 0; r < NR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = zero();
  for (int64_t d = 0; d < k; d++) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = load(B + d * ldb + v * W);
#pragma GCC unroll 4
    for (int r = 0; r < NR; r++) {
      const V a = set1(A[r * ars + d * aks]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = fma(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 4
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

// C [T × ·] (stride ldc): rows i get the vectors covering j ≤ i (of their row block); A [T × k] (strides ars, aks),
// B [k × ·] (stride ldb, readable to T rounded up to W).
void lowerAtB(const float* A, int64_t ars, int64_t aks, const float* B, int64_t ldb, int64_t T, int64_t k, float* C, int64_t ldc) {
  int64_t i0 = 0;
  for (; i0 + RB <= T; i0 += RB) atbRows<RB>(A + i0 * ars, ars, aks, B, ldb, k, C + i0 * ldc, ldc, roundUp(i0 + RB, W));
  for (; i0 < T; i0++) atbRows<1>(A + i0 * ars, ars, aks, B, ldb, k, C + i0 * ldc, ldc, roundUp(i0 + 1, W));
}

// O rows [d0, d0+NR) (stride ldo), columns [c0, c0 + cnt), cnt ≤ W: Σ_{r0 ≤ r < r1} A[d][r]·M[r][c].
template <int NR>
inline void rowsBlock(const float* A, int64_t lda, const float* M, int64_t ldm, int64_t r0, int64_t r1,
                      float* O, int64_t ldo, int64_t cnt) {
  V acc[NR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++) acc[r] = zero();
  for (int64_t q = r0; q < r1; q++) {
    const V m = load(M + q * ldm);
#pragma GCC unroll 8
    for (int r = 0; r < NR; r++) acc[r] = fma(set1(A[r * lda + q]), m, acc[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < NR; r++) {
    if (cnt >= W) store(O + r * ldo, acc[r]);
    else storen(O + r * ldo, acc[r], (int)cnt);
  }
}

// O [rows × T] (stride ldo) = A·M over the causal range: A [rows × T] (stride lda), M [T × ·] (stride
// ldm ≥ T rounded up to W, padding zero). One vector of columns at a time, each summing only the rows
// its columns need, so the products cost the triangle, not the square:
// upper: M[r][c] ≠ 0 only for r ≥ c (P, dS: sums run from the vector's first column to T);
// else:  M[r][c] ≠ 0 only for r ≤ c (Pᵀ, dSᵀ: sums run up to the vector's last column).
void rowsTimes(const float* A, int64_t lda, int64_t rows, const float* M, int64_t ldm, int64_t T, bool upper,
               float* O, int64_t ldo) {
  for (int64_t c0 = 0; c0 < T; c0 += W) {
    const int64_t cnt = T - c0 < W ? T - c0 : W;
    const int64_t r0 = upper ? c0 : 0, r1 = upper ? T : c0 + cnt;
    int64_t d = 0;
    for (; d + 8 <= rows; d += 8) rowsBlock<8>(A + d * lda, lda, M + c0, ldm, r0, r1, O + d * ldo + c0, ldo, cnt);
    for (; d + 4 <= rows; d += 4) rowsBlock<4>(A + d * lda, lda, M + c0, ldm, r0, r1, O + d * ldo + c0, ldo, cnt);
    for (; d < rows; d++) rowsBlock<1>(A + d * lda, lda, M + c0, ldm, r0, r1, O + d * ldo + c0, ldo, cnt);
  }
}

#if defined(__AVX512F__)
// dst (16 rows, stride ldd) ← the transpose of src (16 rows, stride lds), in registers: 2-element, 4-element
// and 128-bit-lane shuffles.
inline void transpose16(const float* src, int64_t lds, float* dst, int64_t ldd) {
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
#endif

// dst[j][i] = src[i][j] for the 16 × 16 blocks of the lower block triangle of src (row block ≥ column block; row
// strides Tp): the blocks of Pᵀ and dSᵀ that rowsTimes reads. Full blocks are transposed in registers (AVX-512).
inline void transposeLower(const float* src, int64_t T, int64_t Tp, float* dst) {
  constexpr int64_t TB = 16;
  for (int64_t i0 = 0; i0 < T; i0 += TB) {
    const int64_t i1 = i0 + TB < T ? i0 + TB : T;
    for (int64_t j0 = 0; j0 <= i0; j0 += TB) {
      const int64_t j1 = j0 + TB < T ? j0 + TB : T;
#if defined(__AVX512F__)
      if (i1 - i0 == TB && j1 - j0 == TB) { transpose16(src + i0 * Tp + j0, Tp, dst + j0 * Tp + i0, Tp); continue; }
#endif
      for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) dst[j * Tp + i] = src[i * Tp + j];
    }
  }
}

// dst [k × Tp] ← src [k × T] (row stride ldsrc), padding columns zero
inline void copyPadded(const float* src, int64_t ldsrc, int64_t k, int64_t T, int64_t Tp, float* dst) {
  for (int64_t d = 0; d < k; d++) {
    std::memcpy(dst + d * Tp, src + d * ldsrc, (size_t)T * sizeof(float));
    for (int64_t t = T; t < Tp; t++) dst[d * Tp + t] = 0.f;
  }
}

struct AttnScratch {
  float* p = nullptr; int64_t cap = 0;
  ~AttnScratch() { std::free(p); }
  float* get(int64_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (size_t)roundUp(n, 16) * sizeof(float)));
      cap = p ? n : 0;
    }
    return p;
  }
};
thread_local AttnScratch attnScratch;
}  // namespace

// When T is a whole number of vectors (the usual context lengths), K and V are read in place from qkv,
// the scores are computed straight into the stored probabilities, and the backward reads them there:
// no copies but the two small transposes the products need.
bool causalAttentionForward(const float* qkv, int64_t B, int64_t T, int64_t H, int64_t D, float* y, float* p) {
  const int64_t N = B * T, hd = D / H, Tp = roundUp(T, W);
  const bool whole = Tp == T;
  const float scale = 1.0f / std::sqrt((float)hd);
  float* kp = attnScratch.get(hd * Tp + 2 * T * Tp);
  if (!kp) return false;    // K [hd × Tp] (when T is not whole)
  float* sp = kp + hd * Tp; // scores, then P [T × Tp] (zero right of the diagonal; when T is not whole)
  float* pt = sp + T * Tp;  // Pᵀ [T × Tp]
  for (int64_t b = 0; b < B; b++) {
    for (int64_t h = 0; h < H; h++) {
      const float* q = qkv + h * hd * N + b * T;
      const float* k = qkv + (D + h * hd) * N + b * T;
      const float* v = qkv + (2 * D + h * hd) * N + b * T;
      float* ph = p + (b * H + h) * T * T;
      float* s = whole ? ph : sp;
      if (!whole) copyPadded(k, N, hd, T, Tp, kp);
      lowerAtB(q, 1, N, whole ? k : kp, whole ? N : Tp, T, hd, s, Tp);  // QᵀK (scaled in the softmax)
      for (int64_t i = 0; i < T; i++) {
        float* r = s + i * Tp;
        const int64_t len = i + 1, lv = roundUp(len, W);
        for (int64_t j = len; j < lv; j++) r[j] = -3.0e38f;  // the future positions of the last vector
        float pm[16];
        for (int l = 0; l < W; l++) pm[l] = -3.0e38f;
        for (int64_t j = 0; j < lv; j += W)
          for (int l = 0; l < W; l++) pm[l] = r[j + l] > pm[l] ? r[j + l] : pm[l];
        float m = pm[0];
        for (int l = 1; l < W; l++) m = pm[l] > m ? pm[l] : m;
        for (int64_t j = 0; j < lv; j++) r[j] = expApprox(scale * (r[j] - m));
        for (int64_t j = len; j < Tp; j++) r[j] = 0.f;
        float part[16] = {};
        for (int64_t j = 0; j < lv; j += W)
          for (int l = 0; l < W; l++) part[l] += r[j + l];
        float sum = 0.f;
        for (int l = 0; l < W; l++) sum += part[l];
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j < lv; j++) r[j] *= inv;
        if (!whole) std::memcpy(ph + i * T, r, (size_t)T * sizeof(float));
      }
      transposeLower(s, T, Tp, pt);
      for (int64_t i = T; i < Tp; i++) for (int64_t j = 0; j < T; j++) pt[j * Tp + i] = 0.f;
      rowsTimes(v, N, hd, pt, Tp, T, false, y + h * hd * N + b * T, N);  // Y = V·Pᵀ
    }
  }
  return true;
}

bool causalAttentionBackward(const float* dy, const float* qkv, const float* p, int64_t B, int64_t T, int64_t H, int64_t D,
                             float* dqkv) {
  const int64_t N = B * T, hd = D / H, Tp = roundUp(T, W);
  const bool whole = Tp == T;
  const float scale = 1.0f / std::sqrt((float)hd);
  float* vp = attnScratch.get(hd * Tp + 3 * T * Tp);
  if (!vp) return false;    // V [hd × Tp] (when T is not whole)
  float* Pp = vp + hd * Tp; // P [T × Tp] (when T is not whole)
  float* ds = Pp + T * Tp;  // dP, then dS·(1/√hd) [T × Tp]
  float* dst = ds + T * Tp; // (dS/√hd)ᵀ [T × Tp]
  for (int64_t b = 0; b < B; b++) {
    for (int64_t h = 0; h < H; h++) {
      const int64_t qo = h * hd * N + b * T, ko = (D + h * hd) * N + b * T, vo = (2 * D + h * hd) * N + b * T;
      const float* g = dy + h * hd * N + b * T;
      const float* ph = p + (b * H + h) * T * T;
      if (!whole) { copyPadded(qkv + vo, N, hd, T, Tp, vp); copyPadded(ph, T, T, T, Tp, Pp); }
      const float* P = whole ? ph : Pp;
      lowerAtB(g, 1, N, whole ? qkv + vo : vp, whole ? N : Tp, T, hd, ds, Tp);  // dP = dYᵀ·V
      for (int64_t i = 0; i < T; i++) {
        float* r = ds + i * Tp;
        const float* pr = P + i * Tp;
        const int64_t lv = roundUp(i + 1, W);
        float part[16] = {};
        for (int64_t j = 0; j < lv; j += W)
          for (int l = 0; l < W; l++) part[l] += pr[j + l] * r[j + l];
        float dot = 0.f;
        for (int l = 0; l < W; l++) dot += part[l];
        for (int64_t j = 0; j < lv; j++) r[j] = scale * pr[j] * (r[j] - dot);
        for (int64_t j = lv; j < Tp; j++) r[j] = 0.f;
      }
      transposeLower(ds, T, Tp, dst);
      for (int64_t i = T; i < Tp; i++) for (int64_t j = 0; j < T; j++) dst[j * Tp + i] = 0.f;
      rowsTimes(g, N, hd, P, Tp, T, true, dqkv + vo, N);            // dV = dY·P
      rowsTimes(qkv + qo, N, hd, ds, Tp, T, true, dqkv + ko, N);    // dK = Q·dS/√hd
      rowsTimes(qkv + ko, N, hd, dst, Tp, T, false, dqkv + qo, N);  // dQ = K·(dS/√hd)ᵀ
    }
  }
  return true;
}

}}  // namespace winnow::WINNOW_ISA_NS
