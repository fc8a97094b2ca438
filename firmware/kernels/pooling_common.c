/* tfsparse: Prepare shared by MAX_POOL_2D and AVERAGE_POOL_2D. */
#include <stddef.h>

#include "tfs_pooling.h"

tfs_status_t tfs_pool_2d_prepare(const tfs_pool_params_t *p) {
  if (p == NULL || tfs_window_check(&p->window) != TFS_OK) {
    return TFS_ERROR_BAD_PARAMS;
  }
  const tfs_window_t *w = &p->window;
  if (w->input_channels != w->output_channels || w->dilation_height != 1 || w->dilation_width != 1 ||
      p->activation_min < -128 || p->activation_max > 127 || p->activation_min > p->activation_max) {
    return TFS_ERROR_BAD_PARAMS;
  }
  /* Every output pixel must see at least one input tap (TFLM fails such a model at Eval). */
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const tfs_pool_span_t s = tfs_pool_span(w, oy, ox);
      if (s.y_start >= s.y_end || s.x_start >= s.x_end) {
        return TFS_ERROR_BAD_PARAMS;
      }
    }
  }
  return TFS_OK;
}
