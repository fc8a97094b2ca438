/* tfsparse: what the CSR custom ops (TFSPARSE_FULLY_CONNECTED, TFSPARSE_CONV_2D) share in TFLM:
 * reading the CSR options from the flexbuffer map, checking the six constant tensors in Prepare and
 * binding them to the C kernel's tfs_fc_params_t. Internal to tfsparse's TFLM glue. */
#ifndef TFSPARSE_TFLM_CSR_OP_H_
#define TFSPARSE_TFLM_CSR_OP_H_

#include <cstdint>

#define FLATBUFFERS_LOCALE_INDEPENDENT 0
#include "flatbuffers/flexbuffers.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tfs_fully_connected.h"

namespace tfsparse {
namespace csr_op {

// Tensor order of both ops (see tfsparse/converter/ops/sparse_fully_connected.py).
constexpr int kInputTensor = 0;
constexpr int kValuesTensor = 1;
constexpr int kRowPtrTensor = 2;
constexpr int kIndicesTensor = 3;
constexpr int kBiasTensor = 4;
constexpr int kMultiplierTensor = 5;
constexpr int kShiftTensor = 6;
constexpr int kNumInputs = 7;
constexpr int kOutputTensor = 0;

inline int64_t ElementCount(const TfLiteIntArray* dims) {
  int64_t n = 1;
  for (int i = 0; i < dims->size; ++i) n *= dims->data[i];
  return n;
}

// TfLiteType of the index entries of each encoding (relative encodings are packed bytes).
inline TfLiteType IndexType(int32_t encoding) {
  switch (encoding) {
    case TFS_ENC_ABS_U16:
      return kTfLiteUInt16;
    case TFS_ENC_ABS_U32:
      return kTfLiteUInt32;
    default:
      return kTfLiteUInt8;
  }
}

// True when every key is in the map; else logs the first missing one for op `op`.
inline bool HasKeys(const flexbuffers::Map& m, const char* const* keys, int count, const char* op) {
  for (int i = 0; i < count; ++i) {
    if (m[keys[i]].IsNull()) {
      MicroPrintf("%s: custom option '%s' is missing; regenerate the model with tfsparse's SparseModel.to_tflite()",
                  op, keys[i]);
      return false;
    }
  }
  return true;
}

// Reads the CSR options both ops carry into `p` and `num_entries`; false (logged) when one is missing.
inline bool ReadCsrOptions(const flexbuffers::Map& m, const char* op, tfs_fc_params_t* p, int32_t* num_entries) {
  static const char* const kKeys[] = {"encoding_id",       "rows",           "cols",          "num_entries",
                                      "output_zero_point", "activation_min", "activation_max"};
  if (!HasKeys(m, kKeys, 7, op)) return false;
  p->encoding = static_cast<tfs_encoding_t>(m["encoding_id"].AsInt32());
  p->rows = m["rows"].AsInt32();
  p->cols = m["cols"].AsInt32();
  p->output_zero_point = m["output_zero_point"].AsInt32();
  p->activation_min = m["activation_min"].AsInt32();
  p->activation_max = m["activation_max"].AsInt32();
  *num_entries = m["num_entries"].AsInt32();
  // Only the column form reads it (older files without the key have row forms only).
  p->input_zero_point = m["input_zero_point"].IsNull() ? 0 : m["input_zero_point"].AsInt32();
  return true;
}

inline TfLiteStatus CheckConstant(const TfLiteTensor* t, TfLiteType type, int64_t count, const char* what,
                                  const char* op) {
  if (t == nullptr || t->type != type || (count >= 0 && ElementCount(t->dims) != count)) {
    MicroPrintf("%s: input '%s' has the wrong type or size (expected type %s, %d elements); the .tflite does not "
                "match tfsparse's custom op", op, what, TfLiteTypeGetName(type), static_cast<int>(count));
    return kTfLiteError;
  }
  return kTfLiteOk;
}

inline bool IsBlocked(int32_t encoding) { return encoding == TFS_ENC_BLK8 || encoding == TFS_ENC_CSC8; }

// Checks the six constant tensors against the options; sets p->row_ptr_bytes.
inline TfLiteStatus CheckCsrTensors(TfLiteTensor* const* tensors, tfs_fc_params_t* p, int32_t num_entries,
                                    const char* op) {
  const TfLiteTensor* row_ptr = tensors[kRowPtrTensor];
  const int64_t index_count = p->encoding == TFS_ENC_REL4 ? (num_entries + 1) / 2 : num_entries;
  TfLiteStatus status;
  if (IsBlocked(p->encoding)) {
    // Blocked forms: one uint8 count per (row, column block) or (column, row block).
    const int32_t lines = p->encoding == TFS_ENC_BLK8 ? p->rows : p->cols;
    const int32_t width = p->encoding == TFS_ENC_BLK8 ? p->cols : p->rows;
    status = CheckConstant(row_ptr, kTfLiteUInt8, static_cast<int64_t>(lines) * TFS_BLOCKS(width), "row_ptr", op);
  } else {
    // row_ptr is uint16 when its last entry fits, else uint32.
    const TfLiteType type = row_ptr != nullptr && row_ptr->type == kTfLiteUInt32 ? kTfLiteUInt32 : kTfLiteUInt16;
    status = CheckConstant(row_ptr, type, p->rows + 1, "row_ptr", op);
  }
  if (status == kTfLiteOk) status = CheckConstant(tensors[kValuesTensor], kTfLiteInt8, -1, "values", op);
  if (status == kTfLiteOk) {
    status = CheckConstant(tensors[kIndicesTensor], IndexType(p->encoding), index_count, "indices", op);
  }
  if (status == kTfLiteOk) status = CheckConstant(tensors[kBiasTensor], kTfLiteInt32, p->rows, "bias", op);
  if (status == kTfLiteOk) status = CheckConstant(tensors[kMultiplierTensor], kTfLiteInt32, p->rows, "multiplier", op);
  if (status == kTfLiteOk) status = CheckConstant(tensors[kShiftTensor], kTfLiteInt32, p->rows, "shift", op);
  if (status == kTfLiteOk) p->row_ptr_bytes = IsBlocked(p->encoding) ? 1 : (row_ptr->type == kTfLiteUInt32 ? 4 : 2);
  return status;
}

// `p` with every array pointer taken from the node's tensors (get(i) -> data of input i).
template <typename GetData>
tfs_fc_params_t BindCsrTensors(tfs_fc_params_t p, GetData get) {
  p.values = static_cast<const int8_t*>(get(kValuesTensor));
  p.row_ptr = get(kRowPtrTensor);
  p.indices = get(kIndicesTensor);
  p.bias = static_cast<const int32_t*>(get(kBiasTensor));
  p.multiplier = static_cast<const int32_t*>(get(kMultiplierTensor));
  p.shift = static_cast<const int32_t*>(get(kShiftTensor));
  return p;
}

// The seven inputs and the output of a CSR op as temp tensors, for Prepare; Release() frees them.
struct TempTensors {
  TfLiteTensor* inputs[kNumInputs];
  TfLiteTensor* output;
  tflite::MicroContext* micro_context;

  // False (logged: the arena is full) when TFLM could not allocate one of them.
  bool Allocate(TfLiteContext* context, TfLiteNode* node, const char* op) {
    micro_context = tflite::GetMicroContext(context);
    bool allocated = true;
    for (int i = 0; i < kNumInputs; ++i) {
      inputs[i] = micro_context->AllocateTempInputTensor(node, i);
      allocated = allocated && inputs[i] != nullptr;
    }
    output = micro_context->AllocateTempOutputTensor(node, kOutputTensor);
    if (!allocated || output == nullptr) {
      MicroPrintf("%s: TFLM could not allocate the op's temporary tensors in Prepare: the tensor arena is too small; "
                  "give MicroInterpreter at least the generated *_ARENA_BYTES of the model (tflm/*_model_data.h)", op);
      return false;
    }
    return true;
  }

  void Release() {
    for (int i = 0; i < kNumInputs; ++i) {
      if (inputs[i] != nullptr) micro_context->DeallocateTempTfLiteTensor(inputs[i]);
    }
    if (output != nullptr) micro_context->DeallocateTempTfLiteTensor(output);
  }
};

}  // namespace csr_op
}  // namespace tfsparse

#endif  // TFSPARSE_TFLM_CSR_OP_H_
