// TEST DOUBLE of TFLM's tensorflow/lite/micro/micro_context.h: the methods kernels call in Prepare.
#ifndef TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_CONTEXT_H_
#define TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_CONTEXT_H_

#include "tensorflow/lite/c/common.h"

namespace tflite {

class MicroContext {
 public:
  virtual ~MicroContext() = default;
  virtual void* AllocatePersistentBuffer(size_t bytes) = 0;
  virtual TfLiteTensor* AllocateTempInputTensor(const TfLiteNode* node, int index) = 0;
  virtual TfLiteTensor* AllocateTempOutputTensor(const TfLiteNode* node, int index) = 0;
  virtual void DeallocateTempTfLiteTensor(TfLiteTensor* tensor) = 0;
};

inline MicroContext* GetMicroContext(const struct TfLiteContext* context) {
  return reinterpret_cast<MicroContext*>(context->impl_);
}

}  // namespace tflite

#endif  // TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_CONTEXT_H_
