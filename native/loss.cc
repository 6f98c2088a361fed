// Softmax cross-entropy and accuracy over logits [classes×n] (batch-last: column j is sample j).
// softmaxCrossEntropy: scalar double arithmetic per column (libm exp), the results the LeNet/MLP digests pin.
// softmaxCrossEntropyWide (the GPT, 65 × 768): float across the columns, W at a time, with simd::expV.
#include <cmath>
#include <cstring>
#include "dispatch.h"
#include "simd.h"

namespace winnow { namespace WINNOW_ISA_NS {

// grad[c,j] = (softmax(logits[:,j])[c] − [c == label_j]) / n; returns Σ_j −log softmax[label_j].
double softmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t classes, int64_t n, float* grad) {
  double loss = 0.0;
  const double invN = n > 0 ? 1.0 / (double)n : 0.0;
  for (int64_t j = 0; j < n; j++) {
    double mx = -INFINITY;
    for (int64_t c = 0; c < classes; c++) { const double v = logits[c * n + j]; mx = v > mx ? v : mx; }
    // grad holds exp(l − max) (float) until the sum is known: one exp per logit.
    double sum = 0.0;
    for (int64_t c = 0; c < classes; c++) {
      const double e = std::exp((double)logits[c * n + j] - mx);
      grad[c * n + j] = (float)e;
      sum += e;
    }
    const int64_t label = labels[j];
    loss += std::log(sum) - ((double)logits[label * n + j] - mx);
    const double scale = invN / sum;
    for (int64_t c = 0; c < classes; c++) grad[c * n + j] = (float)((double)grad[c * n + j] * scale);
    // The label entry from double precision: p − 1 cancels when p ≈ 1.
    grad[label * n + j] = (float)((std::exp((double)logits[label * n + j] - mx) / sum - 1.0) * invN);
  }
  return loss;
}

// As softmaxCrossEntropy, W columns a pass (lanes = columns, so nothing sums across lanes): max, e = e^(l − max)
// stored in grad with its sum Σ and the sum without the label's entry Σ′, grad scaled by 1/(nΣ); then per column
// the label entry −Σ′/(nΣ) (no cancellation in p − 1 when p ≈ 1) and the loss term log Σ − (l_label − max) in
// double. A block's 65 rows of W floats stay in L1 across the three passes. gpt:4-4-128-64 at batch 12
// (65 × 768, min of interleaved calls, load 2.5–6): 397–755 → 29 µs with AVX-512 (AVX2 39, generic 214 µs);
// in the 10% step's profile 0.31–0.68 → 0.03–0.04 ms. The old kernel spends ≈ 6 ns a logit in libm's double exp.
double softmaxCrossEntropyWide(const float* logits, const int32_t* labels, int64_t classes, int64_t n, float* grad) {
  using namespace simd;
  typedef int32_t VI __attribute__((vector_size(sizeof(V))));
  double loss = 0.0;
  const float invN = n > 0 ? (float)(1.0 / (double)n) : 0.0f;
  for (int64_t j0 = 0; j0 < n; j0 += W) {
    const int cnt = n - j0 < W ? (int)(n - j0) : W;
    const bool whole = cnt == W;
    auto get = [&](const float* p) { return whole ? load(p) : loadn(p, cnt); };  // tail lanes read 0, never stored
    auto put = [&](float* p, V v) { if (whole) store(p, v); else storen(p, v, cnt); };
    int32_t lab[W] = {};
    std::memcpy(lab, labels + j0, sizeof(int32_t) * cnt);
    VI label;
    std::memcpy(&label, lab, sizeof label);
    V mx = set1(-INFINITY);
    for (int64_t c = 0; c < classes; c++) mx = max(mx, get(logits + c * n + j0));
    V sum = zero(), rest = zero();
    for (int64_t c = 0; c < classes; c++) {
      const V e = expV(get(logits + c * n + j0) - mx);
      put(grad + c * n + j0, e);
      sum = add(sum, e);
      rest = add(rest, (V)((VI)e & ~(label == (int32_t)c)));  // e where c ≠ label
    }
    const V scale = set1(invN) / sum;
    for (int64_t c = 0; c < classes; c++) put(grad + c * n + j0, mul(get(grad + c * n + j0), scale));
    float s[W], r[W], m[W];
    store(s, sum); store(r, rest); store(m, mx);
    for (int l = 0; l < cnt; l++) {
      const int64_t at = lab[l] * n + j0 + l;
      grad[at] = (0.0f - r[l] / s[l]) * invN;
      loss += std::log((double)s[l]) - ((double)logits[at] - (double)m[l]);
    }
  }
  return loss;
}

// Columns whose first maximal logit is at the label.
int64_t countCorrect(const float* logits, const int32_t* labels, int64_t classes, int64_t n) {
  int64_t correct = 0;
  if (classes <= 0) return 0;
  for (int64_t j = 0; j < n; j++) {
    int64_t best = 0;
    float bv = logits[j];
    for (int64_t c = 1; c < classes; c++) {
      const float v = logits[c * n + j];
      if (v > bv) { bv = v; best = c; }
    }
    correct += best == labels[j];
  }
  return correct;
}

}}  // namespace winnow::WINNOW_ISA_NS
