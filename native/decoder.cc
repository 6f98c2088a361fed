// The fused batch-1 GPT decoder step: one call per token runs every layer (LayerNorm, qkv, attention
// over the key/value cache, projection, MLP with GELU, residuals, final LayerNorm, head), so a token
// costs its arithmetic and no per-op call. Every matrix runs in its own format (decoder.h): dense,
// padded 16-bit CSR, 2:4, bitmap or sliced ELL. The plain twin is src/backend/decoder-reference.ts.
#include <cmath>
#include <cstring>
#include "decoder.h"
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {
using namespace simd;

namespace {
// LayerNorm of one column (the batch kernel's blocked loops cost 36% of a step at one column).
inline void layerNorm1(const float* x, const float* gamma, const float* beta, int64_t d, float* y) {
  V acc = zero();
  int64_t j = 0;
  for (; j + W <= d; j += W) acc = add(acc, load(x + j));
  if (j < d) acc = add(acc, loadn(x + j, (int)(d - j)));
  const float mean = hsum(acc) / (float)d;
  static const float kOnes[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  acc = zero();
  for (j = 0; j + W <= d; j += W) { const V c = add(load(x + j), set1(-mean)); acc = fma(c, c, acc); }
  if (j < d) {  // lanes past d stay 0: x − mean·1 with the ones loaded as far as x
    const V c = add(loadn(x + j, (int)(d - j)), mul(loadn(kOnes, (int)(d - j)), set1(-mean)));
    acc = fma(c, c, acc);
  }
  const float var = hsum(acc) / (float)d;
  const float rstd = 1.0f / std::sqrt(var + 1e-5f);
  for (j = 0; j < d; j++) y[j] = (x[j] - mean) * rstd * gamma[j] + beta[j];
}

#if defined(__AVX512F__)
// The max and the sum of 16 lanes in every lane, with no trip through a scalar and back; the sum in the
// same pairs as GCC's _mm512_reduce_add_ps (lane j + j+8, then j+4, j+2, j+1), so the same bits.
inline __m512 allMax16(__m512 v) {
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_max_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm512_max_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
}
inline __m512 allSum16(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
}
// Attention scores of C chunks of 16 positions (m ≤ 16·C of them, m > 16·(C − 1)): s[j] = scale · Σ_e q[e]·k[e·T + j],
// per chunk four chains over e (e mod 4, the rest into the first) summed (a0 + a1) + (a2 + a3).
template <int C>
inline void attnScores(const float* q, const float* k, int64_t T, int64_t hd, int64_t m, float scale, float* s) {
  __mmask16 mk[C];
  for (int c = 0; c < C; c++) { const int64_t r = m - 16 * c; mk[c] = tailMask((int)(r < 16 ? r : 16)); }
  __m512 a[4][C];
  for (int i = 0; i < 4; i++) for (int c = 0; c < C; c++) a[i][c] = _mm512_setzero_ps();
  int64_t e = 0;
  for (; e + 4 <= hd; e += 4)
    for (int i = 0; i < 4; i++) {
      const __m512 qe = _mm512_set1_ps(q[e + i]);
      for (int c = 0; c < C; c++) a[i][c] = _mm512_fmadd_ps(qe, _mm512_maskz_loadu_ps(mk[c], k + (e + i) * T + 16 * c), a[i][c]);
    }
  for (; e < hd; e++) {
    const __m512 qe = _mm512_set1_ps(q[e]);
    for (int c = 0; c < C; c++) a[0][c] = _mm512_fmadd_ps(qe, _mm512_maskz_loadu_ps(mk[c], k + e * T + 16 * c), a[0][c]);
  }
  for (int c = 0; c < C; c++)
    _mm512_mask_storeu_ps(s + 16 * c, mk[c], _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a[0][c], a[1][c]), _mm512_add_ps(a[2][c], a[3][c])), _mm512_set1_ps(scale)));
}
// y[0..w) = inv · Σ_j p[j]·v[j·D + ·] for C chunks of 16 outputs (w ≤ 16·C), per chunk four chains over
// positions (j mod 4, the rest into the first) summed (a0 + a1) + (a2 + a3).
template <int C>
inline void attnValues(const float* p, const float* v, int64_t D, int64_t n, int64_t w, __m512 inv, float* y) {
  __mmask16 mk[C];
  for (int c = 0; c < C; c++) { const int64_t r = w - 16 * c; mk[c] = tailMask((int)(r < 16 ? r : 16)); }
  __m512 a[4][C];
  for (int i = 0; i < 4; i++) for (int c = 0; c < C; c++) a[i][c] = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (int i = 0; i < 4; i++) {
      const __m512 pj = _mm512_set1_ps(p[j + i]);
      for (int c = 0; c < C; c++) a[i][c] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(mk[c], v + (j + i) * D + 16 * c), a[i][c]);
    }
  for (; j < n; j++) {
    const __m512 pj = _mm512_set1_ps(p[j]);
    for (int c = 0; c < C; c++) a[0][c] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(mk[c], v + j * D + 16 * c), a[0][c]);
  }
  for (int c = 0; c < C; c++)
    _mm512_mask_storeu_ps(y + 16 * c, mk[c], _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a[0][c], a[1][c]), _mm512_add_ps(a[2][c], a[3][c])), inv));
}
#endif
#if defined(__AVX512F__)
// For each 8-bit mask: byte k holds the index of the packed value that lands in lane k (0 outside the mask).
struct Expand8 {
  uint64_t idx[256];
  Expand8() {
    for (int m = 0; m < 256; m++) {
      uint64_t e = 0;
      int k = 0;
      for (int lane = 0; lane < 8; lane++) if (m >> lane & 1) e |= (uint64_t)(k++) << (8 * lane);
      idx[m] = e;
    }
  }
};
const Expand8 kExpand8;
#endif
#if defined(__AVX2__) && !defined(__AVX512F__)
// For each 8-bit mask: the permutation that moves packed value k to the lane of the mask's k-th set bit.
struct ExpandTable {
  alignas(32) int32_t idx[256][8];
  ExpandTable() {
    for (int m = 0; m < 256; m++) {
      int k = 0;
      for (int lane = 0; lane < 8; lane++) idx[m][lane] = (m >> lane & 1) ? k++ : 0;
    }
  }
};
const ExpandTable kExpand;
#endif
}  // namespace

// y = W·x for a bitmap W: per row r and block b of 16 columns, masks[r·nb + b] marks the nonzero
// columns, whose values follow each other in `values` from rowPtr[r]. x is read in whole blocks of 16:
// it must hold zeros up to the next multiple of 16 (the prepared matrix pads it), and `values` has 16
// readable floats past its end (the vector paths load 16 or 8 at a time from a row's position).
void bitmapMatvec(int64_t rows, int64_t cols, const uint16_t* masks, const int32_t* rowPtr, const float* values,
                  const float* x, float* y) {
  const int64_t nb = (cols + 15) / 16;
#if defined(__AVX512F__)
  // vexpandps would do this in one instruction, but it measured 3× slower than a dense row on Zen 5
  // (bench/gpt-generate.ts --kernels); a table permutation is faster: per 8 columns, the byte indices
  // that move packed value k to the lane of the mask's k-th set bit (the upper half offset by the lower
  // half's count), then one permute of the 16 floats loaded from the row's position, zeroing the lanes
  // outside the mask. Four rows at a time: one load of x serves four rows, four independent FMA chains.
  auto expand = [](unsigned k, const float* v) {
    const unsigned lo = k & 0xffu, hi = k >> 8;
    const uint64_t il = kExpand8.idx[lo], ih = kExpand8.idx[hi] + 0x0101010101010101ull * (uint64_t)__builtin_popcount(lo);
    const __m512i idx = _mm512_cvtepu8_epi32(_mm_set_epi64x((long long)ih, (long long)il));
    return _mm512_maskz_permutexvar_ps((__mmask16)k, idx, _mm512_loadu_ps(v));
  };
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const uint16_t *m0 = masks + r * nb, *m1 = m0 + nb, *m2 = m1 + nb, *m3 = m2 + nb;
    const float *v0 = values + rowPtr[r], *v1 = values + rowPtr[r + 1], *v2 = values + rowPtr[r + 2], *v3 = values + rowPtr[r + 3];
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
      const __m512 xv = _mm512_loadu_ps(x + 16 * b);
      const unsigned k0 = m0[b], k1 = m1[b], k2 = m2[b], k3 = m3[b];
      a0 = _mm512_fmadd_ps(expand(k0, v0), xv, a0);
      a1 = _mm512_fmadd_ps(expand(k1, v1), xv, a1);
      a2 = _mm512_fmadd_ps(expand(k2, v2), xv, a2);
      a3 = _mm512_fmadd_ps(expand(k3, v3), xv, a3);
      v0 += __builtin_popcount(k0); v1 += __builtin_popcount(k1); v2 += __builtin_popcount(k2); v3 += __builtin_popcount(k3);
    }
    hsum4(a0, a1, a2, a3, y + r);
  }
  for (; r < rows; r++) {
    const uint16_t* m0 = masks + r * nb;
    const float* v0 = values + rowPtr[r];
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
      const unsigned k0 = m0[b];
      a0 = _mm512_fmadd_ps(expand(k0, v0), _mm512_loadu_ps(x + 16 * b), a0);
      v0 += __builtin_popcount(k0);
    }
    y[r] = _mm512_reduce_add_ps(a0);
  }
#elif defined(__AVX2__)
  // No expand instruction: a table permutation per 8 columns of the 8 packed floats loaded from the
  // row's current position, the lanes outside the mask zeroed by the comparison with the bit pattern.
  const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  for (int64_t r = 0; r < rows; r++) {
    const uint16_t* m0 = masks + r * nb;
    const float* v0 = values + rowPtr[r];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
      const unsigned k = m0[b], lo = k & 0xff, hi = k >> 8;
      const __m256i mlo = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)lo), bits), bits);
      const __m256 plo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(v0), _mm256_load_si256((const __m256i*)kExpand.idx[lo]));
      a0 = fma(_mm256_and_ps(plo, _mm256_castsi256_ps(mlo)), _mm256_loadu_ps(x + 16 * b), a0);
      v0 += __builtin_popcount(lo);
      const __m256i mhi = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)hi), bits), bits);
      const __m256 phi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(v0), _mm256_load_si256((const __m256i*)kExpand.idx[hi]));
      a1 = fma(_mm256_and_ps(phi, _mm256_castsi256_ps(mhi)), _mm256_loadu_ps(x + 16 * b + 8), a1);
      v0 += __builtin_popcount(hi);
    }
    y[r] = hsum(add(a0, a1));
  }
#else
  for (int64_t r = 0; r < rows; r++) {
    const uint16_t* m0 = masks + r * nb;
    const float* v0 = values + rowPtr[r];
    float s0 = 0.f, s1 = 0.f;
    for (int64_t b = 0; b < nb; b++) {
      unsigned k = m0[b];
      const float* xb = x + 16 * b;
      while (k) {
        const int c = __builtin_ctz(k);
        s0 += *v0++ * xb[c];
        k &= k - 1;
        if (!k) break;
        const int c1 = __builtin_ctz(k);
        s1 += *v0++ * xb[c1];
        k &= k - 1;
      }
    }
    y[r] = s0 + s1;
  }
#endif
  (void)cols;
}

// y = W·x for a sliced-ELL W (decoder.h): 16 rows per slice accumulate in the 16 lanes of one vector, and
// each layer picks its 16 x entries from a 32-column window held in two registers (one permute), so a
// nonzero costs a sixteenth of a load, permute and FMA and no row needs a horizontal sum. x must hold
// zeros up to decPadded(cols).
void sellMatvec(int64_t rows, const int32_t* slicePtr, const uint16_t* windows, const uint8_t* offsets, const float* values,
                const float* x, float* y, const float* bias) {
  const int64_t slices = (rows + 15) / 16;
  for (int64_t s = 0; s < slices; s++) {
    const int64_t n = rows - 16 * s < 16 ? rows - 16 * s : 16;
#if defined(__AVX512F__)
    // one flat loop over the slice's layers, four at a time (the layout pads each slice to a multiple of
    // 4 and each window's run to an even count): each pair of layers shares one load of its window's 32
    // x entries, as the loads, not the permutes or FMAs, bound a layer (measured: 1.2× faster than a
    // load per layer); a loop per window instead mispredicted on the varying layer counts (measured)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    auto pick = [&](__m512 lo, __m512 hi, int64_t k) {
      return _mm512_permutex2var_ps(lo, _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(offsets + 16 * k))), hi);
    };
    for (int64_t l = slicePtr[s]; l < slicePtr[s + 1]; l += 4) {
      const float* xa = x + 32 * windows[l];
      const float* xb = x + 32 * windows[l + 2];
      const __m512 la = _mm512_loadu_ps(xa), ha = _mm512_loadu_ps(xa + 16), lb = _mm512_loadu_ps(xb), hb = _mm512_loadu_ps(xb + 16);
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + 16 * l), pick(la, ha, l), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(values + 16 * l + 16), pick(la, ha, l + 1), a1);
      a2 = _mm512_fmadd_ps(_mm512_loadu_ps(values + 16 * l + 32), pick(lb, hb, l + 2), a2);
      a3 = _mm512_fmadd_ps(_mm512_loadu_ps(values + 16 * l + 48), pick(lb, hb, l + 3), a3);
    }
    // the bias added here, not in a pass of its own over y (the same addition, so the same bits)
    const __mmask16 k = (__mmask16)((1u << n) - 1u);
    __m512 r = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
    if (bias) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(k, bias + 16 * s));
    _mm512_mask_storeu_ps(y + 16 * s, k, r);
#elif defined(__AVX2__)
    // 8 lanes at a time: the window's 32 x entries in four registers, each permuted by the offsets' low
    // 3 bits, then blended by bits 3 and 4 (moved to the sign bit that blendv reads)
    __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t l = slicePtr[s]; l < slicePtr[s + 1]; l++) {
      const float* xw = x + 32 * windows[l];
      const __m256 x0 = _mm256_loadu_ps(xw), x1 = _mm256_loadu_ps(xw + 8), x2 = _mm256_loadu_ps(xw + 16), x3 = _mm256_loadu_ps(xw + 24);
      for (int h = 0; h < 2; h++) {
        const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(offsets + 16 * l + 8 * h)));
        const __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)), b4 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 27));
        const __m256 p01 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(x0, idx), _mm256_permutevar8x32_ps(x1, idx), b3);
        const __m256 p23 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(x2, idx), _mm256_permutevar8x32_ps(x3, idx), b3);
        const int k = 2 * h + (int)(l & 1);
        a[k] = fma(_mm256_loadu_ps(values + 16 * l + 8 * h), _mm256_blendv_ps(p01, p23, b4), a[k]);
      }
    }
    __m256 lo = add(a[0], a[1]), hi = add(a[2], a[3]);
    if (bias) {
      lo = add(lo, loadn(bias + 16 * s, (int)(n < 8 ? n : 8)));
      if (n > 8) hi = add(hi, loadn(bias + 16 * s + 8, (int)(n - 8)));
    }
    storen(y + 16 * s, lo, (int)(n < 8 ? n : 8));
    if (n > 8) storen(y + 16 * s + 8, hi, (int)(n - 8));
#else
    float acc[16] = {0};
    for (int64_t l = slicePtr[s]; l < slicePtr[s + 1]; l++) {
      const float* xw = x + 32 * windows[l];
      for (int i = 0; i < 16; i++) acc[i] += values[16 * l + i] * xw[offsets[16 * l + i]];
    }
    for (int64_t i = 0; i < n; i++) y[16 * s + i] = bias ? acc[i] + bias[16 * s + i] : acc[i];
#endif
  }
}

// y = W·x + bias in the matrix's format; x holds zeros from `cols` up to decPadded(cols).
void decoderMatvec(const DecMatrix* m, const float* x, float* y) {
  switch (m->format) {
    case kDecCsr: csr16Matvec(m->rows, m->rowPtr, m->idx, m->values, x, y); break;
    case kDecNm24: nm24Matvec(m->rows, m->cols, m->values, m->offsets, x, y); break;
    case kDecBitmap: bitmapMatvec(m->rows, m->cols, m->idx, m->rowPtr, m->values, x, y); break;
    case kDecSell: sellMatvec(m->rows, m->rowPtr, m->idx, m->offsets, m->values, x, y, m->bias); return;  // bias added inside
    default: denseMatvec(m->rows, m->cols, m->values, x, y); break;
  }
  for (int64_t r = 0; r < m->rows; r++) y[r] += m->bias[r];
}

// Appends token at position pos (keys [layers × dim × context], values [layers × context × dim] hold
// positions < pos) and writes its logits [vocab]. work: decWorkFloats(dim, heads, context) floats, zero beyond
// what the step writes.
void decoderStep(const DecPlan* p, float* keys, float* vals, float* work, int64_t pos, int64_t token, float* logits) {
  const int64_t D = p->dim, H = p->heads, T = p->context, hd = D / H;
  const float scale = (float)(1.0 / std::sqrt((double)hd));
  auto up = decPadded;
  float* x = work; float* h = x + up(D); float* qkv = h + up(D); float* y = qkv + up(3 * D);
  float* a = y + up(D); float* f = a + up(D); float* g = f + up(4 * D); float* s = g + up(4 * D);
  for (int64_t d = 0; d < D; d++) x[d] = p->wte[token * D + d] + p->wpe[pos * D + d];
  for (int64_t l = 0; l < p->layers; l++) {
    const DecLayer& L = p->blocks[l];
    float* K = keys + l * T * D; float* Vc = vals + l * T * D;
    layerNorm1(x, L.ln1Gamma, L.ln1Beta, D, h);
    decoderMatvec(&L.attn, h, qkv);
    // keys are cached transposed ([D × T]: a head's scores over positions are then FMAs along rows of
    // contiguous positions, no horizontal sums), values as rows [T × D]
    for (int64_t d = 0; d < D; d++) K[d * T + pos] = qkv[D + d];
    for (int64_t d0 = 0; d0 < D; d0 += W) storen(Vc + pos * D + d0, loadn(qkv + 2 * D + d0, (int)(D - d0 < W ? D - d0 : W)), (int)(D - d0 < W ? D - d0 : W));
    const int64_t n = pos + 1;
#if defined(__AVX512F__)
    // softmax over positions 0..pos of q·k_j/√hd, then y_h = Σ_j p_j v_j (the full forward's row pos),
    // in three passes over the heads (scores, softmax, values), so that the heads' chains (scores → max
    // → exponentials → sum → values) overlap instead of running one after the other
    const int64_t sn = (n + 15) / 16 * 16;  // a head's scores in s
    float* inv = s + H * sn;                  // per head 1 / Σ exp
    for (int64_t hh = 0; hh < H; hh++) {
      // up to four chunks of 16 positions at once: each broadcast q[e] serves them all (1 + 1/C loads
      // per FMA instead of 2), the same four chains over e per chunk as one chunk at a time
      const float* q = qkv + hh * hd;
      for (int64_t j0 = 0; j0 < n; j0 += 64) {
        const int64_t m = n - j0 < 64 ? n - j0 : 64;
        const float* k0 = K + hh * hd * T + j0;
        float* sh = s + hh * sn + j0;
        if (m > 48) attnScores<4>(q, k0, T, hd, m, scale, sh);
        else if (m > 32) attnScores<3>(q, k0, T, hd, m, scale, sh);
        else if (m > 16) attnScores<2>(q, k0, T, hd, m, scale, sh);
        else attnScores<1>(q, k0, T, hd, m, scale, sh);
      }
    }
    for (int64_t hh = 0; hh < H; hh++) {
      // the ≤ context scores in a few vectors: max, exponentials and sum without a serial chain per position
      float* sh = s + hh * sn;
      __m512 mv = _mm512_set1_ps(-INFINITY);
      for (int64_t j0 = 0; j0 < n; j0 += 16) mv = _mm512_mask_max_ps(mv, tailMask((int)(n - j0 < 16 ? n - j0 : 16)), mv, _mm512_loadu_ps(sh + j0));
      const __m512 mb = allMax16(mv);
      __m512 sv = _mm512_setzero_ps();
      for (int64_t j0 = 0; j0 < n; j0 += 16) {
        const __mmask16 k = tailMask((int)(n - j0 < 16 ? n - j0 : 16));
        const __m512 e = _mm512_maskz_mov_ps(k, expV(_mm512_sub_ps(_mm512_loadu_ps(sh + j0), mb))  /* as the training attention */);
        _mm512_mask_storeu_ps(sh + j0, k, e);
        sv = _mm512_add_ps(sv, e);
      }
      inv[hh] = 1.f / _mm512_cvtss_f32(allSum16(sv));
    }
    for (int64_t hh = 0; hh < H; hh++) {
      // two chunks of 16 outputs at once: each broadcast p_j serves both (1.5 loads per FMA), the same
      // four chains over positions per chunk as one chunk at a time
      for (int64_t e0 = 0; e0 < hd; e0 += 32) {
        if (hd - e0 > 16) attnValues<2>(s + hh * sn, Vc + hh * hd + e0, D, n, hd - e0, _mm512_set1_ps(inv[hh]), y + hh * hd + e0);
        else attnValues<1>(s + hh * sn, Vc + hh * hd + e0, D, n, hd - e0, _mm512_set1_ps(inv[hh]), y + hh * hd + e0);
      }
    }
#else
    for (int64_t hh = 0; hh < H; hh++) {
      // softmax over positions 0..pos of q·k_j/√hd, then y_h = Σ_j p_j v_j (the full forward's row pos)
      // each chunk of W positions (then of W outputs) is summed in a register and stored once: an
      // accumulation through memory stalls on store-to-load forwarding of the masked tails
      const float* q = qkv + hh * hd;
      for (int64_t j0 = 0; j0 < n; j0 += W) {
        const int c = (int)(n - j0 < W ? n - j0 : W);
        const float* k0 = K + hh * hd * T + j0;
        V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();  // four chains, or the FMA latency bounds the sum
        int64_t e = 0;
        for (; e + 4 <= hd; e += 4) {
          a0 = fma(set1(q[e]), loadn(k0 + e * T, c), a0); a1 = fma(set1(q[e + 1]), loadn(k0 + (e + 1) * T, c), a1);
          a2 = fma(set1(q[e + 2]), loadn(k0 + (e + 2) * T, c), a2); a3 = fma(set1(q[e + 3]), loadn(k0 + (e + 3) * T, c), a3);
        }
        for (; e < hd; e++) a0 = fma(set1(q[e]), loadn(k0 + e * T, c), a0);
        storen(s + j0, mul(add(add(a0, a1), add(a2, a3)), set1(scale)), c);
      }
      // max and sum in four chains: one chain waits on each compare or add
      float m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY;
      int64_t j = 0;
      for (; j + 4 <= n; j += 4) {
        m0 = s[j] > m0 ? s[j] : m0; m1 = s[j + 1] > m1 ? s[j + 1] : m1;
        m2 = s[j + 2] > m2 ? s[j + 2] : m2; m3 = s[j + 3] > m3 ? s[j + 3] : m3;
      }
      for (; j < n; j++) m0 = s[j] > m0 ? s[j] : m0;
      m0 = m1 > m0 ? m1 : m0; m2 = m3 > m2 ? m3 : m2;
      const float m = m2 > m0 ? m2 : m0;
      for (j = 0; j < n; j++) s[j] = expApprox(s[j] - m);
      float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
      for (j = 0; j + 4 <= n; j += 4) { s0 += s[j]; s1 += s[j + 1]; s2 += s[j + 2]; s3 += s[j + 3]; }
      for (; j < n; j++) s0 += s[j];
      const float inv = 1.f / ((s0 + s1) + (s2 + s3));
      for (int64_t e0 = 0; e0 < hd; e0 += W) {
        const int c = (int)(hd - e0 < W ? hd - e0 : W);
        const float* v0 = Vc + hh * hd + e0;
        V a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
          a0 = fma(set1(s[j]), loadn(v0 + j * D, c), a0); a1 = fma(set1(s[j + 1]), loadn(v0 + (j + 1) * D, c), a1);
          a2 = fma(set1(s[j + 2]), loadn(v0 + (j + 2) * D, c), a2); a3 = fma(set1(s[j + 3]), loadn(v0 + (j + 3) * D, c), a3);
        }
        for (; j < n; j++) a0 = fma(set1(s[j]), loadn(v0 + j * D, c), a0);
        storen(y + hh * hd + e0, mul(add(add(a0, a1), add(a2, a3)), set1(inv)), c);
      }
    }
#endif
    decoderMatvec(&L.proj, y, a);
    for (int64_t d = 0; d < D; d++) x[d] += a[d];
    layerNorm1(x, L.ln2Gamma, L.ln2Beta, D, h);
    decoderMatvec(&L.fc, h, f);
    geluForward(f, g, 4 * D);  // transformer.cc: no divide, as the separate gelu1 this file had
    decoderMatvec(&L.fcProj, g, a);
    for (int64_t d = 0; d < D; d++) x[d] += a[d];
  }
  layerNorm1(x, p->lnFGamma, p->lnFBeta, D, h);
  decoderMatvec(&p->head, h, logits);
}
}}  // namespace winnow::WINNOW_ISA_NS
