/* tfsparse: TFSPARSE_CONV_2D as a TFLM kernel (Init / Prepare / Eval, TFLM's kernel shape).
 *
 * Init parses the flexbuffer options into persistent op data; Prepare checks the NHWC shapes against
 * the options, checks the constant CSR tensors, runs the C kernel's Prepare and requests the kernel's
 * scratch from the arena; Eval binds tensor pointers and calls tfs_conv_2d_eval. Written against
 * TFLM's kernel API as its own kernels use it (kernels/conv.cc); see the header for the tensors.
 */
#include "tfsparse_conv_2d.h"

#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tfs_conv.h"
#include "tfsparse_csr_op.h"

namespace tfsparse {
namespace {

using namespace csr_op;  // NOLINT(build/namespaces): the tensor indices and helpers both CSR ops share

constexpr const char* kOp = "TFSPARSE_CONV_2D";

struct OpData {
  tfs_conv_params_t params;  // array pointers are bound from the tensors at each Eval
  int32_t num_entries;
  int scratch_index;
  bool options_ok;
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  OpData* data = static_cast<OpData*>(context->AllocatePersistentBuffer(context, sizeof(OpData)));
  if (data == nullptr) return nullptr;
  data->options_ok = false;
  data->scratch_index = -1;
  if (buffer == nullptr || length == 0) return data;
  const flexbuffers::Map m = flexbuffers::GetRoot(reinterpret_cast<const uint8_t*>(buffer), length).AsMap();
  static const char* const kKeys[] = {"filter_height",  "filter_width",           "input_channels",
                                      "output_channels", "stride_height",         "stride_width",
                                      "dilation_height_factor", "dilation_width_factor", "padding_height",
                                      "padding_width",  "input_zero_point"};
  if (!ReadCsrOptions(m, kOp, &data->params.fc, &data->num_entries) || !HasKeys(m, kKeys, 11, kOp)) return data;
  tfs_window_t& w = data->params.window;
  w.filter_height = m["filter_height"].AsInt32();
  w.filter_width = m["filter_width"].AsInt32();
  w.input_channels = m["input_channels"].AsInt32();
  w.output_channels = m["output_channels"].AsInt32();
  w.stride_height = m["stride_height"].AsInt32();
  w.stride_width = m["stride_width"].AsInt32();
  w.dilation_height = m["dilation_height_factor"].AsInt32();
  w.dilation_width = m["dilation_width_factor"].AsInt32();
  w.padding_height = m["padding_height"].AsInt32();
  w.padding_width = m["padding_width"].AsInt32();
  data->params.input_zero_point = m["input_zero_point"].AsInt32();
  data->options_ok = true;
  return data;
}

// Checks input/output are int8 NHWC of batch 1 matching the options; fills the window's sizes.
TfLiteStatus CheckActivations(const TfLiteTensor* input, const TfLiteTensor* output, tfs_conv_params_t* p) {
  if (input->type != kTfLiteInt8 || output->type != kTfLiteInt8) {
    MicroPrintf("TFSPARSE_CONV_2D: input and output must be int8 tensors (got %s and %s)",
                TfLiteTypeGetName(input->type), TfLiteTypeGetName(output->type));
    return kTfLiteError;
  }
  const TfLiteIntArray* in = input->dims;
  const TfLiteIntArray* out = output->dims;
  tfs_window_t& w = p->window;
  if (in->size != 4 || out->size != 4 || in->data[0] != 1 || out->data[0] != 1 || in->data[3] != w.input_channels ||
      out->data[3] != w.output_channels || p->fc.rows != w.output_channels ||
      p->fc.cols != w.filter_height * w.filter_width * w.input_channels) {
    MicroPrintf("TFSPARSE_CONV_2D: input and output must be NHWC of batch 1 with %d and %d channels for a %d x %d "
                "CSR matrix of %d x %d x %d taps", static_cast<int>(w.input_channels),
                static_cast<int>(w.output_channels), static_cast<int>(p->fc.rows), static_cast<int>(p->fc.cols),
                static_cast<int>(w.filter_height), static_cast<int>(w.filter_width), static_cast<int>(w.input_channels));
    return kTfLiteError;
  }
  w.input_height = in->data[1];
  w.input_width = in->data[2];
  w.output_height = out->data[1];
  w.output_width = out->data[2];
  return kTfLiteOk;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_MSG(context, node->user_data != nullptr,
                     "TFSPARSE_CONV_2D: Init could not allocate its op data: the tensor arena is too small");
  OpData* data = static_cast<OpData*>(node->user_data);
  TF_LITE_ENSURE_MSG(context, data->options_ok, "TFSPARSE_CONV_2D: bad or missing custom options");
  TF_LITE_ENSURE_EQ(context, node->inputs->size, kNumInputs);
  TF_LITE_ENSURE_EQ(context, node->outputs->size, 1);
  TF_LITE_ENSURE_MSG(context, data->params.fc.encoding != TFS_ENC_DENSE,
                     "TFSPARSE_CONV_2D: dense layers are builtin CONV_2D ops");

  TempTensors temps;
  TfLiteTensor* const* tensors = temps.inputs;

  TfLiteStatus status = kTfLiteOk;
  if (!temps.Allocate(context, node, kOp)) status = kTfLiteError;
  if (status == kTfLiteOk) status = CheckActivations(tensors[kInputTensor], temps.output, &data->params);
  if (status == kTfLiteOk) status = CheckCsrTensors(tensors, &data->params.fc, data->num_entries, kOp);
  if (status == kTfLiteOk) {
    tfs_conv_params_t bound = data->params;
    bound.fc = BindCsrTensors(data->params.fc, [&](int i) -> const void* { return tensors[i]->data.data; });
    if (tfs_conv_2d_prepare(&bound) != TFS_OK) {
      MicroPrintf("TFSPARSE_CONV_2D: the kernel rejected the layer's parameters (%d x %d x %d -> %d channels, "
                  "encoding %d)", static_cast<int>(bound.window.filter_height),
                  static_cast<int>(bound.window.filter_width), static_cast<int>(bound.window.input_channels),
                  static_cast<int>(bound.window.output_channels), static_cast<int>(bound.fc.encoding));
      status = kTfLiteError;
    }
  }
  temps.Release();
  if (status != kTfLiteOk) return status;
  const size_t scratch = TFS_CONV_2D_SCRATCH_BYTES(static_cast<size_t>(data->params.fc.cols));
  if (context->RequestScratchBufferInArena(context, scratch, &data->scratch_index) != kTfLiteOk) {
    MicroPrintf("TFSPARSE_CONV_2D: the tensor arena has no room for the op's %d scratch bytes; enlarge it",
                static_cast<int>(scratch));
    return kTfLiteError;
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, kInputTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, kOutputTensor);
  tfs_conv_params_t p = data.params;
  p.fc = BindCsrTensors(data.params.fc, [&](int i) -> const void* {
    return tflite::micro::GetEvalInput(context, node, i)->data.data;
  });
  tfs_conv_2d_eval(&p, tflite::micro::GetTensorData<int8_t>(input), tflite::micro::GetTensorData<int8_t>(output),
                   context->GetScratchBuffer(context, data.scratch_index));
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_TFSPARSE_CONV_2D() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace tfsparse
