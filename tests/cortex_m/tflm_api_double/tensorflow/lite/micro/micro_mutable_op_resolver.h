// TEST DOUBLE of TFLM's tensorflow/lite/micro/micro_mutable_op_resolver.h: AddCustom and the Add*
// methods (same names and signatures as TFLM's) of the builtins tfsparse's models use.
#ifndef TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_
#define TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_

#include <string.h>

#include "tensorflow/lite/micro/micro_common.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace tflite {

// Double only: runs a builtin node with tfsparse's kernels (set by the driver; see tflm_double.cc).
using BuiltinRunner = TfLiteStatus (*)(TfLiteContext* context, TfLiteNode* node);
extern BuiltinRunner g_builtin_runner;

TFLMRegistration Register_ADD();
TFLMRegistration Register_AVERAGE_POOL_2D();
TFLMRegistration Register_CONCATENATION();
TFLMRegistration Register_CONV_2D();
TFLMRegistration Register_DEPTHWISE_CONV_2D();
TFLMRegistration Register_EXPAND_DIMS();
TFLMRegistration Register_FULLY_CONNECTED();
TFLMRegistration Register_LOGISTIC();
TFLMRegistration Register_MAX_POOL_2D();
TFLMRegistration Register_MEAN();
TFLMRegistration Register_PAD();
TFLMRegistration Register_PADV2();
TFLMRegistration Register_QUANTIZE();
TFLMRegistration Register_RESHAPE();
TFLMRegistration Register_SOFTMAX();
TFLMRegistration Register_TANH();

template <unsigned int tOpCount>
class MicroMutableOpResolver {
 public:
  TfLiteStatus AddCustom(const char* name, const TFLMRegistration* registration) {
    if (count_ >= tOpCount) {
      MicroPrintf("Couldn't register custom op '%s', resolver size is too small (%d)", name, tOpCount);
      return kTfLiteError;
    }
    if (FindOp(name) != nullptr) {
      MicroPrintf("Calling AddCustom for the same op more than once is not supported (Op: %s).", name);
      return kTfLiteError;
    }
    names_[count_] = name;
    registrations_[count_++] = *registration;
    return kTfLiteOk;
  }
  TfLiteStatus AddAdd(const TFLMRegistration& registration = Register_ADD()) {
    return AddBuiltin("ADD", registration);
  }
  TfLiteStatus AddAveragePool2D(const TFLMRegistration& registration = Register_AVERAGE_POOL_2D()) {
    return AddBuiltin("AVERAGE_POOL_2D", registration);
  }
  TfLiteStatus AddConcatenation(const TFLMRegistration& registration = Register_CONCATENATION()) {
    return AddBuiltin("CONCATENATION", registration);
  }
  TfLiteStatus AddConv2D(const TFLMRegistration& registration = Register_CONV_2D()) {
    return AddBuiltin("CONV_2D", registration);
  }
  TfLiteStatus AddDepthwiseConv2D(const TFLMRegistration& registration = Register_DEPTHWISE_CONV_2D()) {
    return AddBuiltin("DEPTHWISE_CONV_2D", registration);
  }
  TfLiteStatus AddExpandDims(const TFLMRegistration& registration = Register_EXPAND_DIMS()) {
    return AddBuiltin("EXPAND_DIMS", registration);
  }
  TfLiteStatus AddFullyConnected(const TFLMRegistration& registration = Register_FULLY_CONNECTED()) {
    return AddBuiltin("FULLY_CONNECTED", registration);
  }
  TfLiteStatus AddLogistic(const TFLMRegistration& registration = Register_LOGISTIC()) {
    return AddBuiltin("LOGISTIC", registration);
  }
  TfLiteStatus AddMaxPool2D(const TFLMRegistration& registration = Register_MAX_POOL_2D()) {
    return AddBuiltin("MAX_POOL_2D", registration);
  }
  TfLiteStatus AddMean(const TFLMRegistration& registration = Register_MEAN()) {
    return AddBuiltin("MEAN", registration);
  }
  TfLiteStatus AddPad(const TFLMRegistration& registration = Register_PAD()) {
    return AddBuiltin("PAD", registration);
  }
  TfLiteStatus AddPadV2(const TFLMRegistration& registration = Register_PADV2()) {
    return AddBuiltin("PADV2", registration);
  }
  TfLiteStatus AddQuantize(const TFLMRegistration& registration = Register_QUANTIZE()) {
    return AddBuiltin("QUANTIZE", registration);
  }
  TfLiteStatus AddReshape(const TFLMRegistration& registration = Register_RESHAPE()) {
    return AddBuiltin("RESHAPE", registration);
  }
  TfLiteStatus AddSoftmax(const TFLMRegistration& registration = Register_SOFTMAX()) {
    return AddBuiltin("SOFTMAX", registration);
  }
  TfLiteStatus AddTanh(const TFLMRegistration& registration = Register_TANH()) {
    return AddBuiltin("TANH", registration);
  }

  // Double only: custom ops and builtins share one name space here.
  const TFLMRegistration* FindOp(const char* name) const {
    for (unsigned int i = 0; i < count_; ++i) {
      if (strcmp(names_[i], name) == 0) return &registrations_[i];
    }
    return nullptr;
  }
  unsigned int GetRegistrationLength() const { return count_; }

 private:
  TfLiteStatus AddBuiltin(const char* name, const TFLMRegistration& registration) {
    if (count_ >= tOpCount || FindOp(name) != nullptr) {
      MicroPrintf("Couldn't add builtin %s", name);
      return kTfLiteError;
    }
    names_[count_] = name;
    registrations_[count_++] = registration;
    return kTfLiteOk;
  }

  const char* names_[tOpCount] = {};
  TFLMRegistration registrations_[tOpCount] = {};
  unsigned int count_ = 0;
};

}  // namespace tflite

#endif  // TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_
