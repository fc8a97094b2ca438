/* tfsparse: Cortex-M DSP-extension helpers shared by the convolution twins (ACLE intrinsics when
 * __ARM_FEATURE_DSP, portable C with the same wrapping arithmetic elsewhere, so host builds under
 * sanitizers run the same code), and TFLM's requantization in 32/64-bit operations. Also used by
 * the ADD and pooling twins (4-lane max/min, 16-bit lane sums, rounding high multiply). */
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

/* Four bytes to any address (one unaligned STR on Cortex-M3 and later). */
static inline void tfs_cmd_write4(void *p, uint32_t w) {
  memcpy(p, &w, sizeof w);
}

/* Portable lane-wise signed maximum (max != 0) or minimum of four int8 lanes. */
static inline uint32_t tfs_cmd_pick4(uint32_t a, uint32_t b, int max) {
  uint32_t r = 0;
  for (int lane = 0; lane < 32; lane += 8) {
    const int8_t x = (int8_t)(a >> lane), y = (int8_t)(b >> lane);
    r |= (uint32_t)(uint8_t)((x > y) == (max != 0) ? x : y) << lane;
  }
  return r;
}

/* Lane-wise signed maximum and minimum of four int8 lanes (SSUB8 sets the GE flags, SEL picks). */
static inline uint32_t tfs_cmd_max4(uint32_t a, uint32_t b) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r, t;
  __asm__("ssub8 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
  return r;
#else
  return tfs_cmd_pick4(a, b, 1);
#endif
}

static inline uint32_t tfs_cmd_min4(uint32_t a, uint32_t b) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r, t;
  __asm__("ssub8 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(t) : "r"(a), "r"(b) : "cc");
  return r;
#else
  return tfs_cmd_pick4(a, b, 0);
#endif
}

/* acc's two int16 lanes plus bytes 0 and 2 of w, sign-extended (SXTAB16, wrapping per lane). */
static inline uint32_t tfs_cmd_sxtab16(uint32_t acc, uint32_t w) {
#if TFS_CMD_HAVE_DSP
  return (uint32_t)__sxtab16((int32_t)acc, (int32_t)w);
#else
  const uint32_t s = (uint32_t)tfs_cmd_sxtb16(w);
  return ((acc + s) & 0xFFFFu) | (((acc >> 16) + (s >> 16)) << 16);
#endif
}

/* The same with bytes 1 and 3 of w (SXTAB16 with ROR #8). */
static inline uint32_t tfs_cmd_sxtab16_ror8(uint32_t acc, uint32_t w) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(w));
  return r;
#else
  return tfs_cmd_sxtab16(acc, (w >> 8) | (w << 24));
#endif
}

/* The low and high int16 lanes of w as int32. */
static inline int32_t tfs_cmd_lane_lo(uint32_t w) {
  return (int32_t)(int16_t)(w & 0xFFFFu);
}

static inline int32_t tfs_cmd_lane_hi(uint32_t w) {
  return (int32_t)(int16_t)(w >> 16);
}

/* (a * b + 2^31) >> 32 (SMMULR). For m >= 0 and |a| < 2^30, tfs_cmd_smmulr(2 * a, m) is TFLM's
 * SaturatingRoundingDoublingHighMul(a, m): floor((2am + 2^31) / 2^32) = floor((am + 2^30) / 2^31). */
static inline int32_t tfs_cmd_smmulr(int32_t a, int32_t b) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
#endif
}

/* x saturated to [-128, 127] (SSAT #8). */
static inline int32_t tfs_cmd_ssat8(int32_t x) {
#if TFS_CMD_HAVE_DSP
  return __ssat(x, 8);
#else
  return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* The low bytes of b0..b3 as one word, b0 in the lowest byte (three BFI). */
static inline uint32_t tfs_cmd_pack4(int32_t b0, int32_t b1, int32_t b2, int32_t b3) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t w = (uint32_t)b0;
  __asm__("bfi %0, %1, #8, #8\n\tbfi %0, %2, #16, #8\n\tbfi %0, %3, #24, #8" : "+r"(w) : "r"(b1), "r"(b2), "r"(b3));
  return w;
#else
  return (uint32_t)(uint8_t)b0 | (uint32_t)(uint8_t)b1 << 8 | (uint32_t)(uint8_t)b2 << 16 | (uint32_t)(uint8_t)b3 << 24;
#endif
}

/* gemmlowp's RoundingDivideByPOT for 1 <= right <= 31, as one add, one subtract and one shift:
 * x / 2^right rounded half away from zero is floor((x + 2^(right-1) - [x < 0]) / 2^right).
 * nudge = 1 << (right - 1), plus k << right to add k to the result; x + nudge must fit in int32. */
static inline int32_t tfs_cmd_round_shift(int32_t x, int32_t nudge, int32_t right) {
  return (x + nudge - (int32_t)((uint32_t)x >> 31)) >> right;
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

/* Pieces of the fast requantization of the convolution and FC twins (cortex_m/conv_2d.c conv_store4, cortex_m/fully_connected.c): saturating addition (QADD),
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

/* Requantization markers for benchmarks/_insn_split.py (measured MAC-loop / requantization split):
 * TFS_RQ_BEGIN ... TFS_RQ_END around the requantization instructions inside an assembly block record
 * their [start, end) addresses in the non-allocated ELF section .debug_tfs_requant (not loaded; a
 * .debug_* name, so --gc-sections keeps it without keeping the code it points to). The instructions
 * are the same with or without them. Numeric local labels: inlined or duplicated blocks are fine. */
#ifndef TFS_RQ_BEGIN /* tests/firmware/test_insn_split_qemu.py builds without them (defined as "") */
#define TFS_RQ_BEGIN "91:\n\t"
#define TFS_RQ_END "92:\n\t.pushsection .debug_tfs_requant, \"\"\n\t.word 91b, 92b\n\t.popsection\n\t"
#endif

#endif /* TFS_CM_DSP_H_ */
