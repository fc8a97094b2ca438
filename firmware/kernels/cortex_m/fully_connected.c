/* tfsparse: Cortex-M optimized twin of kernels/fully_connected.c (same header, bit-identical results).
 *
 * Sparse rows: nonzero values are loaded four at a time (one LDR) and sign-extended in pairs with
 * SXTB16; each product is one SMLABB/SMLABT on the halfword of the pair, so the inner loop costs an
 * index load, an input load and a multiply-accumulate per nonzero, unrolled by eight.
 * Dense rows (TFS_ENC_DENSE): the DSP dense baseline, CMSIS-NN's technique: two output rows share
 * each 4-byte input load, both operands are split into sign-extended halfword pairs (SXTB16 and
 * SXTB16 of the byte-rotated word) and summed with SMLAD, two products per instruction.
 * Blocked rows (TFS_ENC_BLK8): one run per 255-column block. Columns (TFS_ENC_CSC8): a word of four
 * inputs at the zero point skips four columns; a live column scatters into int32 accumulators. On DSP
 * cores both loops are Thumb-2 assembly (one TBH per run into an unrolled body, see below), and so are
 * rel4's rows (16-bit row pointers): one UXTAB per gap, see tfs_cm_rel4_rows.
 * Requantization: TFLM's MultiplyByQuantizedMultiplier with double rounding in about 15 instructions
 * per output (see tfs_cm_scaled for why it equals TFLM's formula).
 *
 * With __ARM_FEATURE_DSP the wrappers below are ACLE intrinsics; without it (host builds, sanitizers)
 * they are portable C with the same wrapping arithmetic, so the same file runs everywhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tfs_fully_connected.h"
#include "../tfs_quant.h"

#include "tfs_cm_dsp.h" /* the DSP wrappers shared with the convolution twins */

#define TFS_CM_HAVE_DSP TFS_CMD_HAVE_DSP

/* The csc8 and blk8 loops in Thumb-2 assembly (below) on DSP cores built with GCC; C elsewhere. */
#if TFS_CM_HAVE_DSP && defined(__GNUC__) && defined(__thumb2__)
#define TFS_CM_ASM 1
#else
#define TFS_CM_ASM 0
#endif

/* File-scope assembly functions (TFS_CM_ASM): the directives around each body. Each function has its
 * own section, as -ffunction-sections gives C functions, so --gc-sections drops the unused ones. */
#define TFS_CM_ASM_FN_BEGIN(NAME)                                                                  \
  "  .pushsection .text." NAME ",\"ax\",%progbits\n  .syntax unified\n  .thumb\n  .p2align 2\n" \
  "  .global " NAME "\n  .hidden " NAME "\n  .type " NAME ", %function\n  .thumb_func\n" NAME ":\n"

#define TFS_CM_ASM_FN_END(NAME) "  .size " NAME ", . - " NAME "\n  .popsection\n"

/* Each encoding's loop is its own function: inlined into one switch they spill each other's registers. */
#if defined(__GNUC__)
#define TFS_CM_NOINLINE __attribute__((noinline))
#define TFS_CM_INLINE inline __attribute__((always_inline))
#else
#define TFS_CM_NOINLINE
#define TFS_CM_INLINE inline
#endif

/* ---- DSP wrappers (ACLE on Cortex-M, portable C elsewhere) ------------------------------------ */

/* acc + lo16(x) * hi16(pair) (SMLABT). */
static inline int32_t tfs_cm_smlabt(int32_t x, int32_t pair, int32_t acc) {
#if TFS_CM_HAVE_DSP
  return __smlabt(x, pair, acc);
#else
  int32_t p = (int32_t)(int16_t)((uint32_t)x & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)pair >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* ---- Requantization ---------------------------------------------------------------------------- */

/* The high word of acc * m + c, with the 64-bit c = +2^30 for acc >= 0 and -2^30 below (SMLAL on an
 * accumulator preset to c: ASR, MOV, ORR, SMLAL). */
static inline int32_t tfs_cm_high_word(int32_t acc, int32_t m, uint32_t c30) {
#if TFS_CM_HAVE_DSP && defined(__GNUC__)
  int32_t hi;
  uint32_t lo; /* ASR, one ORR against the constant (hoisted by GCC where a register is free), SMLAL */
  __asm__("asr %1, %2, #31\n\torr %0, %3, %1, lsl #31\n\tsmlal %0, %1, %2, %4"
          : "=&r"(lo), "=&r"(hi)
          : "r"(acc), "r"(c30), "r"(m));
  return hi;
#else
  (void)c30;
  const int64_t c = acc < 0 ? -((int64_t)1 << 30) : ((int64_t)1 << 30);
  return (int32_t)(((int64_t)acc * m + c) >> 32);
#endif
}

/* TFLM: RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, m), right) + zp, exact, as
 * twice the int32 to clamp (the clamp's SSAT halves it). For the common right shifts (shift <= -2, so
 * e = -shift >= 2 and no left shift) it costs a 64-bit multiply-add, one shift and one QADD:
 * - With m >= 0 (Prepare), SaturatingRoundingDoublingHighMul(a, m) = h = floor((P + 2^30) / 2^31),
 *   P = a*m: TFLM's nudge 1 - 2^30 for negative products and truncation toward zero give the same
 *   floor (and the saturating case a == m == INT32_MIN cannot occur).
 * - RoundingDivideByPOT(h, e) rounds half away from zero: floor((floor((h - [h<0]) / 2^(e-1)) + 1) / 2),
 *   and floor((h - [h<0]) / 2^(e-1)) = floor((P + c) / 2^(30+e)) with c = 2^30 - 2^31 [P < -2^30].
 *   Taking c = -2^30 for every negative P changes that floor only for P in [-2^30, 0), from 0 to -1,
 *   which the final (t + 1) / 2 maps to 0 either way: so c = +-2^30 by the sign of acc (m >= 0), and
 *   t = high word of (P + c), shifted right by e - 2 (30 + e >= 32).
 * - out + zp = floor((t + 2 zp + 1) / 2): k = 2 zp + 1 is added by QADD, which saturates only where the
 *   true value lies far outside int8 (it clamps to the same end), and the SSAT of the clamp shifts by one.
 * Shifts >= -1 (rare for fully-connected layers) take TFLM's formula as written. */
static inline int32_t tfs_cm_scaled2(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t k,
                                     int32_t minus2, uint32_t c30) {
  const int32_t e2 = minus2 - shift;
  if (e2 < 0) {
    const int32_t v = tfs_add_wrap(tfs_multiply_by_quantized_multiplier(acc, multiplier, shift), zp);
    return tfs_clamp(v, -(1 << 29), 1 << 29) * 2; /* beyond int8 either way; doubled exactly */
  }
  return tfs_cmd_qadd(tfs_cm_high_word(acc, multiplier, c30) >> e2, k);
}

/* One row's output: with the full int8 activation range (no fused activation, or ReLU with output
 * zero point -128) the clamp is one SSAT; otherwise also the activation range. */
static inline int32_t tfs_cm_output(int32_t scaled2, int32_t full_range, int32_t act_min, int32_t act_max) {
  const int32_t v = tfs_cmd_ssat8_half(scaled2);
  if (full_range) {
    return v;
  }
  return tfs_clamp(v, act_min, act_max);
}

/* The loop-invariant part of a layer's requantization. */
typedef struct {
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t zp;
  int32_t k; /* 2 * zp + 1 */
  int32_t minus2; /* -2 and 2^30, opaque to GCC so that they stay in registers instead of being */
  uint32_t c30;   /* rebuilt (MVN, MOV) for every output */
  int32_t full_range;
  int32_t act_min;
  int32_t act_max;
} tfs_cm_requant_t;

static inline int32_t tfs_cm_full_range(const tfs_fc_params_t *p) {
  return p->activation_min == -128 && p->activation_max == 127;
}

/* `full` is tfs_cm_full_range(p); tfs_cm_requantize_rows compiles its loop once per value. */
static inline tfs_cm_requant_t tfs_cm_requant(const tfs_fc_params_t *p, const int32_t full) {
  tfs_cm_requant_t q;
  q.multiplier = p->multiplier;
  q.shift = p->shift;
  q.zp = p->output_zero_point;
  q.k = 2 * p->output_zero_point + 1;
  q.minus2 = -2;
  q.c30 = 0x40000000u;
#if defined(__GNUC__)
  __asm__("" : "+r"(q.minus2), "+r"(q.c30));
#endif
  q.full_range = full;
  q.act_min = p->activation_min;
  q.act_max = p->activation_max;
  return q;
}

static inline int32_t tfs_cm_requantize_row(const tfs_cm_requant_t *q, int32_t r, int32_t acc) {
  return tfs_cm_output(tfs_cm_scaled2(acc, q->multiplier[r], q->shift[r], q->zp, q->k, q->minus2, q->c30), q->full_range, q->act_min,
                       q->act_max);
}

/* NAME(p, x, out): the evaluator NAME_body as its own (not inlined) function. */
#define TFS_CM_UNSWITCHED(NAME)                                                                      \
  static TFS_CM_NOINLINE void NAME(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {          \
    NAME##_body(p, x, out, tfs_cm_full_range(p));                                                   \
  }

/* out[r0 + j] for the accumulators acc[j], j < n: the per-output epilogue away from the accumulation
 * loops (whose registers would spill its pointers), about 15 instructions with the full int8 range. */
static TFS_CM_INLINE void tfs_cm_requantize_loop(const tfs_cm_requant_t *q, int32_t r0, const int32_t *acc,
                                                 int8_t *out, int32_t n, const int32_t full) {
  /* Locals: the int8 stores may alias *q, which would reload every field per output. */
  const int32_t *multiplier = q->multiplier + r0, *shift = q->shift + r0;
  const int32_t zp = q->zp, k = q->k, minus2 = q->minus2, act_min = q->act_min, act_max = q->act_max;
  const uint32_t c30 = q->c30;
  int8_t *o = out + r0;
  for (int32_t j = 0; j < n; ++j) {
    o[j] = tfs_cm_output(tfs_cm_scaled2(acc[j], multiplier[j], shift[j], zp, k, minus2, c30), full, act_min, act_max);
  }
}

/* The loop compiled for the full int8 range (one SSAT, no test) and for a narrower activation range. */
static TFS_CM_NOINLINE void tfs_cm_requantize_rows(const tfs_cm_requant_t *q, int32_t r0, const int32_t *acc,
                                                   int8_t *out, int32_t n) {
  if (q->full_range) {
    tfs_cm_requantize_loop(q, r0, acc, out, n, 1);
  } else {
    tfs_cm_requantize_loop(q, r0, acc, out, n, 0);
  }
}

/* Row forms accumulate TFS_CM_CHUNK rows into a stack array, then requantize them together. */
#define TFS_CM_CHUNK 16

static inline int32_t tfs_cm_chunk_rows(int32_t rows, int32_t r0) {
  return rows - r0 < TFS_CM_CHUNK ? rows - r0 : TFS_CM_CHUNK;
}

/* Prepare (checks) is backend-neutral and lives in ../fully_connected_common.c; Eval trusts it. */

/* ---- Sparse rows --------------------------------------------------------------------------------- */

/* Rows are walked in order, so the value and index pointers simply advance; only each row's entry
 * count is read from the row pointers (uint16 or uint32: one predictable branch per row). */
typedef struct {
  const uint16_t *p16;
  const uint32_t *p32;
} tfs_cm_rows_t;

static inline tfs_cm_rows_t tfs_cm_rows(const tfs_fc_params_t *p) {
  tfs_cm_rows_t rp;
  rp.p16 = p->row_ptr_bytes == 2 ? (const uint16_t *)p->row_ptr : NULL;
  rp.p32 = p->row_ptr_bytes == 2 ? NULL : (const uint32_t *)p->row_ptr;
  return rp;
}

static inline uint32_t tfs_cm_row_len(tfs_cm_rows_t rp, int32_t r) {
  return rp.p16 != NULL ? (uint32_t)rp.p16[r + 1] - rp.p16[r] : rp.p32[r + 1] - rp.p32[r];
}

/* Four products: values v[0..3] (one word) times x[i0..i3]. */
#define TFS_CM_MAC4(acc, vword, x, i0, i1, i2, i3)              \
  do {                                                          \
    int32_t even_ = tfs_cmd_sxtb16(vword);                       \
    int32_t odd_ = tfs_cmd_sxtb16_ror8(vword);                   \
    (acc) = tfs_cmd_smlabb((x)[i0], even_, (acc));               \
    (acc) = tfs_cmd_smlabb((x)[i1], odd_, (acc));                \
    (acc) = tfs_cm_smlabt((x)[i2], even_, (acc));               \
    (acc) = tfs_cm_smlabt((x)[i3], odd_, (acc));                \
  } while (0)

/* One product: acc += *v++ * x[*idx++]. */
#define TFS_CM_MAC_NEXT(acc, v, idx, x) ((acc) = tfs_cmd_smlabb((x)[*(idx)++], *(v)++, (acc)))

/* n products of consecutive values and the inputs x[idx[0..n-1]], advancing v and idx: Duff's device,
 * one computed jump into an eight-product body, then whole bodies (no remainder tests). */
#define TFS_CM_RUN(acc, v, idx, x, n)                                                               \
  do {                                                                                              \
    uint32_t k_ = ((n) + 7u) >> 3;                                                                  \
    if (k_ != 0) switch ((n) & 7u) {                                                                \
      case 0: do { TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                              \
      case 7: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 6: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 5: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 4: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 3: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 2: TFS_CM_MAC_NEXT(acc, v, idx, x); /* fall through */                                   \
      case 1: TFS_CM_MAC_NEXT(acc, v, idx, x);                                                      \
              } while (--k_ > 0);                                                                   \
    }                                                                                               \
  } while (0)

/* Absolute-index encodings (IDX is the index type): one run per row. */
#define TFS_CM_EVAL_ABS(IDX)                                                                        \
  static TFS_CM_INLINE void tfs_cm_eval_##IDX##_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,       \
                                                      const int32_t full) {                         \
    const int8_t *v = p->values;                                                                    \
    const IDX *idx = (const IDX *)p->indices;                                                       \
    const tfs_cm_rows_t rp = tfs_cm_rows(p);                                                        \
    const tfs_cm_requant_t q = tfs_cm_requant(p, full);                                                   \
    int32_t chunk[TFS_CM_CHUNK];                                                                    \
    for (int32_t r0 = 0; r0 < p->rows; r0 += TFS_CM_CHUNK) {                                        \
      const int32_t m = tfs_cm_chunk_rows(p->rows, r0);                                             \
      for (int32_t j = 0; j < m; ++j) {                                                             \
        const uint32_t n = tfs_cm_row_len(rp, r0 + j);                                              \
        int32_t acc = p->bias[r0 + j];                                                              \
        TFS_CM_RUN(acc, v, idx, x, n);                                                              \
        chunk[j] = acc;                                                                             \
      }                                                                                             \
      tfs_cm_requantize_rows(&q, r0, chunk, out, m);                                                \
    }                                                                                               \
  }

TFS_CM_EVAL_ABS(uint8_t)
TFS_CM_EVAL_ABS(uint16_t)
TFS_CM_EVAL_ABS(uint32_t)
TFS_CM_UNSWITCHED(tfs_cm_eval_uint8_t)
TFS_CM_UNSWITCHED(tfs_cm_eval_uint16_t)
TFS_CM_UNSWITCHED(tfs_cm_eval_uint32_t)

/* One entry of a relative encoding. The escape code equals the columns it skips, so the input pointer
 * always advances by the entry; only a non-escape entry consumes a value and one more column. */
#define TFS_CM_REL_STEP(gap, esc, x, v, acc)               \
  do {                                                     \
    (x) += (gap);                                          \
    if ((gap) != (esc)) {                                  \
      (acc) = tfs_cmd_smlabb(*(x)++, *(v)++, (acc));        \
    }                                                      \
  } while (0)

static TFS_CM_INLINE void tfs_cm_eval_rel8_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
  const int8_t *v = p->values;
  const uint8_t *g = (const uint8_t *)p->indices;
  const tfs_cm_rows_t rp = tfs_cm_rows(p);
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  int32_t chunk[TFS_CM_CHUNK];
  for (int32_t r0 = 0; r0 < p->rows; r0 += TFS_CM_CHUNK) {
    const int32_t m = tfs_cm_chunk_rows(p->rows, r0);
    for (int32_t r = r0; r < r0 + m; ++r) {
      const uint32_t n = tfs_cm_row_len(rp, r);
      const int8_t *xr = x;
      int32_t acc = p->bias[r];
      /* Four gaps per (unaligned) word load, then the rest one by one. */
      for (uint32_t k = n >> 2; k > 0; --k) {
        const uint32_t w = tfs_cmd_read4((const int8_t *)g);
        const uint32_t g0 = w & 0xFFu, g1 = (w >> 8) & 0xFFu, g2 = (w >> 16) & 0xFFu, g3 = w >> 24;
        TFS_CM_REL_STEP(g0, 255u, xr, v, acc);
        TFS_CM_REL_STEP(g1, 255u, xr, v, acc);
        TFS_CM_REL_STEP(g2, 255u, xr, v, acc);
        TFS_CM_REL_STEP(g3, 255u, xr, v, acc);
        g += 4;
      }
      for (uint32_t k = n & 3u; k > 0; --k) {
        const uint32_t gap = *g++;
        TFS_CM_REL_STEP(gap, 255u, xr, v, acc);
      }
      chunk[r - r0] = acc;
    }
    tfs_cm_requantize_rows(&q, r0, chunk, out, m);
  }
}

#if TFS_CM_ASM
/* rel4 rows in Thumb-2 assembly. The state of one row's walk (offsets used by the assembly). */
typedef struct {
  const int8_t *x;        /*  0: the inputs */
  const int8_t *v;        /*  4: values, advanced over the rows done */
  const uint8_t *packed;  /*  8: gaps */
  const uint16_t *rp;     /* 12: the next row's row pointer */
  const int32_t *bias;    /* 16: the next row's bias */
  const uint8_t *safe;    /* 20: a word of gaps loads whole below it (the array's end - 3) */
  int32_t *acc;           /* 24: scratch: the next row's accumulator */
  int32_t rows;           /* 28: scratch: rows left */
  uint32_t rem;           /* 32: scratch: the row's entries after its whole words (0..7) */
} tfs_cm_rel4_asm_t;

/* acc[0..rows-1] = bias + the next rows' dot products (rows > 0). Each row: its first gap alone when it
 * starts on a high nibble, then its whole words of eight gaps, then the last (rem) gaps.
 * - A word without an escape (no nibble 0xF: w & w >> 1 & w >> 2 has no bit 4k set) is split into its
 *   even and odd gaps as bytes (lo, hi), so each entry is one UXTAB (x += gap), the input's LDRSB with
 *   post-increment (x += 1) and, per four entries, one word of values split into halfword pairs by
 *   SXTB16 for SMLABB/SMLABT: 39 instructions per word.
 * - A word with one escape (a quarter of the words at 20% density) jumps (TBH on its position) to a
 *   straight body where the escape only moves x by 15 and the seven entries load their own values.
 * - A row that starts on a high nibble takes that gap alone first. Its last gaps are shifted into the
 *   top nibbles of a word (read whole below `safe`, else byte by byte) and enter by TBB a straight body
 *   of eight entries at entry 8 - count; with an escape among them (or a word with two or more), a
 *   checked body of eight entries instead: x += gap, and unless the gap is the escape (skip 15
 *   columns), a value times the input.
 * r0 x, r1 acc, r2 words left, r3 gaps, r4 values, r5 the word, r6/r7 its lo/hi gaps, r8 0x0F0F0F0F,
 * r9/r10 an input and a value, r11 where a partial word returns to (the next word, the row's end),
 * r12 its count, lr the state. Two words per loop (A, B), so that the loop's test is paid per pair. */
void tfs_cm_rel4_rows(tfs_cm_rel4_asm_t *s, int32_t *acc, int32_t rows);

/* Two entries (gaps in bytes ROT / 8 of r6, r7) with the values' pair registers r12 (even) and r10
 * (odd): MUL is SMLABB for the low halves of the pairs, SMLABT for the high ones. */
#define TFS_CM_ASM_R4_PAIR(ROT, MUL)                                              \
  "  uxtab r0, r0, r6" ROT "\n"                                                   \
  "  ldrsb r9, [r0], #1\n"                                                        \
  "  uxtab r0, r0, r7" ROT "\n"                                                   \
  "  ldrsb r11, [r0], #1\n"                                                       \
  "  " MUL " r1, r9, r12, r1\n"                                                  \
  "  " MUL " r1, r11, r10, r1\n"

/* Four entries: one word of values, then two pairs (bytes ROT_A and ROT_B of the gap words). */
#define TFS_CM_ASM_R4_QUAD(ROT_A, ROT_B)                                          \
  "  ldr r10, [r4], #4\n"                                                         \
  "  sxtb16 r12, r10\n"                                                           \
  "  sxtb16 r10, r10, ror #8\n"                                                   \
  TFS_CM_ASM_R4_PAIR(ROT_A, "smlabb")                                             \
  TFS_CM_ASM_R4_PAIR(ROT_B, "smlabt")

/* One word of eight gaps: its escape mask (r9), its lo/hi gaps, then straight unless it holds an escape. */
#define TFS_CM_ASM_R4_WORD(ESC)                                                   \
  "  ldr r5, [r3], #4\n"                                                          \
  "  and r9, r5, r5, lsr #1\n"                                                    \
  "  and r9, r9, r9, lsr #2\n"                                                    \
  "  ands r9, r9, #0x11111111\n" /* bit 4k: gap k is the escape */                \
  "  and r6, r5, #0x0F0F0F0F\n"                                                   \
  "  and r7, r8, r5, lsr #4\n"                                                    \
  "  bne " ESC "\n"                                                               \
  TFS_CM_ASM_R4_QUAD("", ", ror #8")                                              \
  TFS_CM_ASM_R4_QUAD(", ror #16", ", ror #24")

/* One entry with its own value, gap k in byte ROT / 8 of REG (r6 for even k, r7 for odd k; 16 bytes:
 * every instruction 32-bit), and the escape at gap k (x += 15). */
#define TFS_CM_ASM_R4_ENTRY(REG, ROT)                                             \
  "  uxtab.w r0, r0, " REG ROT "\n"                                               \
  "  ldrsb.w r9, [r0], #1\n"                                                      \
  "  ldrsb.w r10, [r4], #1\n"                                                     \
  "  smlabb r1, r9, r10, r1\n"
#define R4_E0 TFS_CM_ASM_R4_ENTRY("r6", "")
#define R4_E1 TFS_CM_ASM_R4_ENTRY("r7", "")
#define R4_E2 TFS_CM_ASM_R4_ENTRY("r6", ", ror #8")
#define R4_E3 TFS_CM_ASM_R4_ENTRY("r7", ", ror #8")
#define R4_E4 TFS_CM_ASM_R4_ENTRY("r6", ", ror #16")
#define R4_E5 TFS_CM_ASM_R4_ENTRY("r7", ", ror #16")
#define R4_E6 TFS_CM_ASM_R4_ENTRY("r6", ", ror #24")
#define R4_E7 TFS_CM_ASM_R4_ENTRY("r7", ", ror #24")
#define R4_X0 "  uxtab r0, r0, r6\n"
#define R4_X1 "  uxtab r0, r0, r7\n"
#define R4_X2 "  uxtab r0, r0, r6, ror #8\n"
#define R4_X3 "  uxtab r0, r0, r7, ror #8\n"
#define R4_X4 "  uxtab r0, r0, r6, ror #16\n"
#define R4_X5 "  uxtab r0, r0, r7, ror #16\n"
#define R4_X6 "  uxtab r0, r0, r6, ror #24\n"
#define R4_X7 "  uxtab r0, r0, r7, ror #24\n"
/* The straight body of a word whose only escape is gap J. */
#define TFS_CM_ASM_R4_ONE_ESC(J, G0, G1, G2, G3, G4, G5, G6, G7) \
  ".Ltfs_r4_v" #J ":\n" G0 G1 G2 G3 G4 G5 G6 G7 "  mov pc, r11\n"

/* One checked entry, gap k in byte ROT / 8 of REG, the escape flag in bit 4k of r9 (shifted into N by
 * LSLS #SH = 31 - 4k): x += gap, then unless the escape, the input times its own value (24 bytes). */
#define TFS_CM_ASM_R4_CHECKED(REG, ROT, SH)                                       \
  "  uxtab.w r0, r0, " REG ROT "\n"                                               \
  "  lsls.w r10, r9, #" SH "\n"                                                   \
  "  bmi.w 1f\n"                                                                  \
  "  ldrsb.w r10, [r0], #1\n"                                                     \
  "  ldrsb.w r12, [r4], #1\n"                                                     \
  "  smlabb r1, r10, r12, r1\n"                                                   \
  "1:\n"

/* TBB over r12 <= 8 entries of SIZE bytes ending at END: table entry n = (END - SIZE * n - TBL) / 2. */
#define TFS_CM_ASM_R4_TBB(TBL, END, SIZE)                                         \
  "  tbb [pc, r12]\n" TBL ":\n"                                                   \
  "  .set .Ltfs_k, 0\n"                                                           \
  "  .rept 9\n"                                                                   \
  "  .byte ((" END " - " #SIZE " * .Ltfs_k) - " TBL ") / 2\n"                     \
  "  .set .Ltfs_k, .Ltfs_k + 1\n"                                                 \
  "  .endr\n"                                                                     \
  "  .p2align 1\n"

/* A partial word returns to r11 (MOV PC: a plain branch). */
#define TFS_CM_ASM_R4_RETURN "  mov pc, r11\n"

__asm__(
    TFS_CM_ASM_FN_BEGIN("tfs_cm_rel4_rows")
    "  push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n"
    "  mov lr, r0\n"
    "  str r1, [lr, #24]\n  str r2, [lr, #28]\n"
    "  ldr r4, [lr, #4]\n"
    "  mov r8, #0x0F0F0F0F\n"
    ".Ltfs_r4_row:\n"
    "  ldr r12, [lr, #12]\n"
    "  ldrh r9, [r12], #2\n" /* the row's entries [r9, r10) */
    "  ldrh r10, [r12]\n"
    "  str r12, [lr, #12]\n"
    "  ldr r12, [lr, #16]\n"
    "  ldr r1, [r12], #4\n"
    "  str r12, [lr, #16]\n"
    "  subs r10, r10, r9\n"
    "  beq .Ltfs_r4_done\n"
    "  ldr r0, [lr, #0]\n"
    "  ldr r3, [lr, #8]\n"
    "  add r3, r3, r9, lsr #1\n"
    "  ands r9, r9, #1\n"
    "  sub r10, r10, r9\n"
    "  lsr r2, r10, #3\n"
    "  and r10, r10, #7\n"
    "  str r10, [lr, #32]\n"
    "  beq .Ltfs_r4_words\n"
    "  ldrb r5, [r3], #1\n" /* the first gap alone: the high nibble */
    "  lsr r5, r5, #4\n"
    "  add r0, r0, r5\n"
    "  cmp r5, #15\n"
    "  beq .Ltfs_r4_words\n"
    "  ldrsb r9, [r0], #1\n"
    "  ldrsb r10, [r4], #1\n"
    "  smlabb r1, r9, r10, r1\n"
    ".Ltfs_r4_words:\n" /* two words per loop (A, B); an odd count starts at B */
    "  lsrs r12, r2, #1\n"
    "  bcs .Ltfs_r4_wordB\n"
    "  beq .Ltfs_r4_tail\n"
    ".Ltfs_r4_wordA:\n"
    TFS_CM_ASM_R4_WORD(".Ltfs_r4_escA")
    ".Ltfs_r4_wordB:\n"
    TFS_CM_ASM_R4_WORD(".Ltfs_r4_escB")
    ".Ltfs_r4_next:\n"
    "  subs r2, r2, #2\n"
    "  bhi .Ltfs_r4_wordA\n"
    ".Ltfs_r4_tail:\n" /* the last rem gaps, into the top nibbles */
    "  ldr r12, [lr, #32]\n"
    "  cmp r12, #0\n"
    "  beq .Ltfs_r4_done\n"
    "  adr r11, .Ltfs_r4_done\n"
    "  ldr r9, [lr, #20]\n"
    "  cmp r3, r9\n"
    "  bhs .Ltfs_r4_bytes\n"
    "  ldr r5, [r3]\n"
    ".Ltfs_r4_shift:\n"
    "  rsb r9, r12, #8\n"
    "  lsl r9, r9, #2\n"
    "  lsl r5, r5, r9\n"
    ".Ltfs_r4_part:\n" /* r12 gaps at the top of r5: straight unless one is the escape */
    "  and r9, r5, r5, lsr #1\n"
    "  and r9, r9, r9, lsr #2\n"
    "  ands r9, r9, #0x11111111\n"
    "  and r6, r5, #0x0F0F0F0F\n"
    "  and r7, r8, r5, lsr #4\n"
    "  bne .Ltfs_r4_chk\n"
    TFS_CM_ASM_R4_TBB(".Ltfs_r4_ptbl", ".Ltfs_r4_pend", 16)
    R4_E0 R4_E1 R4_E2 R4_E3 R4_E4 R4_E5 R4_E6 R4_E7
    ".Ltfs_r4_pend:\n"
    TFS_CM_ASM_R4_RETURN
    ".Ltfs_r4_bytes:\n" /* (rem + 1) / 2 bytes, no read past the array's end */
    "  add r9, r12, #1\n"
    "  lsr r9, r9, #1\n"
    "  movs r5, #0\n"
    "  movs r10, #0\n"
    "2:\n"
    "  ldrb r6, [r3], #1\n"
    "  lsl r6, r6, r10\n"
    "  orr r5, r5, r6\n"
    "  add r10, r10, #8\n"
    "  subs r9, r9, #1\n"
    "  bne 2b\n"
    "  b .Ltfs_r4_shift\n"
    ".Ltfs_r4_escA:\n" /* one escape (gap j): the straight body of its position; more: checked */
    "  adr r11, .Ltfs_r4_wordB\n"
    "  b .Ltfs_r4_esc\n"
    ".Ltfs_r4_escB:\n"
    "  adr r11, .Ltfs_r4_next\n"
    ".Ltfs_r4_esc:\n"
    "  sub r12, r9, #1\n"
    "  tst r9, r12\n"
    "  bne .Ltfs_r4_multi\n"
    "  clz r12, r9\n" /* 31 - 4 j */
    "  tbh [pc, r12, lsl #1]\n"
    ".Ltfs_r4_vtbl:\n"
    "  .hword 0, 0, 0, (.Ltfs_r4_v7 - .Ltfs_r4_vtbl) / 2, 0, 0, 0, (.Ltfs_r4_v6 - .Ltfs_r4_vtbl) / 2\n"
    "  .hword 0, 0, 0, (.Ltfs_r4_v5 - .Ltfs_r4_vtbl) / 2, 0, 0, 0, (.Ltfs_r4_v4 - .Ltfs_r4_vtbl) / 2\n"
    "  .hword 0, 0, 0, (.Ltfs_r4_v3 - .Ltfs_r4_vtbl) / 2, 0, 0, 0, (.Ltfs_r4_v2 - .Ltfs_r4_vtbl) / 2\n"
    "  .hword 0, 0, 0, (.Ltfs_r4_v1 - .Ltfs_r4_vtbl) / 2, 0, 0, 0, (.Ltfs_r4_v0 - .Ltfs_r4_vtbl) / 2\n"
    TFS_CM_ASM_R4_ONE_ESC(0, R4_X0, R4_E1, R4_E2, R4_E3, R4_E4, R4_E5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(1, R4_E0, R4_X1, R4_E2, R4_E3, R4_E4, R4_E5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(2, R4_E0, R4_E1, R4_X2, R4_E3, R4_E4, R4_E5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(3, R4_E0, R4_E1, R4_E2, R4_X3, R4_E4, R4_E5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(4, R4_E0, R4_E1, R4_E2, R4_E3, R4_X4, R4_E5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(5, R4_E0, R4_E1, R4_E2, R4_E3, R4_E4, R4_X5, R4_E6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(6, R4_E0, R4_E1, R4_E2, R4_E3, R4_E4, R4_E5, R4_X6, R4_E7)
    TFS_CM_ASM_R4_ONE_ESC(7, R4_E0, R4_E1, R4_E2, R4_E3, R4_E4, R4_E5, R4_E6, R4_X7)
    ".Ltfs_r4_multi:\n"
    "  movs r12, #8\n"
    ".Ltfs_r4_chk:\n"
    TFS_CM_ASM_R4_TBB(".Ltfs_r4_tbl", ".Ltfs_r4_end", 24)
    TFS_CM_ASM_R4_CHECKED("r6", "", "31") TFS_CM_ASM_R4_CHECKED("r7", "", "27")
    TFS_CM_ASM_R4_CHECKED("r6", ", ror #8", "23") TFS_CM_ASM_R4_CHECKED("r7", ", ror #8", "19")
    TFS_CM_ASM_R4_CHECKED("r6", ", ror #16", "15") TFS_CM_ASM_R4_CHECKED("r7", ", ror #16", "11")
    TFS_CM_ASM_R4_CHECKED("r6", ", ror #24", "7") TFS_CM_ASM_R4_CHECKED("r7", ", ror #24", "3")
    ".Ltfs_r4_end:\n"
    TFS_CM_ASM_R4_RETURN
    ".Ltfs_r4_done:\n"
    "  ldr r12, [lr, #24]\n"
    "  str r1, [r12], #4\n"
    "  str r12, [lr, #24]\n"
    "  ldr r12, [lr, #28]\n"
    "  subs r12, r12, #1\n"
    "  str r12, [lr, #28]\n"
    "  bne .Ltfs_r4_row\n"
    "  str r4, [lr, #4]\n"
    "  pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n"
    TFS_CM_ASM_FN_END("tfs_cm_rel4_rows"));
#endif

/* rel4: two entries per byte, low nibble first; rows need not start on a byte boundary, so a row may
 * begin with the high nibble of a byte and end with the low nibble of another. Whole rows are read
 * eight nibbles per (unaligned) word load. */
#if TFS_CM_ASM
/* rel4 with 16-bit row pointers (up to 65535 entries): the rows' dot products in chunks of 16
 * (assembly), each chunk then requantized. */
static TFS_CM_INLINE void tfs_cm_eval_rel4_asm(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  const uint16_t *rp = (const uint16_t *)p->row_ptr;
  const uint32_t bytes = ((uint32_t)rp[p->rows] + 1u) >> 1;
  int32_t acc[TFS_CM_CHUNK];
  tfs_cm_rel4_asm_t s;
  s.x = x;
  s.v = p->values;
  s.packed = (const uint8_t *)p->indices;
  s.rp = rp;
  s.bias = p->bias;
  s.safe = s.packed + (bytes >= 3u ? bytes - 3u : 0u);
  for (int32_t r = 0; r < p->rows; r += TFS_CM_CHUNK) {
    const int32_t n = tfs_cm_chunk_rows(p->rows, r);
    tfs_cm_rel4_rows(&s, acc, n);
    tfs_cm_requantize_rows(&q, r, acc, out, n);
  }
}
#endif

static TFS_CM_INLINE void tfs_cm_eval_rel4_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
#if TFS_CM_ASM
  if (p->row_ptr_bytes == 2) {
    tfs_cm_eval_rel4_asm(p, x, out, full);
    return;
  }
#endif
  const int8_t *v = p->values;
  const uint8_t *packed = (const uint8_t *)p->indices;
  const tfs_cm_rows_t rp = tfs_cm_rows(p);
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  uint32_t e = 0; /* entry index of the row's first entry */
  int32_t chunk[TFS_CM_CHUNK];
  for (int32_t r0 = 0; r0 < p->rows; r0 += TFS_CM_CHUNK) {
    const int32_t m = tfs_cm_chunk_rows(p->rows, r0);
    for (int32_t r = r0; r < r0 + m; ++r) {
      const uint32_t end = e + tfs_cm_row_len(rp, r);
      const int8_t *xr = x;
      int32_t acc = p->bias[r];
      if ((e & 1u) && e < end) {
        const uint32_t gap = (uint32_t)packed[e >> 1] >> 4;
        TFS_CM_REL_STEP(gap, 15u, xr, v, acc);
        ++e;
      }
      const uint8_t *b = packed + (e >> 1);
      for (uint32_t k = (end - e) >> 3; k > 0; --k) {
        const uint32_t w = tfs_cmd_read4((const int8_t *)b);
        const uint32_t g0 = w & 0x0Fu, g1 = (w >> 4) & 0x0Fu, g2 = (w >> 8) & 0x0Fu, g3 = (w >> 12) & 0x0Fu;
        const uint32_t g4 = (w >> 16) & 0x0Fu, g5 = (w >> 20) & 0x0Fu, g6 = (w >> 24) & 0x0Fu, g7 = w >> 28;
        TFS_CM_REL_STEP(g0, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g1, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g2, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g3, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g4, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g5, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g6, 15u, xr, v, acc);
        TFS_CM_REL_STEP(g7, 15u, xr, v, acc);
        b += 4;
      }
      for (uint32_t k = ((end - e) & 7u) >> 1; k > 0; --k) {
        const uint32_t byte = *b++;
        const uint32_t lo = byte & 0x0Fu, hi = byte >> 4;
        TFS_CM_REL_STEP(lo, 15u, xr, v, acc);
        TFS_CM_REL_STEP(hi, 15u, xr, v, acc);
      }
      if ((end - e) & 1u) {
        const uint32_t gap = (uint32_t)*b & 0x0Fu;
        TFS_CM_REL_STEP(gap, 15u, xr, v, acc);
      }
      e = end;
      chunk[r - r0] = acc;
    }
    tfs_cm_requantize_rows(&q, r0, chunk, out, m);
  }
}

/* ---- Blocked forms ---------------------------------------------------------------------------------- */

#if !TFS_CM_ASM /* else: assembly, below */
/* blk8: per row, one run per 255-column block with the input pointer at the block's first column
 * (inlined with the common block counts as constants, so the block loop unrolls). */
static TFS_CM_INLINE void tfs_cm_blk8_rows(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
                                           const int32_t blocks, const int32_t full) {
  const int8_t *v = p->values;
  const uint8_t *idx = (const uint8_t *)p->indices;
  const uint8_t *count = (const uint8_t *)p->row_ptr;
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  for (int32_t r = 0; r < p->rows; ++r) {
    int32_t acc = p->bias[r];
    for (int32_t b = 0; b < blocks; ++b) {
      const int8_t *xb = x + b * TFS_BLOCK;
      const uint32_t n = *count++;
      TFS_CM_RUN(acc, v, idx, xb, n);
    }
    out[r] = tfs_cm_requantize_row(&q, r, acc);
  }
}

static TFS_CM_INLINE void tfs_cm_eval_blk8_c_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
  switch (TFS_BLOCKS(p->cols)) {
    case 1:
      tfs_cm_blk8_rows(p, x, out, 1, full);
      break;
    case 2:
      tfs_cm_blk8_rows(p, x, out, 2, full);
      break;
    case 4:
      tfs_cm_blk8_rows(p, x, out, 4, full);
      break;
    default:
      tfs_cm_blk8_rows(p, x, out, TFS_BLOCKS(p->cols), full);
      break;
  }
}
#endif

/* Sum of the four bytes of w (USADA8 against zero). */
static inline uint32_t tfs_cm_byte_sum4(uint32_t w) {
#if TFS_CM_HAVE_DSP
  return __usad8(w, 0);
#else
  return (w & 0xFFu) + ((w >> 8) & 0xFFu) + ((w >> 16) & 0xFFu) + (w >> 24);
#endif
}

/* Four entries of a column: acc[idx[0..3]] += v[0..3] * xv (one word of values, SXTB16 pairs). */
#define TFS_CM_SCATTER4(acc, v, idx, xv)                       \
  do {                                                         \
    const uint32_t w_ = tfs_cmd_read4(v);                       \
    const int32_t even_ = tfs_cmd_sxtb16(w_);                   \
    const int32_t odd_ = tfs_cmd_sxtb16_ror8(w_);               \
    int32_t *a0_ = (acc) + (idx)[0], *a1_ = (acc) + (idx)[1];  \
    int32_t *a2_ = (acc) + (idx)[2], *a3_ = (acc) + (idx)[3];  \
    *a0_ = tfs_cmd_smlabb(xv, even_, *a0_);                     \
    *a1_ = tfs_cmd_smlabb(xv, odd_, *a1_);                      \
    *a2_ = tfs_cm_smlabt(xv, even_, *a2_);                     \
    *a3_ = tfs_cm_smlabt(xv, odd_, *a3_);                      \
  } while (0)

#define TFS_CM_SCATTER1(acc, v, idx, xv, j)                    \
  do {                                                         \
    int32_t *a_ = (acc) + (idx)[j];                            \
    *a_ = tfs_cmd_smlabb(xv, (v)[j], *a_);                      \
  } while (0)

/* One entry of a column: acc[*idx++] += *v++ * xv (post-incremented loads: no pointer arithmetic). */
#define TFS_CM_SCATTER_NEXT(acc, v, idx, xv)                   \
  do {                                                         \
    int32_t *a_ = (acc) + *(idx)++;                            \
    *a_ = tfs_cmd_smlabb(xv, *(v)++, *a_);                      \
  } while (0)

/* acc[idx[k]] += v[k] * xv for one column's run of n > 0 entries (rows distinct and increasing), Duff's
 * device: one computed jump into an eight-entry body, then whole bodies. A run averages a few to a few
 * dozen entries, so the per-run cost (one jump, no remainder tests) matters as much as the per-entry one. */
static TFS_CM_INLINE void tfs_cm_scatter(int32_t *acc, const int8_t **vp, const uint8_t **ip, int32_t xv, uint32_t n) {
  const int8_t *v = *vp;
  const uint8_t *idx = *ip;
  uint32_t k = (n + 7u) >> 3;
  if (k != 0) switch (n & 7u) {
    case 0: do { TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 7: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 6: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 5: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 4: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 3: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 2: TFS_CM_SCATTER_NEXT(acc, v, idx, xv); /* fall through */
    case 1: TFS_CM_SCATTER_NEXT(acc, v, idx, xv);
          } while (--k > 0);
  }
  *vp = v;
  *ip = idx;
}

/* One column of csc8: skip its entries at the zero point (xv == 0), else scatter them block by block. */
static TFS_CM_INLINE void tfs_cm_column(int32_t *acc, const int8_t **vp, const uint8_t **ip, const uint8_t **cp,
                                        int32_t xv, int32_t blocks) {
  const uint8_t *count = *cp;
  for (int32_t b = 0; b < blocks; ++b) {
    const uint32_t n = *count++;
    if (!TFS_SKIP_COLUMN(xv == 0)) {
      tfs_cm_scatter(acc + b * TFS_BLOCK, vp, ip, xv, n);
    } else {
      *vp += n, *ip += n;
    }
  }
  *cp = count;
}

/* The column loop of csc8 for `blocks` row blocks (inlined with the common counts 1 and 2 as
 * constants, so their block loops unroll and the column loop keeps its pointers in registers):
 * columns are tested four at a time (one word of input against the zero point in every byte): four
 * columns at the zero point cost one compare and a byte sum of their counts to skip their entries. */
static TFS_CM_INLINE void tfs_cm_csc8_columns(const tfs_fc_params_t *p, const int8_t *x, int32_t *acc,
                                              const int32_t blocks) {
  const int8_t *v = p->values;
  const uint8_t *idx = (const uint8_t *)p->indices;
  const uint8_t *count = (const uint8_t *)p->row_ptr;
  const int32_t cols = p->cols, zp = p->input_zero_point;
  const uint32_t zp4 = 0x01010101u * (uint8_t)zp;
  int32_t c = 0;
  for (; c + 4 <= cols; c += 4) {
    if (TFS_SKIP_COLUMN(tfs_cmd_read4(x + c) == zp4)) { /* four columns' counts are 4 * blocks consecutive bytes */
      uint32_t skip = 0;
      for (int32_t j = 0; j < blocks; ++j) {
        skip += tfs_cm_byte_sum4(tfs_cmd_read4((const int8_t *)count + 4 * j));
      }
      v += skip, idx += skip, count += 4 * blocks;
      continue;
    }
    for (int32_t j = 0; j < 4; ++j) {
      tfs_cm_column(acc, &v, &idx, &count, (int32_t)x[c + j] - zp, blocks);
    }
  }
  for (; c < cols; ++c) {
    tfs_cm_column(acc, &v, &idx, &count, (int32_t)x[c] - zp, blocks);
  }
}

/* ---- Thumb-2 assembly for the two hottest loops (DSP cores; the C above runs everywhere else) ------ *
 * A run of n entries (one column's rows in one block for csc8, one row's columns in one block for blk8)
 * is one TBH into a 64-entry unrolled body at entry 64 - n. Each entry is the floor (csc8: LDRB index,
 * LDRSB value, LDR accumulator, SMLABB, STR; blk8: LDRB index, LDRSB input, LDRSB value, SMLABB), with
 * no loop counter and no remainder code: a run costs its count's load, a compare and the TBH. Runs of
 * over 64 entries (over a quarter of a block) do their excess in a plain loop first. Every instruction
 * of a body is 32-bit, so entries have a fixed size and the TBH table is arithmetic. The functions are
 * file-scope assembly (not inline asm: they use every register, and GCC cannot size their bodies). */
#if TFS_CM_ASM

/* TBH over a run of r12 <= 64 entries into the body that follows, ending at label END:
 * table entry n = (END - SIZE * n - table) / 2. */
#define TFS_CM_ASM_TBH(TBL, END, SIZE)                                  \
  "  tbh [pc, r12, lsl #1]\n" TBL ":\n"                                 \
  "  .set .Ltfs_k, 0\n"                                                 \
  "  .rept 65\n"                                                        \
  "  .hword ((" END " - " #SIZE " * .Ltfs_k) - " TBL ") / 2\n"          \
  "  .set .Ltfs_k, .Ltfs_k + 1\n"                                       \
  "  .endr\n"

/* Worst-case builds take the same instructions but never skip: the branch goes where falling through
 * would, so every column costs exactly what a live one costs in the normal build. */
#ifdef TFS_ALL_COLUMNS_LIVE
#define TFS_CM_ASM_SKIP_IF_EQ(LABEL) "  bne 7f\n7:\n"
#else
#define TFS_CM_ASM_SKIP_IF_EQ(LABEL) "  beq " LABEL "\n"
#endif

/* csc8 entry: acc[idx] += xv (r3) * value, ACC the block's accumulator base (20 bytes). */
#define TFS_CM_ASM_SCATTER(ACC)                                                   \
  "  ldrb.w r9, [r5], #1\n"                                                       \
  "  ldrsb.w r10, [r4], #1\n"                                                     \
  "  ldr.w r11, [" ACC ", r9, lsl #2]\n"                                          \
  "  smlabb r11, r3, r10, r11\n"                                                  \
  "  str.w r11, [" ACC ", r9, lsl #2]\n"

/* One block's run of a live csc8 column (its count at r6). */
#define TFS_CM_ASM_CSC8_RUN(L, ACC)                                               \
  "  ldrb r12, [r6], #1\n"                                                        \
  "  cmp r12, #64\n"                                                              \
  "  bhi " L "_long\n"                                                            \
  L "_tbh:\n"                                                                     \
  TFS_CM_ASM_TBH(L "_tbl", L "_end", 20)                                          \
  "  .rept 64\n" TFS_CM_ASM_SCATTER(ACC) "  .endr\n"                              \
  L "_end:\n"

/* The excess of a run over 64 entries, out of line. */
#define TFS_CM_ASM_CSC8_LONG(L, ACC)                                              \
  L "_long:\n"                                                                    \
  "  sub r12, r12, #64\n"                                                         \
  "1:\n" TFS_CM_ASM_SCATTER(ACC)                                                  \
  "  subs r12, r12, #1\n"                                                         \
  "  bne 1b\n"                                                                    \
  "  movs r12, #64\n"                                                             \
  "  b " L "_tbh\n"

/* The state of csc8's column loop (offsets used by the assembly). */
typedef struct {
  const int8_t *x;      /*  0: first input */
  const int8_t *x4;     /*  4: end of the whole words of four inputs */
  const int8_t *x_end;  /*  8: end of the inputs */
  const int8_t *v;      /* 12: values */
  const uint8_t *idx;   /* 16: row indices */
  const uint8_t *count; /* 20: per column per block */
  int32_t *acc;         /* 24 */
  int32_t zp;           /* 28: input zero point */
  uint32_t zp4;         /* 32: zp in every byte */
} tfs_cm_csc8_asm_t;

/* The column loop of csc8 for one (…1) or two (…2) row blocks. r0 x, r1 end of the current columns,
 * r2 zp, r3 x - zp, r4 values, r5 indices, r6 counts, r7 acc, r8 acc + 255, r9-r11 an entry's
 * index/value/accumulator, r12 a run's length; the stack holds x4, x_end, zp4. A word of four inputs
 * at the zero point skips their columns (a byte sum of their counts); otherwise each column is tested
 * alone, and a live one runs its blocks. */
void tfs_cm_csc8_columns1(const tfs_cm_csc8_asm_t *s);
void tfs_cm_csc8_columns2(const tfs_cm_csc8_asm_t *s);

#define TFS_CM_ASM_CSC8_PROLOGUE                                                  \
  "  push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n"                              \
  "  sub sp, sp, #12\n"                                                           \
  "  ldr r1, [r0, #4]\n  str r1, [sp, #0]\n"                                      \
  "  ldr r1, [r0, #8]\n  str r1, [sp, #4]\n"                                      \
  "  ldr r1, [r0, #32]\n  str r1, [sp, #8]\n"                                     \
  "  ldr r4, [r0, #12]\n  ldr r5, [r0, #16]\n  ldr r6, [r0, #20]\n"               \
  "  ldr r7, [r0, #24]\n  add r8, r7, #1020\n"                                    \
  "  ldr r2, [r0, #28]\n  ldr r0, [r0, #0]\n"

#define TFS_CM_ASM_CSC8_QUAD(L)                                                   \
  L "_quad:\n"                                                                    \
  "  ldr lr, [sp, #0]\n  cmp r0, lr\n  bhs " L "_tail\n"                          \
  "  ldr r12, [r0]\n  ldr lr, [sp, #8]\n  cmp r12, lr\n"                          \
  TFS_CM_ASM_SKIP_IF_EQ(L "_skip4")                                               \
  "  add r1, r0, #4\n"                                                            \
  L "_col:\n"                                                                     \
  "  ldrsb r3, [r0], #1\n  subs r3, r3, r2\n"                                     \
  TFS_CM_ASM_SKIP_IF_EQ(L "_dead")

#define TFS_CM_ASM_CSC8_NEXT(L)                                                   \
  L "_next:\n"                                                                    \
  "  cmp r0, r1\n  bne " L "_col\n  b " L "_quad\n"

#define TFS_CM_ASM_CSC8_TAIL(L)                                                   \
  L "_tail:\n"                                                                    \
  "  ldr r1, [sp, #4]\n  cmp r0, r1\n  bne " L "_col\n"                           \
  "  add sp, sp, #12\n"                                                           \
  "  pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n"

__asm__(
    TFS_CM_ASM_FN_BEGIN("tfs_cm_csc8_columns1")
    TFS_CM_ASM_CSC8_PROLOGUE
    TFS_CM_ASM_CSC8_QUAD(".Ltfs_c1")
    TFS_CM_ASM_CSC8_RUN(".Ltfs_c1a", "r7")
    TFS_CM_ASM_CSC8_NEXT(".Ltfs_c1")
    ".Ltfs_c1_dead:\n"
    "  ldrb r12, [r6], #1\n  add r4, r4, r12\n  add r5, r5, r12\n  b .Ltfs_c1_next\n"
    ".Ltfs_c1_skip4:\n"
    "  ldr r9, [r6]\n  movs r11, #0\n  usad8 r12, r9, r11\n"
    "  add r4, r4, r12\n  add r5, r5, r12\n  adds r6, r6, #4\n  adds r0, r0, #4\n  b .Ltfs_c1_quad\n"
    TFS_CM_ASM_CSC8_LONG(".Ltfs_c1a", "r7")
    TFS_CM_ASM_CSC8_TAIL(".Ltfs_c1")
    TFS_CM_ASM_FN_END("tfs_cm_csc8_columns1"));

__asm__(
    TFS_CM_ASM_FN_BEGIN("tfs_cm_csc8_columns2")
    TFS_CM_ASM_CSC8_PROLOGUE
    TFS_CM_ASM_CSC8_QUAD(".Ltfs_c2")
    TFS_CM_ASM_CSC8_RUN(".Ltfs_c2a", "r7")
    TFS_CM_ASM_CSC8_RUN(".Ltfs_c2b", "r8")
    TFS_CM_ASM_CSC8_NEXT(".Ltfs_c2")
    ".Ltfs_c2_dead:\n"
    "  ldrb r12, [r6], #1\n  ldrb r9, [r6], #1\n  add r12, r12, r9\n"
    "  add r4, r4, r12\n  add r5, r5, r12\n  b .Ltfs_c2_next\n"
    ".Ltfs_c2_skip4:\n"
    "  ldr r9, [r6]\n  ldr r10, [r6, #4]\n  movs r11, #0\n  usad8 r12, r9, r11\n  usada8 r12, r10, r11, r12\n"
    "  add r4, r4, r12\n  add r5, r5, r12\n  adds r6, r6, #8\n  adds r0, r0, #4\n  b .Ltfs_c2_quad\n"
    TFS_CM_ASM_CSC8_LONG(".Ltfs_c2a", "r7")
    TFS_CM_ASM_CSC8_LONG(".Ltfs_c2b", "r8")
    TFS_CM_ASM_CSC8_TAIL(".Ltfs_c2")
    TFS_CM_ASM_FN_END("tfs_cm_csc8_columns2"));

/* blk8 entry: acc (r3) += x_block[idx] * value, the block's inputs at r8 (16 bytes). */
#define TFS_CM_ASM_GATHER                                                         \
  "  ldrb.w r9, [r5], #1\n"                                                       \
  "  ldrsb.w r10, [r8, r9]\n"                                                     \
  "  ldrsb.w r11, [r4], #1\n"                                                     \
  "  smlabb r3, r10, r11, r3\n"

/* The state of blk8's row loop (offsets used by the assembly); the pointers advance over the rows done. */
typedef struct {
  const int8_t *x;      /*  0: first input */
  int32_t blocks;       /*  4: column blocks (> 0) */
  const int8_t *v;      /*  8: values */
  const uint8_t *idx;   /* 12: columns within the block */
  const uint8_t *count; /* 16: per row per block */
  const int32_t *bias;  /* 20 */
} tfs_cm_blk8_asm_t;

/* acc[0..rows-1] = bias + the next rows' dot products (rows > 0). r0 acc out, r1 rows left, r3 the row's
 * accumulator, r4 values, r5 indices, r6 counts, r7 bias, r8 the block's first input, r9-r11 an
 * entry's column/input/value, r12 a run's length, lr blocks left; the stack holds x, blocks, s. */
void tfs_cm_blk8_dots(tfs_cm_blk8_asm_t *s, int32_t *acc, int32_t rows);

__asm__(
    TFS_CM_ASM_FN_BEGIN("tfs_cm_blk8_dots")
    "  push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n"
    "  sub sp, sp, #12\n"
    "  ldr r3, [r0, #0]\n  str r3, [sp, #0]\n"
    "  ldr r3, [r0, #4]\n  str r3, [sp, #4]\n"
    "  str r0, [sp, #8]\n"
    "  ldr r4, [r0, #8]\n  ldr r5, [r0, #12]\n  ldr r6, [r0, #16]\n  ldr r7, [r0, #20]\n"
    "  mov r0, r1\n  mov r1, r2\n"
    ".Ltfs_b_row:\n"
    "  ldr r3, [r7], #4\n  ldr r8, [sp, #0]\n  ldr lr, [sp, #4]\n"
    ".Ltfs_b_blk:\n"
    "  ldrb r12, [r6], #1\n"
    "  cmp r12, #64\n"
    "  bhi .Ltfs_b_long\n"
    ".Ltfs_b_tbh:\n"
    TFS_CM_ASM_TBH(".Ltfs_b_tbl", ".Ltfs_b_end", 16)
    "  .rept 64\n" TFS_CM_ASM_GATHER "  .endr\n"
    ".Ltfs_b_end:\n"
    "  add r8, r8, #255\n"
    "  subs lr, lr, #1\n"
    "  bne .Ltfs_b_blk\n"
    "  str r3, [r0], #4\n"
    "  subs r1, r1, #1\n"
    "  bne .Ltfs_b_row\n"
    "  ldr r0, [sp, #8]\n"
    "  str r4, [r0, #8]\n  str r5, [r0, #12]\n  str r6, [r0, #16]\n  str r7, [r0, #20]\n"
    "  add sp, sp, #12\n"
    "  pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n"
    ".Ltfs_b_long:\n"
    "  sub r12, r12, #64\n"
    "1:\n" TFS_CM_ASM_GATHER
    "  subs r12, r12, #1\n"
    "  bne 1b\n"
    "  movs r12, #64\n"
    "  b .Ltfs_b_tbh\n"
    TFS_CM_ASM_FN_END("tfs_cm_blk8_dots"));

#endif /* TFS_CM_ASM */

/* blk8: the rows' dot products in chunks of 16 (assembly), each chunk then requantized. */
static TFS_CM_INLINE void tfs_cm_eval_blk8_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
#if TFS_CM_ASM
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  tfs_cm_blk8_asm_t s;
  int32_t acc[TFS_CM_CHUNK];
  s.x = x;
  s.blocks = TFS_BLOCKS(p->cols);
  s.v = p->values;
  s.idx = (const uint8_t *)p->indices;
  s.count = (const uint8_t *)p->row_ptr;
  s.bias = p->bias;
  for (int32_t r = 0; r < p->rows; r += TFS_CM_CHUNK) {
    const int32_t n = tfs_cm_chunk_rows(p->rows, r);
    if (s.blocks > 0) {
      tfs_cm_blk8_dots(&s, acc, n);
    } else { /* no columns: the bias */
      memcpy(acc, s.bias, (size_t)n * sizeof *acc);
      s.bias += n;
    }
    tfs_cm_requantize_rows(&q, r, acc, out, n);
  }
#else
  tfs_cm_eval_blk8_c_body(p, x, out, full);
#endif
}

/* csc8: accumulators start at the unfolded bias; columns are tested four at a time (one word of
 * input against the zero point in every byte): four columns at the zero point cost one compare and
 * a byte sum of their counts to skip their entries. A live column adds (x - zp) * w into its rows. */
static TFS_CM_INLINE void tfs_cm_eval_csc8_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out, int32_t *acc,
    const int32_t full) {
  const int32_t rows = p->rows, blocks = TFS_BLOCKS(p->rows);
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  for (int32_t r = 0; r < rows; ++r) { /* newlib-nano's memcpy copies bytes */
    acc[r] = p->bias[r];
  }
#if TFS_CM_ASM
  if (blocks <= 2) {
    const int32_t cols = p->cols;
    tfs_cm_csc8_asm_t s;
    s.x = x;
    s.x4 = x + (cols & ~3);
    s.x_end = x + cols;
    s.v = p->values;
    s.idx = (const uint8_t *)p->indices;
    s.count = (const uint8_t *)p->row_ptr;
    s.acc = acc;
    s.zp = p->input_zero_point;
    s.zp4 = 0x01010101u * (uint8_t)p->input_zero_point;
    if (blocks == 1) {
      tfs_cm_csc8_columns1(&s);
    } else {
      tfs_cm_csc8_columns2(&s);
    }
  } else {
    tfs_cm_csc8_columns(p, x, acc, blocks);
  }
#else
  if (blocks == 1) {
    tfs_cm_csc8_columns(p, x, acc, 1);
  } else if (blocks == 2) {
    tfs_cm_csc8_columns(p, x, acc, 2);
  } else {
    tfs_cm_csc8_columns(p, x, acc, blocks);
  }
#endif
  tfs_cm_requantize_rows(&q, 0, acc, out, rows);
}

/* ---- Dense rows: the DSP dense baseline ----------------------------------------------------------- */

/* Four columns of two rows: acc0 += w0[0..3] . x[0..3], acc1 += w1[0..3] . x[0..3], sharing x's pairs. */
#define TFS_CM_DENSE4(acc0, acc1, xw, a, b)                                \
  do {                                                                     \
    const int32_t x02_ = tfs_cmd_sxtb16(xw), x13_ = tfs_cmd_sxtb16_ror8(xw); \
    (acc0) = tfs_cmd_smlad(tfs_cmd_sxtb16(a), x02_, (acc0));                 \
    (acc0) = tfs_cmd_smlad(tfs_cmd_sxtb16_ror8(a), x13_, (acc0));            \
    (acc1) = tfs_cmd_smlad(tfs_cmd_sxtb16(b), x02_, (acc1));                 \
    (acc1) = tfs_cmd_smlad(tfs_cmd_sxtb16_ror8(b), x13_, (acc1));            \
  } while (0)

/* Two rows at a time, eight columns per iteration, then a block of four and single columns. An odd
 * last row reuses the same code with its own row as the second (its second result is dropped). */
static TFS_CM_INLINE void tfs_cm_eval_dense_body(const tfs_fc_params_t *p, const int8_t *x, int8_t *out,
    const int32_t full) {
  const int32_t rows = p->rows, cols = p->cols;
  const tfs_cm_requant_t q = tfs_cm_requant(p, full);
  for (int32_t r = 0; r < rows; r += 2) {
    const int32_t r1 = r + 1 < rows ? r + 1 : r;
    const int8_t *w0 = p->values + (size_t)r * (size_t)cols, *w1 = p->values + (size_t)r1 * (size_t)cols;
    const int8_t *xp = x;
    int32_t acc0 = p->bias[r], acc1 = p->bias[r1];
    for (int32_t c = cols >> 3; c > 0; --c) {
      const uint32_t xa = tfs_cmd_read4(xp), xb = tfs_cmd_read4(xp + 4);
      const uint32_t a0 = tfs_cmd_read4(w0), a1 = tfs_cmd_read4(w0 + 4);
      const uint32_t b0 = tfs_cmd_read4(w1), b1 = tfs_cmd_read4(w1 + 4);
      TFS_CM_DENSE4(acc0, acc1, xa, a0, b0);
      TFS_CM_DENSE4(acc0, acc1, xb, a1, b1);
      xp += 8, w0 += 8, w1 += 8;
    }
    if (cols & 4) {
      const uint32_t xa = tfs_cmd_read4(xp), a0 = tfs_cmd_read4(w0), b0 = tfs_cmd_read4(w1);
      TFS_CM_DENSE4(acc0, acc1, xa, a0, b0);
      xp += 4, w0 += 4, w1 += 4;
    }
    for (int32_t c = cols & 3; c > 0; --c) {
      const int32_t xv = *xp++;
      acc0 = tfs_cmd_smlabb(xv, *w0++, acc0);
      acc1 = tfs_cmd_smlabb(xv, *w1++, acc1);
    }
    out[r] = tfs_cm_requantize_row(&q, r, acc0);
    out[r1] = tfs_cm_requantize_row(&q, r1, acc1);
  }
}

TFS_CM_UNSWITCHED(tfs_cm_eval_rel8)
TFS_CM_UNSWITCHED(tfs_cm_eval_rel4)
TFS_CM_UNSWITCHED(tfs_cm_eval_blk8)
TFS_CM_UNSWITCHED(tfs_cm_eval_dense)

static TFS_CM_NOINLINE void tfs_cm_eval_csc8(const tfs_fc_params_t *p, const int8_t *x, int8_t *out, int32_t *acc) {
  tfs_cm_eval_csc8_body(p, x, out, acc, tfs_cm_full_range(p));
}

/* ---- Eval ------------------------------------------------------------------------------------------ */

/* One entry point per encoding (tfs_fully_connected.h): ROW(p, x, y) over the batch rows. */
#define TFS_CM_EVAL_ENTRY(ENC, ROW)                                                                  \
  void tfs_fully_connected_eval_##ENC(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, \
                                      int8_t *output, int32_t *scratch) {                            \
    (void)scratch;                                                                                   \
    for (int32_t b = 0; b < batches; ++b) {                                                          \
      ROW(p, input + (size_t)b * (size_t)p->cols, output + (size_t)b * (size_t)p->rows);             \
    }                                                                                                \
  }

TFS_CM_EVAL_ENTRY(dense, tfs_cm_eval_dense)
TFS_CM_EVAL_ENTRY(abs_u8, tfs_cm_eval_uint8_t)
TFS_CM_EVAL_ENTRY(abs_u16, tfs_cm_eval_uint16_t)
TFS_CM_EVAL_ENTRY(abs_u32, tfs_cm_eval_uint32_t)
TFS_CM_EVAL_ENTRY(rel8, tfs_cm_eval_rel8)
TFS_CM_EVAL_ENTRY(rel4, tfs_cm_eval_rel4)
TFS_CM_EVAL_ENTRY(blk8, tfs_cm_eval_blk8)

void tfs_fully_connected_eval_csc8(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, int8_t *output,
                                   int32_t *scratch) {
  if (scratch == NULL) {
    return;
  }
  for (int32_t b = 0; b < batches; ++b) {
    tfs_cm_eval_csc8(p, input + (size_t)b * (size_t)p->cols, output + (size_t)b * (size_t)p->rows, scratch);
  }
}

void tfs_fully_connected_eval(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, int8_t *output) {
  tfs_fully_connected_eval_scratch(p, batches, input, output, NULL);
}

/* The run-time switch (TFLM glue, host tests). */
void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *p, int32_t batches, const int8_t *input,
                                      int8_t *output, int32_t *scratch) {
  TFS_FC_EVAL_SWITCH(p, batches, input, output, scratch)
}

const char *tfs_fully_connected_impl(void) { return "cortex-m-dsp"; }
