/* tfsparse: portable int8 softmax, TFLM's reference arithmetic (gemmlowp fixed point).
 *
 * Input differences to the row maximum are rescaled to Q5.26, exponentiated in Q0.31, summed in
 * Q12.19, and the reciprocal of the sum is found by Newton-Raphson, as in TFLM.
 */
#include <stddef.h>

#include "tfs_fixedpoint.h"
#include "tfs_quant.h"
#include "tfs_softmax.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUM_INTEGER_BITS 12

/* TFLM GetReciprocal: 1 / x for x in Q12.19, as a Q0.31 mantissa and an exponent. */
static int32_t reciprocal(int32_t x, int *num_bits_over_unit) {
  const int headroom_plus_one = tfs_count_leading_zeros((uint32_t)x);
  *num_bits_over_unit = ACCUM_INTEGER_BITS - headroom_plus_one;
  const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  return tfs_one_over_one_plus_x(shifted_sum_minus_one);
}

tfs_status_t tfs_softmax_prepare(const tfs_softmax_params_t *p) {
  if (p == NULL || p->outer <= 0 || p->depth <= 0 || p->depth > TFS_SOFTMAX_MAX_DEPTH) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->input_multiplier < 0 || p->input_left_shift < 0 || p->input_left_shift > 31 || p->diff_min > 0) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}

static inline int32_t scaled_diff(const tfs_softmax_params_t *p, int32_t diff) {
  return tfs_multiply_by_quantized_multiplier_gt_one(diff, p->input_multiplier, p->input_left_shift);
}

void tfs_softmax_eval(const tfs_softmax_params_t *p, const int8_t *input, int8_t *output) {
  for (int32_t i = 0; i < p->outer; ++i) {
    const int8_t *x = input + i * p->depth;
    int8_t *y = output + i * p->depth;
    int32_t max_in_row = -128;
    for (int32_t c = 0; c < p->depth; ++c) {
      max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
    }
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t e = tfs_exp_on_negative_values(scaled_diff(p, diff), SCALED_DIFF_INTEGER_BITS);
        sum_of_exps = tfs_add_wrap(sum_of_exps, tfs_rounding_divide_by_pot(e, ACCUM_INTEGER_BITS));
      }
    }
    int num_bits_over_unit;
    const int32_t shifted_scale = reciprocal(sum_of_exps, &num_bits_over_unit);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t e = tfs_exp_on_negative_values(scaled_diff(p, diff), SCALED_DIFF_INTEGER_BITS);
        const int32_t unsat =
            tfs_rounding_divide_by_pot(tfs_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
        y[c] = (int8_t)tfs_clamp(unsat - 128, -128, 127);
      } else {
        y[c] = -128;
      }
    }
  }
}
