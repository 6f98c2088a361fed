// The kernel table: one instance per ISA level, chosen at load time (binding.cc).
// Every kernel .cc file is compiled three times (gyp targets winnow_kernels_{avx512,avx2,generic})
// with WINNOW_ISA_NS naming the namespace and per-target -m flags, so one source serves all levels.
// Kernels trust their arguments: binding.cc validates every count and array length first.
#pragma once
#include <cstdint>

namespace winnow {

struct Kernels {
  const char* isa;
  // C[m×n] = alpha·op(A)·op(B) + beta·C; false only when the packing buffers cannot be allocated.
  bool (*gemm)(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
  void (*spmm)(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values,
               const float* x, int64_t n, float beta, float* y);
  void (*spmmT)(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm,
                const float* values, const float* dy, int64_t n, float beta, float* dx);
  void (*sddmm)(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x,
                int64_t n, float* out);
  void (*biasActivation)(float* y, const float* bias, int64_t rows, int64_t n, bool relu);
  void (*reluBackward)(const float* y, float* dy, int64_t len);
  void (*rowSum)(const float* dy, int64_t rows, int64_t n, float* out);
  double (*softmaxCrossEntropy)(const float* logits, const int32_t* labels, int64_t classes, int64_t n, float* grad);
  int64_t (*countCorrect)(const float* logits, const int32_t* labels, int64_t classes, int64_t n);
  void (*applyMask)(float* x, const uint8_t* mask, int64_t len);
  void (*gatherColumns)(const float* src, int64_t features, const int32_t* idx, int64_t batch, float* out);
  void (*sgdStep)(float* w, const float* g, int64_t len, float lr, float wd);
  void (*momentumStep)(float* w, const float* g, float* v, int64_t len, float lr, float mu, float wd);
    // b1, b2 stay double: the bias corrections 1 − b^t are sensitive to their rounding at large t.
  void (*adamStep)(float* w, const float* g, float* m, float* v, int64_t len, float lr, double b1, double b2,
                   float eps, double step);
  void (*im2col)(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw,
                 int64_t stride, int64_t pad, float* col);
  void (*col2im)(const float* col, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw,
                 int64_t stride, int64_t pad, float* dx);
  void (*maxPoolForward)(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t k, int64_t stride,
                         float* y, int32_t* argmax);
  void (*maxPoolBackward)(const float* dy, const int32_t* argmax, int64_t outLen, float* dx, int64_t inLen);
  // Independent FMA chains for `iters` iterations; returns the floating-point operations performed.
  double (*fmaPeak)(int64_t iters, float* sink);
  // Batch-1 inference: y = W·x with W in CSR or dense row-major (infer.cc).
  void (*csrMatvec)(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
                    float* y);
  void (*denseMatvec)(int64_t rows, int64_t cols, const float* w, const float* x, float* y);
};

namespace avx512 { const Kernels* table(); }
namespace avx2 { const Kernels* table(); }
namespace generic { const Kernels* table(); }

}  // namespace winnow

// Declarations shared by the per-ISA kernel files (each defines its part inside WINNOW_ISA_NS).
#ifdef WINNOW_ISA_NS
namespace winnow { namespace WINNOW_ISA_NS {
bool gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void spmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
          int64_t n, float beta, float* y);
void spmmT(int64_t cols, const int32_t* colPtr, const int32_t* rowIdx, const int32_t* perm, const float* values,
           const float* dy, int64_t n, float beta, float* dx);
void sddmm(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* dy, const float* x, int64_t n,
           float* out);
void biasActivation(float* y, const float* bias, int64_t rows, int64_t n, bool relu);
void reluBackward(const float* y, float* dy, int64_t len);
void rowSum(const float* dy, int64_t rows, int64_t n, float* out);
double softmaxCrossEntropy(const float* logits, const int32_t* labels, int64_t classes, int64_t n, float* grad);
int64_t countCorrect(const float* logits, const int32_t* labels, int64_t classes, int64_t n);
void applyMask(float* x, const uint8_t* mask, int64_t len);
void gatherColumns(const float* src, int64_t features, const int32_t* idx, int64_t batch, float* out);
void sgdStep(float* w, const float* g, int64_t len, float lr, float wd);
void momentumStep(float* w, const float* g, float* v, int64_t len, float lr, float mu, float wd);
void adamStep(float* w, const float* g, float* m, float* v, int64_t len, float lr, double b1, double b2, float eps,
              double step);
void im2col(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, float* col);
void col2im(const float* col, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t kh, int64_t kw, int64_t stride,
            int64_t pad, float* dx);
void maxPoolForward(const float* x, int64_t c, int64_t h, int64_t w, int64_t batch, int64_t k, int64_t stride,
                    float* y, int32_t* argmax);
void maxPoolBackward(const float* dy, const int32_t* argmax, int64_t outLen, float* dx, int64_t inLen);
double fmaPeak(int64_t iters, float* sink);
void csrMatvec(int64_t rows, const int32_t* rowPtr, const int32_t* colIdx, const float* values, const float* x,
               float* y);
void denseMatvec(int64_t rows, int64_t cols, const float* w, const float* x, float* y);
}}  // namespace winnow::WINNOW_ISA_NS
#endif
