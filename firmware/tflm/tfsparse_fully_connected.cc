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

#define FLATBUFFERS_LOCALE_INDEPENDENT 0
#include "flatbuffers/flexbuffers.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tfs_fully_connected.h"

namespace tfsparse {
namespace {

constexpr int kInputTensor = 0;
constexpr int kValuesTensor = 1;
constexpr int kRowPtrTensor = 2;
constexpr int kIndicesTensor = 3;
constexpr int kBiasTensor = 4;
constexpr int kMultiplierTensor = 5;
constexpr int kShiftTensor = 6;
constexpr int kNumInputs = 7;
constexpr int kOutputTensor = 0;

struct OpData {
  // Scalars from the options; the array pointers are filled from the tensors at each Eval.
  tfs_fc_params_t params;
  int32_t num_entries;
  bool options_ok;
  int32_t* scratch;  // the column form's int32 accumulators (TFS_FC_SCRATCH_BYTES), else nullptr
};

// TfLiteType of the index entries of each encoding (relative encodings are packed bytes).
TfLiteType IndexType(int32_t encoding) {
  switch (encoding) {
    case TFS_ENC_ABS_U16:
      return kTfLiteUInt16;
    case TFS_ENC_ABS_U32:
      return kTfLiteUInt32;
    default:
      return kTfLiteUInt8;
  }
}

bool IsBlocked(int32_t encoding) { return encoding == TFS_ENC_BLK8 || encoding == TFS_ENC_CSC8; }

int64_t ElementCount(const TfLiteIntArray* dims) {
  int64_t n = 1;
  for (int i = 0; i < dims->size; ++i) n *= dims->data[i];
  return n;
}

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  OpData* data = static_cast<OpData*>(context->AllocatePersistentBuffer(context, sizeof(OpData)));
  if (data == nullptr) return nullptr;
  data->options_ok = false;
  data->scratch = nullptr;
  if (buffer == nullptr || length == 0) return data;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(buffer);
  const flexbuffers::Map m = flexbuffers::GetRoot(bytes, length).AsMap();
  const char* const keys[] = {"encoding_id",       "rows",           "cols",          "num_entries",
                              "output_zero_point", "activation_min", "activation_max"};
  for (const char* key : keys) {
    if (m[key].IsNull()) {
      MicroPrintf("TFSPARSE_FULLY_CONNECTED: custom option '%s' is missing; regenerate the model with "
                  "tfsparse's SparseModel.to_tflite()", key);
      return data;
    }
  }
  tfs_fc_params_t& p = data->params;
  p.encoding = static_cast<tfs_encoding_t>(m["encoding_id"].AsInt32());
  p.rows = m["rows"].AsInt32();
  p.cols = m["cols"].AsInt32();
  p.output_zero_point = m["output_zero_point"].AsInt32();
  p.activation_min = m["activation_min"].AsInt32();
  p.activation_max = m["activation_max"].AsInt32();
  data->num_entries = m["num_entries"].AsInt32();
  // Only the column form reads it (older files without the key have row forms only).
  p.input_zero_point = m["input_zero_point"].IsNull() ? 0 : m["input_zero_point"].AsInt32();
  data->options_ok = true;
  return data;
}

// The kernel parameters with every array pointer taken from the node's tensors.
template <typename GetData>
tfs_fc_params_t BindTensors(const OpData& data, GetData get) {
  tfs_fc_params_t p = data.params;
  p.values = static_cast<const int8_t*>(get(kValuesTensor));
  p.row_ptr = get(kRowPtrTensor);
  p.indices = get(kIndicesTensor);
  p.bias = static_cast<const int32_t*>(get(kBiasTensor));
  p.multiplier = static_cast<const int32_t*>(get(kMultiplierTensor));
  p.shift = static_cast<const int32_t*>(get(kShiftTensor));
  return p;
}

TfLiteStatus CheckConstant(TfLiteContext* context, const TfLiteTensor* t, TfLiteType type, int64_t count,
                           const char* what) {
  if (t == nullptr || t->type != type || (count >= 0 && ElementCount(t->dims) != count)) {
    MicroPrintf("TFSPARSE_FULLY_CONNECTED: input '%s' has the wrong type or size (expected type %s, %d "
                "elements); the .tflite does not match tfsparse's custom op", what, TfLiteTypeGetName(type),
                static_cast<int>(count));
    return kTfLiteError;
  }
  (void)context;
  return kTfLiteOk;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_MSG(context, node->user_data != nullptr, "TFSPARSE_FULLY_CONNECTED: Init could not allocate");
  OpData* data = static_cast<OpData*>(node->user_data);
  TF_LITE_ENSURE_MSG(context, data->options_ok, "TFSPARSE_FULLY_CONNECTED: bad or missing custom options");
  TF_LITE_ENSURE_EQ(context, node->inputs->size, kNumInputs);
  TF_LITE_ENSURE_EQ(context, node->outputs->size, 1);
  const tfs_fc_params_t& p = data->params;
  TF_LITE_ENSURE_MSG(context, p.encoding != TFS_ENC_DENSE,
                     "TFSPARSE_FULLY_CONNECTED: dense layers are builtin FULLY_CONNECTED ops");
  TF_LITE_ENSURE(context, p.rows > 0 && p.cols > 0 && data->num_entries >= 0);

  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* tensors[kNumInputs];
  for (int i = 0; i < kNumInputs; ++i) tensors[i] = micro_context->AllocateTempInputTensor(node, i);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, kOutputTensor);

  TfLiteStatus status = kTfLiteOk;
  const TfLiteTensor* input = tensors[kInputTensor];
  if (input == nullptr || output == nullptr || input->type != kTfLiteInt8 || output->type != kTfLiteInt8) {
    MicroPrintf("TFSPARSE_FULLY_CONNECTED: input and output must be int8 tensors");
    status = kTfLiteError;
  } else if (ElementCount(input->dims) % p.cols != 0 ||
             ElementCount(output->dims) != ElementCount(input->dims) / p.cols * p.rows) {
    MicroPrintf("TFSPARSE_FULLY_CONNECTED: input of %d elements and output of %d elements do not fit a "
                "%d x %d layer", static_cast<int>(ElementCount(input->dims)),
                static_cast<int>(ElementCount(output->dims)), static_cast<int>(p.rows), static_cast<int>(p.cols));
    status = kTfLiteError;
  }
  const TfLiteTensor* row_ptr = tensors[kRowPtrTensor];
  const int64_t index_count = p.encoding == TFS_ENC_REL4 ? (data->num_entries + 1) / 2 : data->num_entries;
  if (status == kTfLiteOk && IsBlocked(p.encoding)) {
    // Blocked forms: one uint8 count per (row, column block) or (column, row block).
    const int32_t lines = p.encoding == TFS_ENC_BLK8 ? p.rows : p.cols;
    const int32_t width = p.encoding == TFS_ENC_BLK8 ? p.cols : p.rows;
    status = CheckConstant(context, row_ptr, kTfLiteUInt8, static_cast<int64_t>(lines) * TFS_BLOCKS(width), "row_ptr");
  } else if (status == kTfLiteOk) {
    // row_ptr is uint16 when its last entry fits, else uint32.
    const TfLiteType row_ptr_type = row_ptr != nullptr && row_ptr->type == kTfLiteUInt32 ? kTfLiteUInt32 : kTfLiteUInt16;
    status = CheckConstant(context, row_ptr, row_ptr_type, p.rows + 1, "row_ptr");
  }
  if (status == kTfLiteOk) status = CheckConstant(context, tensors[kValuesTensor], kTfLiteInt8, -1, "values");
  if (status == kTfLiteOk) {
    status = CheckConstant(context, tensors[kIndicesTensor], IndexType(p.encoding), index_count, "indices");
  }
  if (status == kTfLiteOk) status = CheckConstant(context, tensors[kBiasTensor], kTfLiteInt32, p.rows, "bias");
  if (status == kTfLiteOk) {
    status = CheckConstant(context, tensors[kMultiplierTensor], kTfLiteInt32, p.rows, "multiplier");
  }
  if (status == kTfLiteOk) status = CheckConstant(context, tensors[kShiftTensor], kTfLiteInt32, p.rows, "shift");
  if (status == kTfLiteOk) {
    data->params.row_ptr_bytes = IsBlocked(p.encoding) ? 1 : (row_ptr->type == kTfLiteUInt32 ? 4 : 2);
    const tfs_fc_params_t bound =
        BindTensors(*data, [&](int i) -> const void* { return tensors[i]->data.data; });
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
      MicroPrintf("TFSPARSE_FULLY_CONNECTED: no room in the arena for %d bytes of accumulators",
                  static_cast<int>(scratch_bytes));
      status = kTfLiteError;
    }
  }
  for (int i = 0; i < kNumInputs; ++i) {
    if (tensors[i] != nullptr) micro_context->DeallocateTempTfLiteTensor(tensors[i]);
  }
  if (output != nullptr) micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, kInputTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, kOutputTensor);
  const tfs_fc_params_t p = BindTensors(data, [&](int i) -> const void* {
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
