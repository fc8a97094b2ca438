// TEST DOUBLE: minimal implementations of the TFLM API declared in this directory's headers.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"

void MicroPrintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
}

const char* TfLiteTypeGetName(TfLiteType type) {
  switch (type) {
    case kTfLiteInt8:
      return "INT8";
    case kTfLiteUInt8:
      return "UINT8";
    case kTfLiteInt16:
      return "INT16";
    case kTfLiteUInt16:
      return "UINT16";
    case kTfLiteInt32:
      return "INT32";
    case kTfLiteUInt32:
      return "UINT32";
    case kTfLiteFloat32:
      return "FLOAT32";
    default:
      return "Unknown type";
  }
}

namespace tflite {
namespace micro {

TFLMRegistration RegisterOp(void* (*init)(TfLiteContext*, const char*, size_t),
                            TfLiteStatus (*prepare)(TfLiteContext*, TfLiteNode*),
                            TfLiteStatus (*invoke)(TfLiteContext*, TfLiteNode*), void (*free)(TfLiteContext*, void*),
                            void (*reset)(TfLiteContext*, void*)) {
  return {init, free, prepare, invoke, reset, /*builtin_code=*/0, /*custom_name=*/nullptr};
}

const TfLiteEvalTensor* GetEvalInput(const TfLiteContext* context, const TfLiteNode* node, int index) {
  const int tensor = node->inputs->data[index];
  return tensor < 0 ? nullptr : context->GetEvalTensor(context, tensor);
}

TfLiteEvalTensor* GetEvalOutput(const TfLiteContext* context, const TfLiteNode* node, int index) {
  return context->GetEvalTensor(context, node->outputs->data[index]);
}

}  // namespace micro

// Builtins are NOT TFLM's kernels here: when the driver links a generated standalone model, it sets
// g_builtin_runner to run the same op with tfsparse's own C kernels (a plumbing check, not an
// oracle); otherwise only RESHAPE (a byte copy) runs.
BuiltinRunner g_builtin_runner = nullptr;

namespace {

TfLiteStatus PrepareNothing(TfLiteContext* context, TfLiteNode* node) {
  (void)context;
  (void)node;
  return kTfLiteOk;
}

TfLiteStatus BuiltinEval(TfLiteContext* context, TfLiteNode* node) {
  if (g_builtin_runner != nullptr) return g_builtin_runner(context, node);
  MicroPrintf("this builtin is not implemented by the TFLM API test double");
  return kTfLiteError;
}

// RESHAPE on int8 data: the bytes do not change.
TfLiteStatus ReshapeEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* in = micro::GetEvalInput(context, node, 0);
  TfLiteEvalTensor* out = micro::GetEvalOutput(context, node, 0);
  int64_t n = 1;
  for (int i = 0; i < in->dims->size; ++i) n *= in->dims->data[i];
  if (in->data.raw != out->data.raw) memmove(out->data.raw, in->data.raw, static_cast<size_t>(n));
  return kTfLiteOk;
}

// Builtins keep the driver's init data (the op's arena offsets) as user_data.
void* KeepInitData(TfLiteContext* context, const char* buffer, size_t length) {
  (void)context;
  (void)length;
  return const_cast<char*>(buffer);
}

TFLMRegistration Builtin() { return micro::RegisterOp(KeepInitData, PrepareNothing, BuiltinEval); }

}  // namespace

TFLMRegistration Register_RESHAPE() {
  return micro::RegisterOp(KeepInitData, PrepareNothing, [](TfLiteContext* c, TfLiteNode* n) {
    return g_builtin_runner != nullptr ? g_builtin_runner(c, n) : ReshapeEval(c, n);
  });
}
TFLMRegistration Register_ADD() { return Builtin(); }
TFLMRegistration Register_AVERAGE_POOL_2D() { return Builtin(); }
TFLMRegistration Register_CONCATENATION() { return Builtin(); }
TFLMRegistration Register_CONV_2D() { return Builtin(); }
TFLMRegistration Register_DEPTHWISE_CONV_2D() { return Builtin(); }
TFLMRegistration Register_EXPAND_DIMS() { return Builtin(); }
TFLMRegistration Register_FULLY_CONNECTED() { return Builtin(); }
TFLMRegistration Register_LOGISTIC() { return Builtin(); }
TFLMRegistration Register_MAX_POOL_2D() { return Builtin(); }
TFLMRegistration Register_MEAN() { return Builtin(); }
TFLMRegistration Register_PAD() { return Builtin(); }
TFLMRegistration Register_PADV2() { return Builtin(); }
TFLMRegistration Register_QUANTIZE() { return Builtin(); }
TFLMRegistration Register_SOFTMAX() { return Builtin(); }
TFLMRegistration Register_TANH() { return Builtin(); }

}  // namespace tflite
