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

namespace {

TfLiteStatus NotInDouble(TfLiteContext* context, TfLiteNode* node) {
  (void)context;
  (void)node;
  MicroPrintf("this builtin is not implemented by the TFLM API test double");
  return kTfLiteError;
}

TfLiteStatus PrepareNothing(TfLiteContext* context, TfLiteNode* node) {
  (void)context;
  (void)node;
  return kTfLiteOk;
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

}  // namespace

TFLMRegistration Register_FULLY_CONNECTED() { return micro::RegisterOp(nullptr, PrepareNothing, NotInDouble); }
TFLMRegistration Register_SOFTMAX() { return micro::RegisterOp(nullptr, PrepareNothing, NotInDouble); }
TFLMRegistration Register_RESHAPE() { return micro::RegisterOp(nullptr, PrepareNothing, ReshapeEval); }

}  // namespace tflite
