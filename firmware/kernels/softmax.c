/* tfsparse: portable int8 softmax, TFLM's reference arithmetic (gemmlowp fixed point).
 *
 * Input differences to the row maximum are rescaled to Q5.26, exponentiated in Q0.31, summed in
 * Q12.19, and the reciprocal of the sum is found by Newton-Raphson, as in TFLM.
 */
#include <stddef.h>

#include "tfs_quant.h"
#include "tfs_softmax.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUM_INTEGER_BITS 12

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31 in and out): a Taylor
 * expansion around -1/8. */
static int32_t exp_on_interval_neg_quarter_to_0(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
  const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
  const int32_t x = tfs_add_wrap(a, (int32_t)1 << 28); /* a + 1/8 */
  const int32_t x2 = tfs_srdhm(x, x);
  const int32_t x3 = tfs_srdhm(x2, x);
  const int32_t x4 = tfs_srdhm(x2, x2);
  const int32_t x4_over_4 = tfs_rounding_divide_by_pot(x4, 2);
  const int32_t poly =
      tfs_rounding_divide_by_pot(tfs_add_wrap(tfs_srdhm(tfs_add_wrap(x4_over_4, x3), one_third), x2), 1);
  return tfs_add_wrap(exp_minus_one_eighth, tfs_srdhm(exp_minus_one_eighth, tfs_add_wrap(x, poly)));
}

/* gemmlowp exp_on_negative_values for a Q5.26 input a <= 0, result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a) {
  /* exp(-2^k) in Q0.31 for k = -2 .. 4: multiplied in for each set bit of the integer part. */
  static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int fractional_bits = 31 - SCALED_DIFF_INTEGER_BITS;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int32_t result = exp_on_interval_neg_quarter_to_0(
      tfs_saturating_left_shift(a_mod_quarter_minus_quarter, SCALED_DIFF_INTEGER_BITS));
  const int32_t remainder = tfs_sub_wrap(a_mod_quarter_minus_quarter, a);
  for (int k = 0; k < 7; ++k) {
    if (remainder & ((int32_t)1 << (fractional_bits - 2 + k))) {
      result = tfs_srdhm(result, barrel[k]);
    }
  }
  return a == 0 ? TFS_INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in, Q0.31 out) by three Newton-Raphson steps in
 * Q2.29. */
static int32_t one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + (int64_t)TFS_INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48_over_17 = 1515870810;      /* Q2.29 */
  const int32_t c_neg_32_over_17 = -1010580540; /* Q2.29 */
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = tfs_add_wrap(c48_over_17, tfs_srdhm(half_denominator, c_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tfs_srdhm(half_denominator, x);
    const int32_t one_minus = tfs_sub_wrap(one_q2, half_denominator_times_x);
    x = tfs_add_wrap(x, tfs_saturating_left_shift(tfs_srdhm(x, one_minus), 2));
  }
  /* x / 2 read as Q1.30, rescaled to Q0.31. */
  return tfs_saturating_left_shift(x, 1);
}

/* TFLM GetReciprocal: 1 / x for x in Q12.19, as a Q0.31 mantissa and an exponent. */
static int32_t reciprocal(int32_t x, int *num_bits_over_unit) {
  const int headroom_plus_one = tfs_count_leading_zeros((uint32_t)x);
  *num_bits_over_unit = ACCUM_INTEGER_BITS - headroom_plus_one;
  const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  return one_over_one_plus_x(shifted_sum_minus_one);
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
        const int32_t e = exp_on_negative_values(scaled_diff(p, diff));
        sum_of_exps = tfs_add_wrap(sum_of_exps, tfs_rounding_divide_by_pot(e, ACCUM_INTEGER_BITS));
      }
    }
    int num_bits_over_unit;
    const int32_t shifted_scale = reciprocal(sum_of_exps, &num_bits_over_unit);
    for (int32_t c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t e = exp_on_negative_values(scaled_diff(p, diff));
        const int32_t unsat =
            tfs_rounding_divide_by_pot(tfs_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
        y[c] = (int8_t)tfs_clamp(unsat - 128, -128, 127);
      } else {
        y[c] = -128;
      }
    }
  }
}
