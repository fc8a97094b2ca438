/* tfsparse: backend-neutral Prepare of DEPTHWISE_CONV_2D, linked with either Eval. */
#include <stddef.h>

#include "tfs_depthwise_conv.h"

tfs_status_t tfs_depthwise_conv_2d_prepare(const tfs_depthwise_conv_params_t *p) {
  if (p == NULL || tfs_window_check(&p->window) != TFS_OK || p->depth_multiplier <= 0 || p->weights == NULL ||
      p->bias == NULL || p->multiplier == NULL || p->shift == NULL) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->window.output_channels != p->window.input_channels * p->depth_multiplier ||
      p->input_zero_point < -128 || p->input_zero_point > 127 || p->output_zero_point < -128 ||
      p->output_zero_point > 127 || p->activation_min < -128 || p->activation_max > 127 ||
      p->activation_min > p->activation_max) {
    return TFS_ERROR_BAD_PARAMS;
  }
  for (int32_t c = 0; c < p->window.output_channels; ++c) {
    if (p->shift[c] < -31 || p->shift[c] > 30 || p->multiplier[c] < 0) {
      return TFS_ERROR_BAD_PARAMS;
    }
  }
  return TFS_OK;
}
