/* tfsparse: the geometry of a sliding-window op (CONV_2D, DEPTHWISE_CONV_2D, MAX/AVERAGE_POOL_2D).
 *
 * Tensors are NHWC int8 with batch 1. Output pixel (oy, ox) reads input rows
 * oy * stride_height - padding_height + ky * dilation_height (ky < filter_height), and likewise
 * for columns: TFLM's padding_values (the top/left offsets of SAME padding, 0 for VALID).
 */
#ifndef TFS_WINDOW_H_
#define TFS_WINDOW_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t input_height;
  int32_t input_width;
  int32_t input_channels;
  int32_t output_height;
  int32_t output_width;
  int32_t output_channels;
  int32_t filter_height;
  int32_t filter_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t padding_height; /* rows of padding above the input */
  int32_t padding_width;  /* columns of padding left of the input */
} tfs_window_t;

/* Checks every dimension is positive and every output pixel's window starts inside the padded
 * input (as TFLM's padding computation guarantees). */
static inline tfs_status_t tfs_window_check(const tfs_window_t *w) {
  if (w->input_height <= 0 || w->input_width <= 0 || w->input_channels <= 0 || w->output_height <= 0 ||
      w->output_width <= 0 || w->output_channels <= 0 || w->filter_height <= 0 || w->filter_width <= 0 ||
      w->stride_height <= 0 || w->stride_width <= 0 || w->dilation_height <= 0 || w->dilation_width <= 0 ||
      w->padding_height < 0 || w->padding_width < 0) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* TFS_WINDOW_H_ */
