// The one list of native kernels. Each X(ret, name, params) entry generates
//   - a function-pointer member of the per-ISA table `Kernels` (dispatch.h),
//   - the declaration each kernel file defines inside WINNOW_ISA_NS (dispatch.h),
//   - the table instance of each ISA level (kernels.cc),
//   - for WINNOW_KERNELS, the JS export `name` backed by binding.cc's checked wrapper `js_name`.
// The TypeScript side lists the same exports in src/backend/kernels.ts; test/backend/native-load.test.ts
// fails when the two disagree.
// Kernels trust their arguments: binding.cc validates every count, array length and index first.
#pragma once
#include <cstdint>

namespace winnow { struct DecMatrix; struct DecPlan; }  // decoder.h

// Kernels exported to JS under their own name (the Backend kernels, same argument order, plus fmaPeak and gatherPeak).
#define WINNOW_KERNELS(X)                                                                                           \
  /* C[m×n] = alpha·op(A)·op(B) + beta·C; false only when the packing buffers cannot be allocated. */                \
  X(bool, gemm, (bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,         \
                 const float* b, int64_t ldb, float beta, float* c, int64_t ldc))                                    \
  /* The sparse kernels also get the row count of their dense source (x, dy, x), which they may copy to an */      \
  /* aligned scratch first (sparse.cc), and x's row stride ldx >= n: rows laid out 64-byte aligned at a stride of */ \
  /* whole vectors need no copy. */                                                                                  \
  /* spmm: values in CSR order, or (perm not null) entry q's value at values[perm[q]] (CSC-ordered values) */     \
  X(void, spmm, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const int32_t* perm, const float* values, \
                 const float* x, int64_t cols, int64_t n, float beta, float* y, int64_t ldx))                        \
  X(void, spmmT, (int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm,                   \
                  const float* values, const float* dy, int64_t rows, int64_t n, float beta, float* dx))             \
  X(void, sddmm, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x,       \
                  int64_t xRows, int64_t n, float* out, int64_t ldx))                                                \
  /* spmmT and sddmm in one pass over the CSC index (bit-identical to the two calls; out in CSR order). perm null: */ \
  /* values and out in CSC order (no permutation at all); dx null: the gradient only (sddmm, beta unused). */         \
  X(void, sparseBackward, (int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm,          \
                           const float* values, const float* dy, int64_t rows, const float* x, int64_t n, float beta,  \
                           float* dx, float* out, int64_t ldx, int64_t ldy))                                         \
  /* sddmm's products summed in another order, fast for many columns (the GPT path; sparse.cc); false only */     \
  /* when its scratch cannot be allocated */                                                                         \
  X(bool, sddmmWide, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x,   \
                      int64_t xRows, int64_t n, float* out))                                                         \
  /* spmmT, sddmmWide (and rowSum of dY when biasGrad is not null, dx·geluGrad when geluGrad is not null) in one */\
  /* pass per column chunk (the GPT path; */                                                                      \
  /* bit-identical to the separate calls); false */                                                                 \
  /* only when its scratch cannot be allocated */                                                                    \
  X(bool, sparseBackwardWide, (int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm,      \
                               const float* values, const float* dy, int64_t rows, const float* x, int64_t n,        \
                               float beta, float* dx, float* out, float* biasGrad, const float* geluGrad))           \
  /* spmm (beta 0), the bias per row, optionally a residual and GELU (y then becomes GELU'(y)), in one pass (the */ \
  /* GPT path; bit for bit) */                                                                                       \
  X(bool, spmmWide, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x, \
                     int64_t cols, int64_t n, const float* bias, const float* res, float* y, float* gelu))           \
  X(void, biasActivation, (float* y, const float* bias, int64_t rows, int64_t n, bool relu))                          \
  X(void, reluBackward, (const float* y, float* dy, int64_t len))                                                    \
  /* reluBackward into rows ld apart (pad lanes 0): the output gradient a sparse layer's backward reads in place */  \
  X(void, reluBackwardTo, (const float* y, const float* dy, int64_t rows, int64_t n, float* out, int64_t ld))        \
  X(void, rowSum, (const float* dy, int64_t rows, int64_t n, float* out, int64_t ld))                                \
  X(double, softmaxCrossEntropy, (const float* logits, const int32_t* labels, int64_t classes, int64_t n,            \
                                  float* grad))                                                                      \
  /* the same in float across the columns with simd::expV (the GPT path; not bit for bit with the above) */        \
  X(double, softmaxCrossEntropyWide, (const float* logits, const int32_t* labels, int64_t classes, int64_t n,        \
                                      float* grad))                                                                  \
  X(int64_t, countCorrect, (const float* logits, const int32_t* labels, int64_t classes, int64_t n))                 \
  X(void, applyMask, (float* x, const uint8_t* mask, int64_t len))                                                   \
  X(void, gatherColumns, (const float* src, int64_t features, const int32_t* idx, int64_t batch, float* out,          \
                          int64_t ld))                                                                               \
  /* GPT embeddings (gather.cc): out[d×n] (+)= table[idx[j], d], the table dense [rows×D] (rowPtr null) or CSR; */   \
  /* and the adjoint grad[idx[j], d] += dx[d, j] (grad dense, or CSR-ordered at the kept entries) */                  \
  X(void, embeddingGather, (const float* table, const int32_t* rowPtr, const int32_t* colIdx, int64_t rows,         \
                            int64_t D, const int32_t* idx, int64_t n, float* out, bool accumulate))                 \
  X(void, embeddingScatterAdd, (float* grad, const int32_t* rowPtr, const int32_t* colIdx, int64_t D,               \
                                const int32_t* idx, int64_t n, const float* dx))                                   \
  X(void, sgdStep, (float* w, const float* g, int64_t len, float lr, float wd))                                      \
  X(void, momentumStep, (float* w, const float* g, float* v, int64_t len, float lr, float mu, float wd))             \
  /* b1, b2 stay double: the bias corrections 1 − b^t are sensitive to their rounding at large t. */                 \
  X(void, adamStep, (float* w, const float* g, float* m, float* v, int64_t len, float lr, double b1, double b2,      \
                     float eps, double step))                                                                        \
  X(void, im2col, (const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw,           \
                   int64_t stride, int64_t pad, float* col))                                                         \
  X(void, col2im, (const float* col, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw,         \
                   int64_t stride, int64_t pad, float* dx))                                                          \
  X(void, maxPoolForward, (const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t k,                \
                           int64_t stride, float* y, int32_t* argmax))                                               \
  X(void, maxPoolBackward, (const float* dy, const int32_t* argmax, int64_t outLen, float* dx, int64_t inLen))       \
  /* transformer glue (transformer.cc): tanh-GELU and LayerNorm over [d×n], forward and backward */                 \
  X(void, geluForward, (const float* x, float* y, int64_t len))                                                      \
  X(void, geluBackward, (const float* x, const float* dy, float* dx, int64_t len))                                   \
  /* y = GELU(x) and dydx = gelu'(x) (dydx may alias x: the GPT keeps the derivative, not x, for its backward) */      \
  X(void, geluForwardWithGrad, (const float* x, float* y, float* dydx, int64_t len))                                 \
  /* dx = dy·dydx (dx may alias dy): geluBackward from that stored derivative */                                     \
  X(void, geluBackwardFromGrad, (const float* dydx, const float* dy, float* dx, int64_t len))                         \
  X(void, layerNormForward, (const float* x, const float* gamma, const float* beta, int64_t d, int64_t n, float* y,  \
                             float* mean, float* rstd))                                                              \
  X(void, layerNormBackward, (const float* dy, const float* x, const float* gamma, const float* mean,                \
                              const float* rstd, int64_t d, int64_t n, float* dx, float* dgamma, float* dbeta,        \
                              bool accumulate))                                                                      \
  /* fused causal multi-head attention from the fused projection qkv [3D×B·T] (transformer.cc); p [B·H×T×T] keeps */ \
  /* the probabilities; false only when the per-thread scratch cannot be allocated */                               \
  X(bool, causalAttentionForward, (const float* qkv, int64_t B, int64_t T, int64_t H, int64_t D, float* y, float* p)) \
  X(bool, causalAttentionBackward, (const float* dy, const float* qkv, const float* p, int64_t B, int64_t T,          \
                                    int64_t H, int64_t D, float* dqkv))                                               \
  /* NEAT programs (neat.cc): one program over B columns of values [nSlots×B], in place; zeroes the computed */     \
  /* rows first unless keepState. */                                                                                 \
  X(void, neatForward, (int64_t nIn, int64_t nEval, const int32_t* start, const int32_t* src, const double* weight, \
                        const uint8_t* act, const double* bias, double* values, int64_t B, bool keepState))          \
  /* G concatenated programs over the same inputs, each from a zero state (lockstep population evaluation). */      \
  X(void, neatForwardMany, (int64_t G, int64_t nIn, int64_t nOut, const int32_t* nodeOff, const int32_t* start,     \
                            const int32_t* src, const double* weight, const uint8_t* act, const double* bias,        \
                            const int32_t* outSlot, const double* input, int64_t B, double* values, double* out))    \
  /* y = e^x with the NEAT kernels' vector exp (exposed for accuracy tests against Math.exp). */                    \
  X(void, neatExp, (const double* x, double* y, int64_t n))                                                          \
  /* Independent FMA chains for `iters` iterations; returns the floating-point operations performed. */             \
  X(double, fmaPeak, (int64_t iters, float* sink))                                                                 \
  /* spmm's inner loop alone over a [srcRows × one chunk] source, reps × 4096 nonzeros; returns the flops done. */   \
  X(double, gatherPeak, (int64_t srcRows, int64_t reps, float* sink))

// Kernels used only inside the addon: batch-1 inference y = W·x, W in CSR or dense row-major (infer.cc),
// and the index range scan of the argument checks (gather.cc).
#define WINNOW_INTERNAL_KERNELS(X)                                                                                   \
  X(void, csrMatvec, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values,               \
                      const float* x, float* y))                                                                     \
  X(void, denseMatvec, (int64_t rows, int64_t cols, const float* w, const float* x, float* y))                        \
  /* y = W·x for CSR W, vectorized along the row with gathers of x (long rows: pruned transformer matrices). */   \
  X(void, csrGatherMatvec, (int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values,         \
                            const float* x, float* y))                                                               \
  /* The same two CSR products with 16-bit column indices (cols ≤ 65536): a third fewer bytes per nonzero. The */  \
  /* scalar one needs every row's length a multiple of 4 (the prepared layer pads rows with zero values that */   \
  /* point at a zero appended to x), so no row ends in an unpredictable tail loop. */                             \
  X(void, csr16Matvec, (int64_t rows, const int32_t* rowPtr, const uint16_t* colIdx, const float* values,            \
                        const float* x, float* y))                                                                   \
  X(void, csr16GatherMatvec, (int64_t rows, const int32_t* rowPtr, const uint16_t* colIdx, const float* values,      \
                              const float* x, float* y))                                                             \
  /* y = W·x for 2:4 W: per row, per group of 4 columns, 2 values and their offsets 0..3 in the group. */          \
  X(void, nm24Matvec, (int64_t rows, int64_t cols, const float* values, const uint8_t* offsets, const float* x,      \
                       float* y))                                                                                    \
  /* y = W·x for a bitmap W (decoder.h): per row and block of 16 columns a mask and the packed nonzeros. */          \
  X(void, bitmapMatvec, (int64_t rows, int64_t cols, const uint16_t* masks, const int32_t* rowPtr,                    \
                         const float* values, const float* x, float* y))                                             \
  /* y = W·x (+ bias when not null) for a sliced-ELL W (decoder.h): slices of 16 rows, layers of one nonzero per */ \
  /* row in a 32-column window. */                                                                                  \
  X(void, sellMatvec, (int64_t rows, const int32_t* slicePtr, const uint16_t* windows, const uint8_t* offsets,        \
                       const float* values, const float* x, float* y, const float* bias))                            \
  /* y = W·x + b in the matrix's decoder format; one fused GPT decoder step (decoder.cc). */                        \
  X(void, decoderMatvec, (const winnow::DecMatrix* m, const float* x, float* y))                                     \
  X(void, decoderStep, (const winnow::DecPlan* p, float* keys, float* vals, float* work, int64_t pos, int64_t token,  \
                        float* logits))                                                                              \
  /* Whether any v[0..len) lies outside [0, bound), 0 ≤ bound ≤ 2^31 (binding.cc's index checks, vectorized). */\
  X(bool, anyOutside, (const int32_t* v, int64_t len, int64_t bound))

// JS exports that are not table kernels (binding.cc js_name): ISA control and prepared inference nets.
#define WINNOW_CONTROL_EXPORTS(E) E(isa) E(supportedIsas) E(setIsa) E(addressMod64) E(netCreate) E(netAddLayer) E(netForward) \
  E(decCreate) E(decSetBlock) E(decSetMatrix) E(decStep) E(decReset) E(matCreate) E(matForward) \
  E(patternCreate) E(patternSpmm) E(patternSddmm) E(patternBackward)
