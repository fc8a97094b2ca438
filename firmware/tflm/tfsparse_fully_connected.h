/* tfsparse: the TFSPARSE_FULLY_CONNECTED custom op for TensorFlow Lite Micro.
 *
 * The CSR form of FULLY_CONNECTED that tfsparse's SparseModel.to_tflite() writes. Inputs (the order is
 * the contract of tfsparse/converter/ops/sparse_fully_connected.py):
 *   0 input int8 [..., cols]   1 values int8 [nnz]          2 row_ptr uint16|uint32 [rows + 1]
 *   3 indices uint8|uint16|uint32 (per encoding)            4 bias int32 [rows] (input zero point folded)
 *   5 multiplier int32 [rows]  6 shift int32 [rows]
 * (blk8 / csc8: row_ptr is uint8 counts per line and block; csc8's bias is not folded.)
 * Output 0: int8 [batches, rows]. Options: a flexbuffer map (encoding_id, rows, cols, num_entries,
 * output_zero_point, activation_min, activation_max, input_zero_point (csc8); other keys are ignored).
 * The column form (csc8) keeps rows * 4 bytes of int32 accumulators, a persistent buffer of the arena.
 *
 * Eval runs the same C kernel core as tfsparse's standalone firmware (tfs_fully_connected.h; the
 * portable or the Cortex-M implementation, whichever is linked).
 *
 * Register it with
 *   static TFLMRegistration r = tfsparse::Register_TFSPARSE_FULLY_CONNECTED();
 *   resolver.AddCustom(tfsparse::kFullyConnectedCustomName, &r);
 * or call the generated TfsparseAddOps(resolver) (tfsparse_ops.h) that adds every op the model needs.
 */
#ifndef TFSPARSE_TFLM_FULLY_CONNECTED_H_
#define TFSPARSE_TFLM_FULLY_CONNECTED_H_

#include "tensorflow/lite/micro/micro_common.h"

namespace tfsparse {

constexpr const char* kFullyConnectedCustomName = "TFSPARSE_FULLY_CONNECTED";

TFLMRegistration Register_TFSPARSE_FULLY_CONNECTED();

}  // namespace tfsparse

#endif  // TFSPARSE_TFLM_FULLY_CONNECTED_H_
