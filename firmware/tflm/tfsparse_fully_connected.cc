/* tfsparse: TFSPARSE_FULLY_CONNECTED as a TFLM kernel (Init / Prepare / Eval, TFLM's kernel shape).
 *
 * Init parses the flexbuffer options into persistent op data; Prepare checks tensor types and shapes
 * and runs the C kernel's own Prepare checks on the constant tensors; Eval only gathers tensor
 * pointers and calls tfs_fully_connected_eval. Written against TFLM's kernel API as its own kernels
 * use it (kernels/fully_connected.cc, kernels/circular_buffer.cc); see the header for the tensors.
 */
#include "tfsparse_fully_connected.h"

#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tfs_fully_connected.h"
#include "tfsparse_csr_op.h"

namespace tfsparse {
namespace {

using namespace csr_op;  // NOLINT(build/namespaces): the tensor indices and helpers both CSR ops share

constexpr const char* kOp = "TFSPARSE_FULLY_CONNECTED";

struct OpData {
  // Scalars from the options; the array pointers are filled from the tensors at each Eval.
  tfs_fc_params_t params;
  int32_t num_entries;
  bool options_ok;
  int32_t* scratch;  // the column form's int32 accumulators (TFS_FC_SCRATCH_BYTES), else nullptr
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  OpData* data = static_cast<OpData*>(context->AllocatePersistentBuffer(context, sizeof(OpData)));
  if (data == nullptr) return nullptr;
  data->options_ok = false;
  data->scratch = nullptr;
  if (buffer == nullptr || length == 0) return data;
  const flexbuffers::Map m = flexbuffers::GetRoot(reinterpret_cast<const uint8_t*>(buffer), length).AsMap();
  data->options_ok = ReadCsrOptions(m, kOp, &data->params, &data->num_entries);
  return data;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_MSG(context, node->user_data != nullptr,
                     "TFSPARSE_FULLY_CONNECTED: Init could not allocate its op data: the tensor arena is too small");
  OpData* data = static_cast<OpData*>(node->user_data);
  TF_LITE_ENSURE_MSG(context, data->options_ok, "TFSPARSE_FULLY_CONNECTED: bad or missing custom options");
  TF_LITE_ENSURE_EQ(context, node->inputs->size, kNumInputs);
  TF_LITE_ENSURE_EQ(context, node->outputs->size, 1);
  const tfs_fc_params_t& p = data->params;
  TF_LITE_ENSURE_MSG(context, p.encoding != TFS_ENC_DENSE,
                     "TFSPARSE_FULLY_CONNECTED: dense layers are builtin FULLY_CONNECTED ops");
  TF_LITE_ENSURE(context, p.rows > 0 && p.cols > 0 && data->num_entries >= 0);

  TempTensors temps;
  TfLiteTensor* const* tensors = temps.inputs;
  TfLiteStatus status = temps.Allocate(context, node, kOp) ? kTfLiteOk : kTfLiteError;
  const TfLiteTensor* input = tensors[kInputTensor];
  const TfLiteTensor* output = temps.output;
  if (status != kTfLiteOk) {
    // logged by Allocate
  } else if (input->type != kTfLiteInt8 || output->type != kTfLiteInt8) {
    MicroPrintf("TFSPARSE_FULLY_CONNECTED: input and output must be int8 tensors (got %s and %s)",
                TfLiteTypeGetName(input->type), TfLiteTypeGetName(output->type));
    status = kTfLiteError;
  } else if (ElementCount(input->dims) % p.cols != 0 ||
             ElementCount(output->dims) != ElementCount(input->dims) / p.cols * p.rows) {
    MicroPrintf("TFSPARSE_FULLY_CONNECTED: input of %d elements and output of %d elements do not fit a "
                "%d x %d layer", static_cast<int>(ElementCount(input->dims)),
                static_cast<int>(ElementCount(output->dims)), static_cast<int>(p.rows), static_cast<int>(p.cols));
    status = kTfLiteError;
  }
  if (status == kTfLiteOk) status = CheckCsrTensors(tensors, &data->params, data->num_entries, kOp);
  if (status == kTfLiteOk) {
    const tfs_fc_params_t bound =
        BindCsrTensors(data->params, [&](int i) -> const void* { return tensors[i]->data.data; });
    if (tfs_fully_connected_prepare(&bound) != TFS_OK) {
      MicroPrintf("TFSPARSE_FULLY_CONNECTED: the kernel rejected the layer's parameters (%d x %d, encoding %d)",
                  static_cast<int>(p.rows), static_cast<int>(p.cols), static_cast<int>(p.encoding));
      status = kTfLiteError;
    }
  }
  const size_t scratch_bytes = TFS_FC_SCRATCH_BYTES(p.encoding, p.rows);
  if (status == kTfLiteOk && scratch_bytes > 0 && data->scratch == nullptr) {
    // Kept for the op's lifetime (TFLM allows persistent buffers in Prepare): rows * 4 bytes.
    data->scratch = static_cast<int32_t*>(context->AllocatePersistentBuffer(context, scratch_bytes));
    if (data->scratch == nullptr) {
      MicroPrintf("TFSPARSE_FULLY_CONNECTED: no room in the tensor arena for %d bytes of accumulators; enlarge it",
                  static_cast<int>(scratch_bytes));
      status = kTfLiteError;
    }
  }
  temps.Release();
  return status;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, kInputTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, kOutputTensor);
  const tfs_fc_params_t p = BindCsrTensors(data.params, [&](int i) -> const void* {
    return tflite::micro::GetEvalInput(context, node, i)->data.data;
  });
  tfs_fully_connected_eval_scratch(&p, static_cast<int32_t>(ElementCount(input->dims) / p.cols),
                                   tflite::micro::GetTensorData<int8_t>(input),
                                   tflite::micro::GetTensorData<int8_t>(output), data.scratch);
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_TFSPARSE_FULLY_CONNECTED() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace tfsparse
