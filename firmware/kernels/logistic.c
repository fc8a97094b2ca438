/* tfsparse: int8 LOGISTIC with gemmlowp's logistic on Q4.27 (see tfs_logistic.h). */
#include <stddef.h>

#include "tfs_fixedpoint.h"
#include "tfs_logistic.h"
#include "tfs_quant.h"

#define INPUT_INTEGER_BITS 4

tfs_status_t tfs_logistic_prepare(const tfs_logistic_params_t *p) {
  if (p == NULL || p->size <= 0 || p->input_zero_point < -128 || p->input_zero_point > 127 ||
      p->input_range_radius < 0 || p->input_multiplier < 0 || p->input_left_shift < -31 ||
      p->input_left_shift > 30) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}

/* gemmlowp logistic for a Q4.27 input, Q0.31 result. */
static int32_t logistic_q4(int32_t a) {
  if (a == 0) {
    return (int32_t)1 << 30; /* one half */
  }
  const int32_t negative_abs = a > 0 ? -a : a;
  const int32_t positive = tfs_one_over_one_plus_x(tfs_exp_on_negative_values(negative_abs, INPUT_INTEGER_BITS));
  return a > 0 ? positive : tfs_sub_wrap(TFS_INT32_MAX, positive);
}

void tfs_logistic_eval(const tfs_logistic_params_t *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t d = (int32_t)input[i] - p->input_zero_point;
    if (d <= -p->input_range_radius) {
      output[i] = -128;
    } else if (d >= p->input_range_radius) {
      output[i] = 127;
    } else {
      const int32_t q4 = tfs_multiply_by_quantized_multiplier(d, p->input_multiplier, p->input_left_shift);
      const int32_t q23 = tfs_rounding_divide_by_pot(logistic_q4(q4), 31 - 8);
      output[i] = (int8_t)tfs_clamp(q23 - 128, -128, 127);
    }
  }
}
