// TEST DOUBLE of TFLM's tensorflow/lite/micro/micro_mutable_op_resolver.h: AddCustom and the Add*
// methods of the builtins tfsparse models use (FULLY_CONNECTED, RESHAPE, SOFTMAX).
#ifndef TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_
#define TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_MUTABLE_OP_RESOLVER_H_

#include <string.h>

#include "tensorflow/lite/micro/micro_common.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace tflite {

TFLMRegistration Register_FULLY_CONNECTED();
TFLMRegistration Register_RESHAPE();
TFLMRegistration Register_SOFTMAX();

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
  TfLiteStatus AddFullyConnected(const TFLMRegistration& registration = Register_FULLY_CONNECTED()) {
    return AddBuiltin("FULLY_CONNECTED", registration);
  }
  TfLiteStatus AddReshape() { return AddBuiltin("RESHAPE", Register_RESHAPE()); }
  TfLiteStatus AddSoftmax(const TFLMRegistration& registration = Register_SOFTMAX()) {
    return AddBuiltin("SOFTMAX", registration);
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
