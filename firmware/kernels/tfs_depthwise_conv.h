/* tfsparse: int8 DEPTHWISE_CONV_2D (dense weights, depth multiplier >= 1).
 *
 * Output channel oc = ic * depth_multiplier + m reads input channel ic. Weights are TFLite's
 * [1, filter_height, filter_width, output_channels] filter; the input zero point is folded into the
 * bias over all taps (bias[oc] - zp * sum of the channel's taps), so padded taps carry the input
 * zero point and the result equals TFLM's, which skips them.
 *
 * Portable implementation: kernels/depthwise_conv_2d.c; Cortex-M twin: kernels/cortex_m/depthwise_conv_2d.c.
 */
#ifndef TFS_DEPTHWISE_CONV_H_
#define TFS_DEPTHWISE_CONV_H_

#include <stdint.h>

#include "tfs_fully_connected.h"
#include "tfs_window.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  tfs_window_t window;
  int32_t depth_multiplier;
  int32_t input_zero_point;
  const int8_t *weights;      /* [filter_height][filter_width][output_channels] */
  const int32_t *bias;        /* output_channels, input zero point folded in */
  const int32_t *multiplier;  /* output_channels */
  const int32_t *shift;       /* output_channels, > 0 shifts left */
  int32_t output_zero_point;
  int32_t activation_min;
  int32_t activation_max;
} tfs_depthwise_conv_params_t;

/* Scratch bytes Eval needs, the most any implementation uses: one int32 accumulator per output channel
 * (portable), or, for a 3x3 filter with depth multiplier 1, 34 words per 4 channels (the Cortex-M
 * twin's packed biases, int16 weight pairs and requantization constants). */
#define TFS_DEPTHWISE_CONV_2D_SCRATCH_BYTES(output_channels, filter_height, filter_width, depth_multiplier) \
  ((filter_height) == 3 && (filter_width) == 3 && (depth_multiplier) == 1 ? 34 * (output_channels)        \
                                                                          : 4 * (output_channels))

tfs_status_t tfs_depthwise_conv_2d_prepare(const tfs_depthwise_conv_params_t *params);

/* input int8 [H][W][Cin] -> output int8 [OH][OW][Cin * depth_multiplier]; scratch 4-byte aligned. */
void tfs_depthwise_conv_2d_eval(const tfs_depthwise_conv_params_t *params, const int8_t *input, int8_t *output,
                                void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* TFS_DEPTHWISE_CONV_H_ */
