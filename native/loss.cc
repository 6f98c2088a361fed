// Softmax cross-entropy and accuracy over logits [classes×n] (batch-last: column j is sample j).
// Scalar double arithmetic per column: classes is small (10) and this is a few µs per step.
#include <cmath>
#include "dispatch.h"

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
