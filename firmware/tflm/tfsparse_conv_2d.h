/* tfsparse: the TFSPARSE_CONV_2D custom op for TensorFlow Lite Micro.
 *
 * The CSR form of CONV_2D that tfsparse's SparseModel.to_tflite() writes: the inputs of
 * TFSPARSE_FULLY_CONNECTED (tfsparse_fully_connected.h) with input 0 an int8 NHWC activation (batch
 * 1) and one CSR row per output channel over its filter_height * filter_width * input_channels taps
 * in (kh, kw, cin) order; output 0 is int8 NHWC. Options: the FC op's flexbuffer map plus
 * filter_height, filter_width, input_channels, output_channels, stride_height, stride_width,
 * dilation_height_factor, dilation_width_factor, padding_height, padding_width, input_zero_point
 * (the contract of tfsparse/converter/ops/sparse_conv_2d.py).
 *
 * Eval runs tfsparse's C conv kernel (tfs_conv.h; portable or Cortex-M, whichever is linked) with
 * a scratch buffer it requests from TFLM's arena in Prepare.
 *
 * Register it with
 *   static TFLMRegistration r = tfsparse::Register_TFSPARSE_CONV_2D();
 *   resolver.AddCustom(tfsparse::kConv2DCustomName, &r);
 * or call the generated <Name>AddOps(resolver) (tflm/<name>_ops.h) that adds every op the model needs.
 */
#ifndef TFSPARSE_TFLM_CONV_2D_H_
#define TFSPARSE_TFLM_CONV_2D_H_

#include "tensorflow/lite/micro/micro_common.h"

namespace tfsparse {

constexpr const char* kConv2DCustomName = "TFSPARSE_CONV_2D";

TFLMRegistration Register_TFSPARSE_CONV_2D();

}  // namespace tfsparse

#endif  // TFSPARSE_TFLM_CONV_2D_H_
