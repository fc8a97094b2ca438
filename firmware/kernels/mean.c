/* tfsparse: int8 MEAN over height and width (TFLM's QuantizedMeanOrSum): sums pixel by pixel into
 * one int32 per channel (contiguous loads), then one requantization per channel. */
#include <stddef.h>

#include "tfs_mean.h"
#include "tfs_quant.h"

tfs_status_t tfs_mean_prepare(const tfs_mean_params_t *p) {
  if (p == NULL || p->count <= 0 || p->channels <= 0 || p->count > (1 << 23) || p->shift < -31 ||
      p->shift > 30 || p->multiplier < 0 || p->input_zero_point < -128 || p->input_zero_point > 127 ||
      p->output_zero_point < -128 || p->output_zero_point > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}

void tfs_mean_eval(const tfs_mean_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  int32_t *sum = (int32_t *)scratch;
  const int32_t channels = p->channels;
  for (int32_t c = 0; c < channels; ++c) {
    sum[c] = -p->input_zero_point * p->count;
  }
  for (int32_t i = 0; i < p->count; ++i, input += channels) {
    for (int32_t c = 0; c < channels; ++c) {
      sum[c] += input[c];
    }
  }
  for (int32_t c = 0; c < channels; ++c) {
    output[c] = tfs_requantize(sum[c], p->multiplier, p->shift, p->output_zero_point, -128, 127);
  }
}
