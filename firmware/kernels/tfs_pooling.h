/* tfsparse: int8 MAX_POOL_2D and AVERAGE_POOL_2D, TFLM's reference arithmetic.
 *
 * Only taps inside the input count (padding is skipped, not zero-filled): the maximum of the valid
 * taps, or their sum divided by their count rounded half away from zero; then clamped to the fused
 * activation range. Input and output share quantization (TFLM requires it).
 * One file per op: kernels/max_pool_2d.c, kernels/average_pool_2d.c.
 */
#ifndef TFS_POOLING_H_
#define TFS_POOLING_H_

#include <stdint.h>

#include "tfs_window.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  tfs_window_t window; /* input_channels == output_channels; dilation 1 */
  int32_t activation_min;
  int32_t activation_max;
} tfs_pool_params_t;

tfs_status_t tfs_pool_2d_prepare(const tfs_pool_params_t *params);

/* input int8 [H][W][C] -> output int8 [OH][OW][C]. */
void tfs_max_pool_2d_eval(const tfs_pool_params_t *params, const int8_t *input, int8_t *output);
void tfs_average_pool_2d_eval(const tfs_pool_params_t *params, const int8_t *input, int8_t *output);

/* Internal: the valid filter taps of output pixel (oy, ox), clamped to the input. */
typedef struct {
  int32_t y_start, y_end, x_start, x_end; /* input rows [y_start, y_end), columns [x_start, x_end) */
} tfs_pool_span_t;

static inline tfs_pool_span_t tfs_pool_span(const tfs_window_t *w, int32_t oy, int32_t ox) {
  tfs_pool_span_t s;
  const int32_t y0 = oy * w->stride_height - w->padding_height;
  const int32_t x0 = ox * w->stride_width - w->padding_width;
  s.y_start = y0 < 0 ? 0 : y0;
  s.y_end = y0 + w->filter_height < w->input_height ? y0 + w->filter_height : w->input_height;
  s.x_start = x0 < 0 ? 0 : x0;
  s.x_end = x0 + w->filter_width < w->input_width ? x0 + w->filter_width : w->input_width;
  return s;
}

#ifdef __cplusplus
}
#endif

#endif /* TFS_POOLING_H_ */
