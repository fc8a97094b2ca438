/* tfsparse: gemmlowp's fixed-point transcendental helpers as TFLM uses them (softmax, logistic).
 * Raw int32 values; the comments give each one's Q format. Static inline: every kernel compiles the
 * same arithmetic. */
#ifndef TFS_FIXEDPOINT_H_
#define TFS_FIXEDPOINT_H_

#include <stdint.h>

#include "tfs_quant.h"

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31 in and out): a Taylor
 * expansion around -1/8. */
static inline int32_t tfs_exp_on_interval_neg_quarter_to_0(int32_t a) {
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

/* gemmlowp exp_on_negative_values for an input a <= 0 with `integer_bits` (<= 5) integer bits,
 * result in Q0.31. */
static inline int32_t tfs_exp_on_negative_values(int32_t a, int integer_bits) {
  /* exp(-2^k) in Q0.31 for k = -2 .. integer_bits - 1: multiplied in for each set bit of the
   * integer part. */
  static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  int32_t result = tfs_exp_on_interval_neg_quarter_to_0(
      tfs_saturating_left_shift(a_mod_quarter_minus_quarter, integer_bits));
  const int32_t remainder = tfs_sub_wrap(a_mod_quarter_minus_quarter, a);
  for (int k = 0; k < integer_bits + 2; ++k) {
    if (remainder & ((int32_t)1 << (fractional_bits - 2 + k))) {
      result = tfs_srdhm(result, barrel[k]);
    }
  }
  return a == 0 ? TFS_INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in, Q0.31 out) by three Newton-Raphson steps in
 * Q2.29. */
static inline int32_t tfs_one_over_one_plus_x(int32_t a) {
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

#endif /* TFS_FIXEDPOINT_H_ */
