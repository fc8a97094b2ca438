/* tfsparse: int8 -> int8 QUANTIZE, TFLM's Requantize element by element. */
#include <stddef.h>

#include "tfs_quant.h"
#include "tfs_quantize.h"

tfs_status_t tfs_quantize_prepare(const tfs_quantize_params_t *p) {
  if (p == NULL || p->size <= 0 || p->shift < -31 || p->shift > 30 || p->multiplier < 0 ||
      p->input_zero_point < -128 || p->input_zero_point > 127 || p->output_zero_point < -128 ||
      p->output_zero_point > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}

void tfs_quantize_eval(const tfs_quantize_params_t *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    output[i] = tfs_requantize((int32_t)input[i] - p->input_zero_point, p->multiplier, p->shift,
                               p->output_zero_point, -128, 127);
  }
}
