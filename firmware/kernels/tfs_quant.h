/* tfsparse: TFLite Micro's fixed-point helpers, shared by every kernel implementation.
 *
 * Same results as TFLM's MultiplyByQuantizedMultiplier (default double rounding, i.e. without
 * TFLITE_SINGLE_ROUNDING) and gemmlowp's saturating/rounding primitives. Everything is static
 * inline so the portable and the Cortex-M kernels compile the same arithmetic.
 *
 * Two's-complement wrap-around is made explicit (through uint32_t) where TFLM's C++ relies on it,
 * so that the code is free of undefined behaviour under -fsanitize=undefined.
 */
#ifndef TFS_QUANT_H_
#define TFS_QUANT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFS_INT32_MIN ((int32_t)(-2147483647 - 1))
#define TFS_INT32_MAX ((int32_t)2147483647)

/* Wrapping int32 addition (TFLM's accumulators never overflow in practice; this keeps UBSan quiet
 * and the result identical when they do). */
static inline int32_t tfs_add_wrap(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t tfs_sub_wrap(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the one overflow. */
static inline int32_t tfs_srdhm(int32_t a, int32_t b) {
  if (a == b && a == TFS_INT32_MIN) {
    return TFS_INT32_MAX;
  }
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  /* Division (truncating toward zero), not a shift: that is what the reference does. */
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero; 0 <= exponent <= 31. */
static inline int32_t tfs_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  /* Arithmetic right shift of a negative value: implementation-defined in C, arithmetic on every
   * compiler tfsparse supports (gcc, clang, arm-none-eabi-gcc). */
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for exponent > 0: saturating x * 2^exponent. */
static inline int32_t tfs_saturating_left_shift(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) {
    return TFS_INT32_MAX;
  }
  if (x < -threshold) {
    return TFS_INT32_MIN;
  }
  return (int32_t)((uint32_t)x << exponent);
}

/* TFLM MultiplyByQuantizedMultiplier (double rounding). shift > 0 shifts left, < 0 right. The left
 * shift wraps like TFLM's int32 multiply by (1 << left_shift). */
static inline int32_t tfs_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left_shift = shift > 0 ? (int)shift : 0;
  const int right_shift = shift > 0 ? 0 : (int)-shift;
  return tfs_rounding_divide_by_pot(tfs_srdhm((int32_t)((uint32_t)x << left_shift), multiplier), right_shift);
}

/* TFLM MultiplyByQuantizedMultiplierGreaterThanOne. */
static inline int32_t tfs_multiply_by_quantized_multiplier_gt_one(int32_t x, int32_t multiplier, int32_t left_shift) {
  return tfs_srdhm((int32_t)((uint32_t)x << left_shift), multiplier);
}

static inline int32_t tfs_clamp(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Requantize an int32 accumulator to int8 the way TFLM's fully-connected kernel does. */
static inline int8_t tfs_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_zero_point,
                                    int32_t act_min, int32_t act_max) {
  int32_t out = tfs_multiply_by_quantized_multiplier(acc, multiplier, shift);
  out = tfs_add_wrap(out, output_zero_point);
  return (int8_t)tfs_clamp(out, act_min, act_max);
}

/* Count of leading zero bits of a 32-bit word (32 for 0), portable. */
static inline int tfs_count_leading_zeros(uint32_t x) {
#if defined(__GNUC__)
  return x == 0 ? 32 : __builtin_clz(x);
#else
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while ((x & 0x80000000u) == 0) {
    x <<= 1;
    ++n;
  }
  return n;
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* TFS_QUANT_H_ */
