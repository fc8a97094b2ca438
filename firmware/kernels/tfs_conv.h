/* tfsparse: int8 CONV_2D over dense or CSR weights (one row per output channel).
 *
 * The weights are the fully-connected matrix [output_channels, filter_height * filter_width *
 * input_channels] of TFLite's OHWI filter, so a convolution is a fully-connected layer applied to
 * each output pixel's receptive field ("column", in (ky, kx, cin) order). The input zero point is
 * folded into the bias over *all* taps, so taps that fall into the padding carry the input zero
 * point: the result equals TFLM's, which skips them. Dense and sparse weights share every encoding
 * of tfs_fully_connected.h; the kernel walks output pixels and, for sparse rows, touches only the
 * nonzero taps.
 *
 * Portable implementation: kernels/conv_2d.c; Cortex-M DSP twin: kernels/cortex_m/conv_2d.c.
 */
#ifndef TFS_CONV_H_
#define TFS_CONV_H_

#include <stdint.h>

#include "tfs_fully_connected.h"
#include "tfs_window.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  tfs_window_t window;
  int32_t input_zero_point; /* value of padded taps */
  tfs_fc_params_t fc;       /* rows = output channels, cols = filter taps; bias folded over all taps */
} tfs_conv_params_t;

/* Scratch bytes Eval needs, the most any implementation uses: two columns of int16 taps plus 16 bytes
 * of rest and one int8 column (the portable kernel needs one int8 column, none when pointwise; the
 * Cortex-M sparse kernel four interleaved int8 columns and one filter row of padding values). */
#define TFS_CONV_2D_SCRATCH_BYTES(taps) (5 * (taps) + 16)

tfs_status_t tfs_conv_2d_prepare(const tfs_conv_params_t *params);

/* input int8 [H][W][Cin] -> output int8 [OH][OW][Cout]; scratch of TFS_CONV_2D_SCRATCH_BYTES bytes,
 * 4-byte aligned. */
void tfs_conv_2d_eval(const tfs_conv_params_t *params, const int8_t *input, int8_t *output, void *scratch);

/* Internal, shared by both implementations: output pixel (oy, ox)'s column of int8 taps in (ky, kx,
 * cin) order, padded taps set to the input zero point. */
void tfs_conv_2d_column(const tfs_conv_params_t *params, const int8_t *input, int32_t oy, int32_t ox,
                        int8_t *column);

/* Internal: every output pixel as one fully-connected evaluation of its int8 column (pointwise
 * convolutions read the input directly), with whichever FC kernel is linked. */
void tfs_conv_2d_eval_per_pixel(const tfs_conv_params_t *params, const int8_t *input, int8_t *output,
                                void *scratch);

/* 1 when the convolution reads each output pixel's column straight from the input. */
static inline int tfs_conv_2d_is_pointwise(const tfs_window_t *w) {
  return w->filter_height == 1 && w->filter_width == 1 && w->stride_height == 1 && w->stride_width == 1 &&
         w->padding_height == 0 && w->padding_width == 0 && w->input_height == w->output_height &&
         w->input_width == w->output_width;
}

#ifdef __cplusplus
}
#endif

#endif /* TFS_CONV_H_ */
