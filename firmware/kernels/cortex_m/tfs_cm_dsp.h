/* tfsparse: Cortex-M DSP-extension helpers shared by the convolution twins (ACLE intrinsics when
 * __ARM_FEATURE_DSP, portable C with the same wrapping arithmetic elsewhere, so host builds under
 * sanitizers run the same code), and TFLM's requantization in 32/64-bit operations. */
#ifndef TFS_CM_DSP_H_
#define TFS_CM_DSP_H_

#include <stdint.h>
#include <string.h>

#include "../tfs_quant.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TFS_CMD_HAVE_DSP 1
#else
#define TFS_CMD_HAVE_DSP 0
#endif

/* Bytes 0 and 2 of w, sign-extended into the low and high halfwords. */
static inline int32_t tfs_cmd_sxtb16(uint32_t w) {
#if TFS_CMD_HAVE_DSP
  return __sxtb16((int32_t)w);
#else
  const uint32_t lo = (uint32_t)(int32_t)(int8_t)(w & 0xFFu) & 0xFFFFu;
  const uint32_t hi = (uint32_t)(int32_t)(int8_t)((w >> 16) & 0xFFu) << 16;
  return (int32_t)(lo | hi);
#endif
}

/* Bytes 1 and 3 of w, sign-extended into the low and high halfwords (SXTB16 with ROR #8). */
static inline int32_t tfs_cmd_sxtb16_ror8(uint32_t w) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
#else
  return tfs_cmd_sxtb16((w >> 8) | (w << 24));
#endif
}

/* acc + lo16(a) * lo16(b) + hi16(a) * hi16(b). */
static inline int32_t tfs_cmd_smlad(int32_t a, int32_t b, int32_t acc) {
#if TFS_CMD_HAVE_DSP
  return __smlad(a, b, acc);
#else
  const int32_t p0 = (int32_t)(int16_t)((uint32_t)a & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)b & 0xFFFFu);
  const int32_t p1 = (int32_t)(int16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
#endif
}

/* acc + lo16(a) * lo16(b) (SMLABB). */
static inline int32_t tfs_cmd_smlabb(int32_t a, int32_t b, int32_t acc) {
#if TFS_CMD_HAVE_DSP
  return __smlabb(a, b, acc);
#else
  const int32_t p = (int32_t)(int16_t)((uint32_t)a & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)b & 0xFFFFu);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* acc + hi16(a) * hi16(b) (SMLATT). */
static inline int32_t tfs_cmd_smlatt(int32_t a, int32_t b, int32_t acc) {
#if TFS_CMD_HAVE_DSP
  return __smlatt(a, b, acc);
#else
  const int32_t p = (int32_t)(int16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* Four bytes from any address (one unaligned LDR on Cortex-M3 and later). */
static inline uint32_t tfs_cmd_read4(const void *p) {
  uint32_t w;
  memcpy(&w, p, sizeof w);
  return w;
}

/* TFLM's MultiplyByQuantizedMultiplier (double rounding) + zero point + clamp, as one 64-bit product
 * and 32-bit rounding: SaturatingRoundingDoublingHighMul(a, m) for m >= 0 (Prepare checks it) is
 * floor((a * m + 2^30) / 2^31) for both signs of the product (the truncating division of the
 * reference with its sign-dependent nudge lands on the same integer), and RoundingDivideByPOT is
 * TFLM's remainder/threshold form. */
static inline int32_t tfs_cmd_mbqm(int32_t acc, int32_t multiplier, int32_t shift) {
  const uint32_t left = shift > 0 ? (uint32_t)shift : 0u;
  const uint32_t right = shift > 0 ? 0u : (uint32_t)-shift;
  const int32_t a = (int32_t)((uint32_t)acc << left);
  const int32_t high = (int32_t)(((int64_t)a * multiplier + ((int64_t)1 << 30)) >> 31);
  const int32_t mask = (int32_t)((1u << right) - 1u);
  const int32_t remainder = high & mask;
  const int32_t threshold = (mask >> 1) + (high < 0);
  return (high >> right) + (remainder > threshold);
}

static inline int8_t tfs_cmd_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t act_min,
                                        int32_t act_max) {
  return (int8_t)tfs_clamp(tfs_add_wrap(tfs_cmd_mbqm(acc, multiplier, shift), zp), act_min, act_max);
}

/* Pieces of the fast requantization (see cortex_m/conv_2d.c, conv_store4): saturating addition (QADD),
 * the high word of acc * m + (+-2^30 by the sign of acc) (one SMLAL on a preset accumulator), and
 * (x >> 1) clamped to int8 (one SSAT with a shifted operand). */
static inline int32_t tfs_cmd_qadd(int32_t a, int32_t b) {
#if TFS_CMD_HAVE_DSP
  return __qadd(a, b);
#else
  const int64_t s = (int64_t)a + b;
  return s > TFS_INT32_MAX ? TFS_INT32_MAX : (s < TFS_INT32_MIN ? TFS_INT32_MIN : (int32_t)s);
#endif
}

static inline int32_t tfs_cmd_high_word(int32_t acc, int32_t m) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  int32_t hi = acc >> 31;
  uint32_t lo = 0x40000000u | ((uint32_t)hi << 31);
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(acc), "r"(m));
  return hi;
#else
  const int64_t c = acc < 0 ? -((int64_t)1 << 30) : ((int64_t)1 << 30);
  return (int32_t)(((int64_t)acc * m + c) >> 32);
#endif
}

static inline int32_t tfs_cmd_ssat8_half(int32_t x) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  int32_t r;
  __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(x) : "cc");
  return r;
#else
  return tfs_clamp(x >> 1, -128, 127);
#endif
}

/* tfs_cmd_mbqm for a right shift (-31 <= shift <= -1) in one 64-bit product and one 64-bit addition.
 * With e = -shift, P = acc * multiplier and R = P + 2^30, TFLM's high product is floor(R / 2^31) and
 * its RoundingDivideByPOT(high, e) is floor((high + 2^(e-1) - [high < 0]) / 2^e); since
 * floor(floor(y) / n) = floor(y / n) that is floor((R + 2^(30+e) - [R < 0] * 2^31) / 2^(31+e)).
 * [R < 0] may be replaced by [acc < 0] (multiplier >= 0): they differ only for -2^30 <= P <= 0, where
 * both sums lie in [0, 2^(31+e)) and give 0. So the result is the high word of
 * P + 2^30 * (1 + 2^e - 2 * [acc < 0]) shifted right by e - 1 (one SMLAL from a sign-dependent start
 * on the DSP cores); the sum stays inside int64. `d` = 1 + 2^e and `exponent_minus_1` = e - 1 are per-channel constants (tfs_cmd_rq_d).
 * Equal to tfs_cmd_mbqm for every acc and multiplier >= 0 (tests/cortex_m/test_requantize_host.py). */
static inline uint32_t tfs_cmd_rq_d(int32_t shift) {
  return 1u + (1u << (uint32_t)-shift);
}

static inline int32_t tfs_cmd_mbqm_right(int32_t acc, int32_t multiplier, uint32_t d, int32_t exponent_minus_1) {
  const uint32_t sign = acc < 0 ? 0xFFFFFFFFu : 0u;
  const int64_t t = (int64_t)acc * multiplier + (int64_t)((uint64_t)(d + (sign << 1)) << 30);
  return (int32_t)(t >> 32) >> exponent_minus_1;
}

#endif /* TFS_CM_DSP_H_ */
