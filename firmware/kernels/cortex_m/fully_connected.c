/* tfsparse: Cortex-M optimized twin of kernels/fully_connected.c (same header, bit-identical results).
 *
 * Sparse rows: nonzero values are loaded four at a time (one LDR) and sign-extended in pairs with
 * SXTB16; each product is one SMLABB/SMLABT on the halfword of the pair, so the inner loop costs an
 * index load, an input load and a multiply-accumulate per nonzero, unrolled by eight.
 * Dense rows (TFS_ENC_DENSE): the DSP dense baseline, CMSIS-NN's technique: two output rows share
 * each 4-byte input load, both operands are split into sign-extended halfword pairs (SXTB16 and
 * SXTB16 of the byte-rotated word) and summed with SMLAD, two products per instruction.
 * Requantization: TFLM's MultiplyByQuantizedMultiplier with double rounding, as one 64-bit product,
 * one rounding add and two shifts (see tfs_cm_requantize for why this equals TFLM's formula).
 *
 * With __ARM_FEATURE_DSP the wrappers below are ACLE intrinsics; without it (host builds, sanitizers)
 * they are portable C with the same wrapping arithmetic, so the same file runs everywhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tfs_fully_connected.h"
#include "../tfs_quant.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TFS_CM_HAVE_DSP 1
#else
#define TFS_CM_HAVE_DSP 0
#endif

/* ---- DSP wrappers (ACLE on Cortex-M, portable C elsewhere) ------------------------------------ */

/* Bytes 0 and 2 of w, sign-extended into the low and high halfwords. */
static inline int32_t tfs_cm_sxtb16(uint32_t w) {
#if TFS_CM_HAVE_DSP
  return __sxtb16((int32_t)w);
#else
  uint32_t lo = (uint32_t)(int32_t)(int8_t)(w & 0xFFu) & 0xFFFFu;
  uint32_t hi = (uint32_t)(int32_t)(int8_t)((w >> 16) & 0xFFu) << 16;
  return (int32_t)(lo | hi);
#endif
}

/* Bytes 1 and 3 of w, sign-extended into the low and high halfwords (SXTB16 with ROR #8). */
static inline int32_t tfs_cm_sxtb16_ror8(uint32_t w) {
#if TFS_CM_HAVE_DSP && defined(__GNUC__)
  /* GCC does not fold the rotation into SXTB16's operand; one instruction instead of two. */
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
#else
  return tfs_cm_sxtb16((w >> 8) | (w << 24));
#endif
}

/* acc + lo16(a) * lo16(b) + hi16(a) * hi16(b), wrapping like the instruction. */
static inline int32_t tfs_cm_smlad(int32_t a, int32_t b, int32_t acc) {
#if TFS_CM_HAVE_DSP
  return __smlad(a, b, acc);
#else
  int32_t p0 = (int32_t)(int16_t)((uint32_t)a & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)b & 0xFFFFu);
  int32_t p1 = (int32_t)(int16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
#endif
}

/* acc + lo16(x) * lo16(pair) (SMLABB). */
static inline int32_t tfs_cm_smlabb(int32_t x, int32_t pair, int32_t acc) {
#if TFS_CM_HAVE_DSP
  return __smlabb(x, pair, acc);
#else
  int32_t p = (int32_t)(int16_t)((uint32_t)x & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)pair & 0xFFFFu);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* acc + lo16(x) * hi16(pair) (SMLABT). */
static inline int32_t tfs_cm_smlabt(int32_t x, int32_t pair, int32_t acc) {
#if TFS_CM_HAVE_DSP
  return __smlabt(x, pair, acc);
#else
  int32_t p = (int32_t)(int16_t)((uint32_t)x & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)pair >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* acc + a * b with wrap-around (MLA), no undefined behaviour on the host. */
static inline int32_t tfs_cm_mla(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)a * (uint32_t)b);
}

/* Four bytes from any address (one unaligned LDR on Cortex-M3 and later). */
static inline uint32_t tfs_cm_read4(const int8_t *p) {
  uint32_t w;
  memcpy(&w, p, sizeof w);
  return w;
}

/* ---- Requantization ---------------------------------------------------------------------------- */

/* TFLM: RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, m), right) + zp, clamped.
 * SaturatingRoundingDoublingHighMul(a, m) is trunc((a*m + nudge) / 2^31) with nudge 2^30 for a*m >= 0
 * and 1 - 2^30 below; for a negative product, truncating that sum equals floor((a*m + 2^30) / 2^31),
 * so both signs reduce to one arithmetic shift of a*m + 2^30 (Prepare guarantees m >= 0, so the one
 * saturating case a == m == INT32_MIN cannot occur). RoundingDivideByPOT rounds half away from zero,
 * which is (x + 2^(e-1) - (x < 0)) >> e, computed in 64 bits so it cannot overflow. */
static inline int8_t tfs_cm_requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp,
                                       int32_t act_min, int32_t act_max) {
  int32_t left = shift > 0 ? shift : 0;
  int32_t right = shift > 0 ? 0 : -shift;
  int32_t a = (int32_t)((uint32_t)acc << left);
  int32_t high = (int32_t)(((int64_t)a * multiplier + ((int64_t)1 << 30)) >> 31);
  if (right > 0) {
    high = (int32_t)(((int64_t)high + ((int64_t)1 << (right - 1)) - (high < 0)) >> right);
  }
  return (int8_t)tfs_clamp(tfs_add_wrap(high, zp), act_min, act_max);
}

/* Prepare (checks) is backend-neutral and lives in ../fully_connected_common.c; Eval trusts it. */

static inline uint32_t tfs_cm_row_ptr(const tfs_fc_params_t *p, int32_t r) {
  if (p->row_ptr_bytes == 2) return ((const uint16_t *)p->row_ptr)[r];
  return ((const uint32_t *)p->row_ptr)[r];
}

/* ---- Sparse rows --------------------------------------------------------------------------------- */

/* Four products: values v[0..3] (one word) times x[i0..i3]. */
#define TFS_CM_MAC4(acc, vword, x, i0, i1, i2, i3)              \
  do {                                                          \
    int32_t even_ = tfs_cm_sxtb16(vword);                       \
    int32_t odd_ = tfs_cm_sxtb16_ror8(vword);                   \
    (acc) = tfs_cm_smlabb((x)[i0], even_, (acc));               \
    (acc) = tfs_cm_smlabb((x)[i1], odd_, (acc));                \
    (acc) = tfs_cm_smlabt((x)[i2], even_, (acc));               \
    (acc) = tfs_cm_smlabt((x)[i3], odd_, (acc));                \
  } while (0)

/* One row of an absolute-index encoding; IDX is the index element type. Unrolled by 8, then 4, then 1. */
#define TFS_CM_ABS_ROW(IDX)                                                                         \
  static int32_t tfs_cm_row_##IDX(const int8_t *v, const IDX *idx, uint32_t n, const int8_t *x,    \
                                  int32_t acc) {                                                    \
    for (; n >= 8; n -= 8, v += 8, idx += 8) {                                                      \
      uint32_t w0 = tfs_cm_read4(v), w1 = tfs_cm_read4(v + 4);                                      \
      TFS_CM_MAC4(acc, w0, x, idx[0], idx[1], idx[2], idx[3]);                                      \
      TFS_CM_MAC4(acc, w1, x, idx[4], idx[5], idx[6], idx[7]);                                      \
    }                                                                                               \
    if (n >= 4) {                                                                                   \
      uint32_t w0 = tfs_cm_read4(v);                                                                \
      TFS_CM_MAC4(acc, w0, x, idx[0], idx[1], idx[2], idx[3]);                                      \
      n -= 4, v += 4, idx += 4;                                                                     \
    }                                                                                               \
    for (; n > 0; --n) acc = tfs_cm_smlabb(x[*idx++], *v++, acc);                                   \
    return acc;                                                                                     \
  }

TFS_CM_ABS_ROW(uint8_t)
TFS_CM_ABS_ROW(uint16_t)
TFS_CM_ABS_ROW(uint32_t)

/* One entry of a relative encoding: a gap, or the escape code that skips ESC columns and consumes no
 * value. Advances the input and value pointers. */
#define TFS_CM_REL_STEP(gap, esc, x, v, acc)               \
  do {                                                     \
    if ((gap) == (esc)) {                                  \
      (x) += (esc);                                        \
    } else {                                               \
      (x) += (gap);                                        \
      (acc) = tfs_cm_smlabb(*(x)++, *(v)++, (acc));        \
    }                                                      \
  } while (0)

/* One row of rel8 (entries [begin, end)); *vp is the running value pointer across rows. */
static int32_t tfs_cm_row_rel8(const int8_t **vp, const uint8_t *g, const uint8_t *gend, const int8_t *x,
                               int32_t acc) {
  const int8_t *v = *vp;
  for (; gend - g >= 2; g += 2) {
    uint32_t g0 = g[0], g1 = g[1];
    TFS_CM_REL_STEP(g0, 255u, x, v, acc);
    TFS_CM_REL_STEP(g1, 255u, x, v, acc);
  }
  if (g < gend) {
    uint32_t g0 = *g;
    TFS_CM_REL_STEP(g0, 255u, x, v, acc);
  }
  *vp = v;
  return acc;
}

/* One row of rel4: entries [begin, end) of the nibble stream (low nibble first; rows need not start
 * on a byte boundary). */
static int32_t tfs_cm_row_rel4(const int8_t **vp, const uint8_t *packed, uint32_t begin, uint32_t end,
                               const int8_t *x, int32_t acc) {
  const int8_t *v = *vp;
  uint32_t e = begin;
  if ((e & 1u) && e < end) {
    uint32_t gap = (uint32_t)packed[e >> 1] >> 4;
    TFS_CM_REL_STEP(gap, 15u, x, v, acc);
    ++e;
  }
  const uint8_t *b = packed + (e >> 1);
  for (uint32_t pairs = (end - e) >> 1; pairs > 0; --pairs) {
    uint32_t byte = *b++;
    uint32_t lo = byte & 0x0Fu, hi = byte >> 4;
    TFS_CM_REL_STEP(lo, 15u, x, v, acc);
    TFS_CM_REL_STEP(hi, 15u, x, v, acc);
  }
  if ((end - e) & 1u) {
    uint32_t gap = (uint32_t)*b & 0x0Fu;
    TFS_CM_REL_STEP(gap, 15u, x, v, acc);
  }
  *vp = v;
  return acc;
}

static void tfs_cm_eval_sparse(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {
  const int8_t *v = p->values; /* running value pointer of the relative encodings */
  const uint8_t *idx8 = (const uint8_t *)p->indices;
  for (int32_t r = 0; r < p->rows; ++r) {
    uint32_t begin = tfs_cm_row_ptr(p, r), end = tfs_cm_row_ptr(p, r + 1);
    int32_t acc = p->bias[r];
    /* Absolute encodings: one entry per value, so row_ptr indexes the values too. */
    switch (p->encoding) {
      case TFS_ENC_ABS_U8:
        acc = tfs_cm_row_uint8_t(p->values + begin, idx8 + begin, end - begin, x, acc);
        break;
      case TFS_ENC_ABS_U16:
        acc = tfs_cm_row_uint16_t(p->values + begin, (const uint16_t *)p->indices + begin, end - begin, x,
                                  acc);
        break;
      case TFS_ENC_ABS_U32:
        acc = tfs_cm_row_uint32_t(p->values + begin, (const uint32_t *)p->indices + begin, end - begin, x,
                                  acc);
        break;
      case TFS_ENC_REL8:
        acc = tfs_cm_row_rel8(&v, idx8 + begin, idx8 + end, x, acc);
        break;
      default: /* TFS_ENC_REL4, the only other encoding prepare accepts */
        acc = tfs_cm_row_rel4(&v, idx8, begin, end, x, acc);
        break;
    }
    out[r] = tfs_cm_requantize(acc, p->multiplier[r], p->shift[r], p->output_zero_point,
                               p->activation_min, p->activation_max);
  }
}

/* ---- Dense rows: the DSP dense baseline ----------------------------------------------------------- */

static void tfs_cm_eval_dense(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {
  const int32_t rows = p->rows, cols = p->cols;
  const int8_t *w = p->values;
  int32_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    const int8_t *w0 = w + (size_t)r * (size_t)cols, *w1 = w0 + cols, *xp = x;
    int32_t acc0 = p->bias[r], acc1 = p->bias[r + 1];
    int32_t c = cols >> 2;
    for (; c > 0; --c) {
      uint32_t xw = tfs_cm_read4(xp), a = tfs_cm_read4(w0), b = tfs_cm_read4(w1);
      int32_t x02 = tfs_cm_sxtb16(xw), x13 = tfs_cm_sxtb16_ror8(xw);
      acc0 = tfs_cm_smlad(tfs_cm_sxtb16(a), x02, acc0);
      acc0 = tfs_cm_smlad(tfs_cm_sxtb16_ror8(a), x13, acc0);
      acc1 = tfs_cm_smlad(tfs_cm_sxtb16(b), x02, acc1);
      acc1 = tfs_cm_smlad(tfs_cm_sxtb16_ror8(b), x13, acc1);
      xp += 4, w0 += 4, w1 += 4;
    }
    for (c = cols & 3; c > 0; --c) {
      int32_t xv = *xp++;
      acc0 = tfs_cm_smlabb(xv, *w0++, acc0);
      acc1 = tfs_cm_smlabb(xv, *w1++, acc1);
    }
    out[r] = tfs_cm_requantize(acc0, p->multiplier[r], p->shift[r], p->output_zero_point,
                               p->activation_min, p->activation_max);
    out[r + 1] = tfs_cm_requantize(acc1, p->multiplier[r + 1], p->shift[r + 1], p->output_zero_point,
                                   p->activation_min, p->activation_max);
  }
  if (r < rows) {
    const int8_t *w0 = w + (size_t)r * (size_t)cols, *xp = x;
    int32_t acc = p->bias[r];
    int32_t c = cols >> 2;
    for (; c > 0; --c) {
      uint32_t xw = tfs_cm_read4(xp), a = tfs_cm_read4(w0);
      acc = tfs_cm_smlad(tfs_cm_sxtb16(a), tfs_cm_sxtb16(xw), acc);
      acc = tfs_cm_smlad(tfs_cm_sxtb16_ror8(a), tfs_cm_sxtb16_ror8(xw), acc);
      xp += 4, w0 += 4;
    }
    for (c = cols & 3; c > 0; --c) acc = tfs_cm_smlabb(*xp++, *w0++, acc);
    out[r] = tfs_cm_requantize(acc, p->multiplier[r], p->shift[r], p->output_zero_point,
                               p->activation_min, p->activation_max);
  }
}

/* ---- Eval ------------------------------------------------------------------------------------------ */

void tfs_fully_connected_eval(const tfs_fc_params_t *p, int32_t batches, const int8_t *input,
                              int8_t *output) {
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *x = input + (size_t)b * (size_t)p->cols;
    int8_t *out = output + (size_t)b * (size_t)p->rows;
    if (p->encoding == TFS_ENC_DENSE) {
      tfs_cm_eval_dense(p, x, out);
    } else {
      tfs_cm_eval_sparse(p, x, out);
    }
  }
}

const char *tfs_fully_connected_impl(void) { return "cortex-m-dsp"; }
