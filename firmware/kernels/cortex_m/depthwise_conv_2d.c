/* tfsparse: Cortex-M twin of kernels/depthwise_conv_2d.c (same header, bit-identical results).
 *
 * 3x3 filters with depth multiplier 1 whose requantization has the fast form (see rq_init: right
 * shifts 1..22, |bias| <= 2^29; ds_cnn's and mobilenet's layers) take the packed form: Eval lays out
 * per 4 channels the biases, the weights as SXTB16 halfword pairs and the requantization constants in
 * the scratch (pack_3x3), and assembly loops run 4 channels per block: per tap one input word, 2
 * SXTB16 and 4 SMLABB/SMLATT; per channel one SMMLAR and 4 ALU operations. Each output row's run of
 * interior pixels is one call (packed_rows); border and column-dilated pixels read their taps through
 * a table of 9 pointers, padded taps from a buffer of input zero points (packed_taps). About 3.5
 * instructions per MAC on Cortex-M4, against 10.8 for the C loops before.
 *
 * Other filters keep C loops over 4 channels (SXTB16/SMLABB/SMLATT, padded taps as a word of input
 * zero points) with the same fast requantization when it applies; leftover channels, depth
 * multipliers > 1 and other requantizations take the one-channel-at-a-time arithmetic.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tfs_depthwise_conv.h"
#include "tfs_cm_dsp.h"

/* Four channels' products with one tap: inputs xv and weights wv, each 4 consecutive channels. */
#define TFS_DW_TAP4(xv, wv)                                                 \
  do {                                                                      \
    const int32_t xe_ = tfs_cmd_sxtb16(xv), xo_ = tfs_cmd_sxtb16_ror8(xv); \
    const int32_t we_ = tfs_cmd_sxtb16(wv), wo_ = tfs_cmd_sxtb16_ror8(wv); \
    acc0 = tfs_cmd_smlabb(xe_, we_, acc0);                                  \
    acc1 = tfs_cmd_smlabb(xo_, wo_, acc1);                                  \
    acc2 = tfs_cmd_smlatt(xe_, we_, acc2);                                  \
    acc3 = tfs_cmd_smlatt(xo_, wo_, acc3);                                  \
  } while (0)

/* A padded tap: the four weights at wt times the input zero point (halfword pairs ze, zo). */
#define TFS_DW_PAD_TAP4(wt)                                                                 \
  do {                                                                                      \
    const uint32_t wv_ = tfs_cmd_read4(wt);                                                 \
    const int32_t we_ = tfs_cmd_sxtb16(wv_), wo_ = tfs_cmd_sxtb16_ror8(wv_);               \
    acc0 = tfs_cmd_smlabb(ze, we_, acc0);                                                   \
    acc1 = tfs_cmd_smlabb(zo, wo_, acc1);                                                   \
    acc2 = tfs_cmd_smlatt(ze, we_, acc2);                                                   \
    acc3 = tfs_cmd_smlatt(zo, wo_, acc3);                                                   \
  } while (0)

/* Requantization of a layer (rq_init). When every channel shifts right by 1..TFS_DW_FAST_MAX_RIGHT bits and the
 * accumulators stay within +-2^30 (bias and taps bounded, checked once per Eval), TFLM's
 * MultiplyByQuantizedMultiplier + output zero point takes one SMMLAR and three ALU operations per
 * output: with x = SaturatingRoundingDoublingHighMul(a, m) = floor((2a * m + 2^31) / 2^32) (no
 * saturation: |2a| < 2^31) and RoundingDivideByPOT(x, r) = floor((x + 2^(r-1) - [x < 0]) / 2^r),
 *   out = floor((SMMLAR(2a, m, k) - [a < 0]) / 2^r) with k = 2^(r-1) + zp * 2^r,
 * as adding k before the floor division adds zp after it, and [x < 0] = [a < 0] wherever it matters
 * (a < 0 <= x only when x = 0, which both signs round to 0 for r >= 1). k lives in the scratch. */
#define TFS_DW_FAST_MAX_RIGHT 22

typedef struct {
  const int32_t *multiplier, *shift, *k; /* k: NULL when the layer takes the generic arithmetic */
  int32_t zp, lo, hi;
} tfs_dw_rq_t;

/* SMMLAR: k + floor((a * b + 2^31) / 2^32). */
static inline int32_t tfs_dw_smmlar(int32_t a, int32_t b, int32_t k) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(k));
  return r;
#else
  return (int32_t)(((int64_t)k * 4294967296LL + (int64_t)a * b + 2147483648LL) >> 32);
#endif
}

/* Saturation to int8 (SSAT #8). */
static inline int32_t tfs_dw_ssat8(int32_t x) {
#if TFS_CMD_HAVE_DSP
  return __ssat(x, 8);
#else
  return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* Fills q for the layer; the fast form when it is exact (k computed into `scratch`). */
static void rq_init(const tfs_depthwise_conv_params_t *p, int32_t *scratch, tfs_dw_rq_t *q) {
  const int32_t cout = p->window.output_channels, taps = p->window.filter_height * p->window.filter_width;
  q->multiplier = p->multiplier, q->shift = p->shift, q->k = NULL;
  q->zp = p->output_zero_point, q->lo = p->activation_min, q->hi = p->activation_max;
  if (taps > (1 << 14)) { /* |sum of taps| <= taps * 2^14 <= 2^28 */
    return;
  }
  for (int32_t c = 0; c < cout; ++c) {
    const int32_t r = -p->shift[c];
    if (r < 1 || r > TFS_DW_FAST_MAX_RIGHT || p->bias[c] > (1 << 29) || p->bias[c] < -(1 << 29)) {
      return;
    }
    scratch[c] = (int32_t)(1u << (r - 1)) + (int32_t)((uint32_t)p->output_zero_point << r);
  }
  q->k = scratch;
}

/* Channel c's output from its accumulator, in the fast form (q->k set). */
static inline int8_t rq_fast(const tfs_dw_rq_t *q, int32_t c, int32_t acc) {
  const int32_t t = tfs_dw_smmlar((int32_t)((uint32_t)acc << 1), q->multiplier[c], q->k[c]);
  const int32_t v = tfs_dw_ssat8((int32_t)((uint32_t)t - ((uint32_t)acc >> 31)) >> -q->shift[c]);
  return (int8_t)(v < q->lo ? q->lo : (v > q->hi ? q->hi : v));
}

/* Channel c's output in whichever form the layer has. */
static inline int8_t rq_any(const tfs_dw_rq_t *q, int32_t c, int32_t acc) {
  return q->k != NULL ? rq_fast(q, c, acc)
                      : tfs_cmd_requantize(acc, q->multiplier[c], q->shift[c], q->zp, q->lo, q->hi);
}

/* Requantizes four channels' accumulators (out of line: one copy, and the tap loops keep their registers). */
__attribute__((noinline)) static void store4(const tfs_dw_rq_t *q, int32_t c, int32_t acc0, int32_t acc1, int32_t acc2,
                                             int32_t acc3, int8_t *out) {
  out[c] = rq_any(q, c, acc0);
  out[c + 1] = rq_any(q, c + 1, acc1);
  out[c + 2] = rq_any(q, c + 2, acc2);
  out[c + 3] = rq_any(q, c + 3, acc3);
}

/* Channels [c0, c_end) of one output pixel, any window position, one channel at a time. */
static void pixel_generic(const tfs_depthwise_conv_params_t *p, const tfs_dw_rq_t *q, const int8_t *input, int32_t y0,
                          int32_t x0, int32_t c0, int32_t c_end, int8_t *out) {
  const tfs_window_t *w = &p->window;
  const int32_t cin = w->input_channels, cout = w->output_channels, mult = p->depth_multiplier;
  for (int32_t c = c0; c < c_end; ++c) {
    int32_t acc = p->bias[c];
    const int8_t *wt = p->weights + c;
    for (int32_t ky = 0; ky < w->filter_height; ++ky) {
      const int32_t y = y0 + ky * w->dilation_height;
      for (int32_t kx = 0; kx < w->filter_width; ++kx, wt += cout) {
        const int32_t x = x0 + kx * w->dilation_width;
        const int32_t v = (y < 0 || y >= w->input_height || x < 0 || x >= w->input_width)
                              ? p->input_zero_point
                              : input[((size_t)y * (size_t)w->input_width + (size_t)x) * (size_t)cin + (size_t)(c / mult)];
        acc += (int32_t)*wt * v;
      }
    }
    out[c] = rq_any(q, c, acc);
  }
}

/* Taps [lo, hi) of a filter dimension of size k (step `dilation`) that fall inside [0, size) from `start`. */
static void valid_range(int32_t start, int32_t k, int32_t dilation, int32_t size, int32_t *lo, int32_t *hi) {
  int32_t l = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  int32_t h = size - 1 - start < 0 ? 0 : (size - 1 - start) / dilation + 1;
  h = h < k ? h : k;
  *lo = l < h ? l : h;
  *hi = h;
}

/* Channels [0, 4 * (cout / 4)) of one output pixel (depth multiplier 1), any window position: the valid
 * taps of each filter row are walked with a pointer, padded ones multiply a word of input zero points
 * (its halfword pairs computed once). */
__attribute__((noinline)) static void pixel_vector4(const tfs_depthwise_conv_params_t *p, const tfs_dw_rq_t *q,
                                                    const int8_t *input, int32_t y0, int32_t x0, int8_t *out) {
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels, kh = w->filter_height, kw = w->filter_width;
  const uint32_t zp_word = 0x01010101u * (uint8_t)p->input_zero_point;
  const int32_t ze = tfs_cmd_sxtb16(zp_word), zo = tfs_cmd_sxtb16_ror8(zp_word);
  int32_t ky_lo, ky_hi, kx_lo, kx_hi;
  valid_range(y0, kh, w->dilation_height, w->input_height, &ky_lo, &ky_hi);
  valid_range(x0, kw, w->dilation_width, w->input_width, &kx_lo, &kx_hi);
  const size_t col_step = (size_t)w->dilation_width * (size_t)cout;
  for (int32_t c = 0; c + 4 <= cout; c += 4) {
    int32_t acc0 = p->bias[c], acc1 = p->bias[c + 1], acc2 = p->bias[c + 2], acc3 = p->bias[c + 3];
    const int8_t *wt = p->weights + c;
    for (int32_t ky = 0; ky < kh; ++ky) {
      const int row_ok = ky >= ky_lo && ky < ky_hi;
      const int32_t first = row_ok ? kx_lo : kw, last = row_ok ? kx_hi : kw;
      for (int32_t kx = 0; kx < first; ++kx, wt += cout) { /* padding left (or the whole row) */
        TFS_DW_PAD_TAP4(wt);
      }
      if (!row_ok) {
        continue;
      }
      const int32_t y = y0 + ky * w->dilation_height;
      const int8_t *in = input + ((size_t)y * (size_t)w->input_width + (size_t)(x0 + kx_lo * w->dilation_width)) *
                                     (size_t)cout + (size_t)c;
      for (int32_t kx = first; kx < last; ++kx, wt += cout, in += col_step) {
        const uint32_t xv = tfs_cmd_read4(in), wv = tfs_cmd_read4(wt);
        TFS_DW_TAP4(xv, wv);
      }
      for (int32_t kx = last; kx < kw; ++kx, wt += cout) { /* padding right */
        TFS_DW_PAD_TAP4(wt);
      }
    }
    store4(q, c, acc0, acc1, acc2, acc3, out);
  }
}

/* The same for a pixel whose whole window lies inside the input: no bounds checks. `window` is the input
 * at the window's top-left. */
__attribute__((noinline)) static void pixel_interior4(const tfs_depthwise_conv_params_t *p, const tfs_dw_rq_t *q,
                                                      const int8_t *window, int8_t *out) {
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels, kh = w->filter_height, kw = w->filter_width;
  const size_t row_step = (size_t)w->dilation_height * (size_t)w->input_width * (size_t)cout;
  const size_t col_step = (size_t)w->dilation_width * (size_t)cout;
  for (int32_t c = 0; c + 4 <= cout; c += 4) {
    int32_t acc0 = p->bias[c], acc1 = p->bias[c + 1], acc2 = p->bias[c + 2], acc3 = p->bias[c + 3];
    const int8_t *wt = p->weights + c, *row = window + c;
    for (int32_t ky = kh; ky > 0; --ky, row += row_step) {
      const int8_t *in = row;
      for (int32_t kx = kw; kx > 0; --kx, in += col_step, wt += cout) {
        const uint32_t xv = tfs_cmd_read4(in), wv = tfs_cmd_read4(wt);
        TFS_DW_TAP4(xv, wv);
      }
    }
    store4(q, c, acc0, acc1, acc2, acc3, out);
  }
}

/* The packed 3x3 form (depth multiplier 1, fast requantization): Eval first lays out, per block of 4
 * channels, everything the block reads as TFS_DW_PACK_WORDS consecutive words of the scratch:
 * the 4 biases, each tap's weights as the halfword pairs SXTB16 makes of them (channels 0/2, then
 * 1/3), the 4 multipliers, the 4 constants k and the 4 right shifts, so one pointer walks them with
 * LDM and each tap costs one input load, 2 SXTB16 and 4 SMLABB/SMLATT. */
#define TFS_DW_PACK_WORDS 34

static void pack_3x3(const tfs_depthwise_conv_params_t *p, int32_t vector_channels, int32_t *packed) {
  const int32_t cout = p->window.output_channels, zp = p->output_zero_point;
  for (int32_t c = 0; c < vector_channels; c += 4, packed += TFS_DW_PACK_WORDS) {
    for (int32_t i = 0; i < 4; ++i) {
      const int32_t r = -p->shift[c + i];
      packed[i] = p->bias[c + i];
      packed[22 + i] = p->multiplier[c + i];
      packed[26 + i] = (int32_t)(1u << (r - 1)) + (int32_t)((uint32_t)zp << r);
      packed[30 + i] = r;
    }
    for (int32_t t = 0; t < 9; ++t) {
      const uint32_t wv = tfs_cmd_read4(p->weights + (size_t)t * (size_t)cout + (size_t)c);
      packed[4 + 2 * t] = tfs_cmd_sxtb16(wv);
      packed[5 + 2 * t] = tfs_cmd_sxtb16_ror8(wv);
    }
  }
}

/* What the packed loops read (offsets fixed in the assembly). */
typedef struct {
  const void *in;        /* 0: rows: the input at the window's top-left plus c; taps: 9 tap pointers */
  int8_t *out;           /* 4: output of the current block */
  const int32_t *end;    /* 8: end of the packed blocks to run */
  int32_t row_step;      /* 12: rows: dilation_height * input_width * cout */
  int32_t cout;          /* 16: rows: the input's column step */
  uint32_t lo4, hi4;     /* 20, 24: activation_min and _max in each byte */
  const int32_t *packed; /* 28: first packed block */
  int32_t pixels;        /* 32: rows: pixels in the run (each starts over at `packed`) */
  int32_t pixel_step;    /* 36: rows: stride_width * cout */
  int32_t out_skip;      /* 40: rows: channels after the packed ones (cout - 4 * blocks) */
  const int8_t *window;  /* 44: rows: the current pixel's window */
} tfs_dw_pack_args_t;

#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
/* Both loops: r0-r3 the four channels' accumulators, r12 the packed words, lr the arguments, r4 the
 * input word of a tap, r6-r9 the weights of two taps. Per channel: k - [a < 0], SMMLAR(2a, m, .), ASR r,
 * SSAT 8; the four bytes packed into one word, clamped by SSUB8/SEL, stored. */
#define TFS_DW_ASM_TAP(we, wo)       \
  "sxtb16 r5, r4\n\t"                \
  "sxtb16 r4, r4, ror #8\n\t"        \
  "smlabb r0, r5, " we ", r0\n\t"    \
  "smlatt r2, r5, " we ", r2\n\t"    \
  "smlabb r1, r4, " wo ", r1\n\t"    \
  "smlatt r3, r4, " wo ", r3\n\t"
#define TFS_DW_ASM_REQUANTIZE_STORE  \
  "ldm r12!, {r4-r7}\n\t"            \
  "ldm r12!, {r8, r9}\n\t"           \
  "add r8, r8, r0, asr #31\n\t"      \
  "lsl r0, r0, #1\n\t"               \
  "smmlar r0, r0, r4, r8\n\t"        \
  "add r9, r9, r1, asr #31\n\t"      \
  "lsl r1, r1, #1\n\t"               \
  "smmlar r1, r1, r5, r9\n\t"        \
  "ldm r12!, {r8, r9}\n\t"           \
  "add r8, r8, r2, asr #31\n\t"      \
  "lsl r2, r2, #1\n\t"               \
  "smmlar r2, r2, r6, r8\n\t"        \
  "add r9, r9, r3, asr #31\n\t"      \
  "lsl r3, r3, #1\n\t"               \
  "smmlar r3, r3, r7, r9\n\t"        \
  "ldm r12!, {r4-r7}\n\t"            \
  "asr r0, r0, r4\n\t"               \
  "ssat r0, #8, r0\n\t"              \
  "asr r1, r1, r5\n\t"               \
  "ssat r1, #8, r1\n\t"              \
  "asr r2, r2, r6\n\t"               \
  "ssat r2, #8, r2\n\t"              \
  "asr r3, r3, r7\n\t"               \
  "ssat r3, #8, r3\n\t"              \
  "bfi r0, r1, #8, #8\n\t"           \
  "bfi r0, r2, #16, #8\n\t"          \
  "bfi r0, r3, #24, #8\n\t"
/* Clamps the packed outputs to [activation_min, activation_max] bytewise (omitted for -128..127). */
#define TFS_DW_ASM_CLAMP             \
  "ldrd r4, r5, [lr, #20]\n\t"       \
  "ssub8 r6, r0, r4\n\t"             \
  "sel r0, r0, r4\n\t"               \
  "ssub8 r6, r5, r0\n\t"             \
  "sel r0, r0, r5\n\t"
/* Stores the block and loops over the blocks. */
#define TFS_DW_ASM_STORE_NEXT        \
  "ldr r4, [lr, #4]\n\t"             \
  "str r0, [r4], #4\n\t"             \
  "str r4, [lr, #4]\n\t" TFS_RQ_END  \
  "ldr r4, [lr, #8]\n\t"             \
  "cmp r12, r4\n\t"                  \
  "bne 1b\n\t"

/* A pixel whose window lies inside the input with column step cout: r10 the block's window row, r11 cout. */
#define TFS_DW_ASM_ROW                                          \
  "ldm r12!, {r6-r9}\n\t"                                       \
  "ldr r4, [r10]\n\t" TFS_DW_ASM_TAP("r6", "r7")                \
  "ldr r4, [r10, r11]\n\t" TFS_DW_ASM_TAP("r8", "r9")           \
  "ldm r12!, {r6, r7}\n\t"                                      \
  "ldr r4, [r10, r11, lsl #1]\n\t" TFS_DW_ASM_TAP("r6", "r7")
/* `pixels` consecutive pixels of an output row: after a pixel's last block, the next window is
 * pixel_step further, the output skips out_skip channels and the packed words start over. */
#define TFS_DW_ASM_ROWS_FN(name, clamp)                                                                      \
  __attribute__((naked, noinline)) static void name(const tfs_dw_pack_args_t *a) {                          \
    (void)a;                                                                                                \
    __asm__ volatile("push {r4-r11, lr}\n\t"                                                                \
                     "mov lr, r0\n\t"                                                                       \
                     "ldr r12, [lr, #28]\n"                                                                 \
                     "1:\n\t"                                                                               \
                     "ldr r10, [lr, #0]\n\t"                                                                \
                     "ldr r11, [lr, #16]\n\t"                                                               \
                     "ldm r12!, {r0-r3}\n\t" TFS_DW_ASM_ROW                                                 \
                     "ldr r5, [lr, #12]\n\t"                                                                \
                     "add r10, r10, r5\n\t" TFS_DW_ASM_ROW                                                  \
                     "ldr r5, [lr, #12]\n\t"                                                                \
                     "add r10, r10, r5\n\t" TFS_DW_ASM_ROW                                                  \
                     "ldr r4, [lr, #0]\n\t"                                                                 \
                     "add r4, r4, #4\n\t"                                                                   \
                     "str r4, [lr, #0]\n\t" TFS_RQ_BEGIN TFS_DW_ASM_REQUANTIZE_STORE clamp TFS_DW_ASM_STORE_NEXT         \
                     "ldr r4, [lr, #32]\n\t"                                                                \
                     "subs r4, r4, #1\n\t"                                                                  \
                     "beq 2f\n\t"                                                                           \
                     "str r4, [lr, #32]\n\t"                                                                \
                     "ldrd r4, r5, [lr, #40]\n\t"                                                           \
                     "ldr r6, [lr, #4]\n\t"                                                                 \
                     "add r6, r6, r4\n\t"                                                                   \
                     "str r6, [lr, #4]\n\t"                                                                 \
                     "ldr r4, [lr, #36]\n\t"                                                                \
                     "add r5, r5, r4\n\t"                                                                   \
                     "str r5, [lr, #44]\n\t"                                                                \
                     "str r5, [lr, #0]\n\t"                                                                 \
                     "ldr r12, [lr, #28]\n\t"                                                               \
                     "b 1b\n"                                                                               \
                     "2:\n\t"                                                                               \
                     "pop {r4-r11, pc}\n\t");                                                               \
  }
TFS_DW_ASM_ROWS_FN(packed_rows_clamp, TFS_DW_ASM_CLAMP)
TFS_DW_ASM_ROWS_FN(packed_rows_full, "")

/* Any pixel: tap t's input at pointer t of the table r10 plus the channel offset r11. */
#define TFS_DW_ASM_TABLE_ROW(t0, t1, t2)                                  \
  "ldm r12!, {r6-r9}\n\t"                                                 \
  "ldr r5, [r10, #" #t0 "]\n\t"                                           \
  "ldr r4, [r5, r11]\n\t" TFS_DW_ASM_TAP("r6", "r7")                      \
  "ldr r5, [r10, #" #t1 "]\n\t"                                           \
  "ldr r4, [r5, r11]\n\t" TFS_DW_ASM_TAP("r8", "r9")                      \
  "ldm r12!, {r6, r7}\n\t"                                                \
  "ldr r5, [r10, #" #t2 "]\n\t"                                           \
  "ldr r4, [r5, r11]\n\t" TFS_DW_ASM_TAP("r6", "r7")
#define TFS_DW_ASM_TAPS_FN(name, clamp)                                                                      \
  __attribute__((naked, noinline)) static void name(const tfs_dw_pack_args_t *a) {                          \
    (void)a;                                                                                                \
    __asm__ volatile("push {r4-r11, lr}\n\t"                                                                \
                     "mov lr, r0\n\t"                                                                       \
                     "ldr r12, [lr, #28]\n\t"                                                               \
                     "ldr r10, [lr, #0]\n\t"                                                                \
                     "mov.w r11, #0\n"                                                                      \
                     "1:\n\t"                                                                               \
                     "ldm r12!, {r0-r3}\n\t" TFS_DW_ASM_TABLE_ROW(0, 4, 8) TFS_DW_ASM_TABLE_ROW(12, 16, 20) \
                     TFS_DW_ASM_TABLE_ROW(24, 28, 32)                                                       \
                     "add r11, r11, #4\n\t" TFS_RQ_BEGIN TFS_DW_ASM_REQUANTIZE_STORE clamp TFS_DW_ASM_STORE_NEXT         \
                     "pop {r4-r11, pc}\n\t");                                                               \
  }
TFS_DW_ASM_TAPS_FN(packed_taps_clamp, TFS_DW_ASM_CLAMP)
TFS_DW_ASM_TAPS_FN(packed_taps_full, "")
#else
/* The same loops in C (hosts, cores without the DSP extension). */
static void packed_blocks(const tfs_dw_pack_args_t *a, const int8_t *const tap[9], int32_t step) {
  int8_t *out = a->out;
  int32_t c = 0;
  for (const int32_t *w = a->packed; w != a->end; w += TFS_DW_PACK_WORDS, c += step, out += 4) {
    int32_t acc[4] = {w[0], w[1], w[2], w[3]};
    for (int32_t t = 0; t < 9; ++t) {
      const uint32_t xv = tfs_cmd_read4(tap[t] + c);
      const int32_t xe = tfs_cmd_sxtb16(xv), xo = tfs_cmd_sxtb16_ror8(xv);
      acc[0] = tfs_cmd_smlabb(xe, w[4 + 2 * t], acc[0]);
      acc[2] = tfs_cmd_smlatt(xe, w[4 + 2 * t], acc[2]);
      acc[1] = tfs_cmd_smlabb(xo, w[5 + 2 * t], acc[1]);
      acc[3] = tfs_cmd_smlatt(xo, w[5 + 2 * t], acc[3]);
    }
    for (int32_t i = 0; i < 4; ++i) {
      const int32_t u = tfs_dw_smmlar((int32_t)((uint32_t)acc[i] << 1), w[22 + i], w[26 + i]);
      int32_t v = tfs_dw_ssat8((int32_t)((uint32_t)u - ((uint32_t)acc[i] >> 31)) >> w[30 + i]);
      const int32_t lo = (int8_t)(a->lo4 & 0xFFu), hi = (int8_t)(a->hi4 & 0xFFu);
      out[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
  }
}

static void packed_rows(const tfs_dw_pack_args_t *a) {
  tfs_dw_pack_args_t b = *a;
  for (int32_t n = a->pixels; n > 0; --n) {
    const int8_t *tap[9];
    for (int32_t t = 0; t < 9; ++t) {
      tap[t] = b.window + (t / 3) * b.row_step + (t % 3) * b.cout;
    }
    packed_blocks(&b, tap, 4);
    b.out += 4 * (b.end - b.packed) / TFS_DW_PACK_WORDS + b.out_skip;
    b.window += b.pixel_step;
  }
}

static void packed_taps(const tfs_dw_pack_args_t *a) {
  packed_blocks(a, (const int8_t *const *)a->in, 4);
}
#define packed_rows_clamp packed_rows
#define packed_rows_full packed_rows
#define packed_taps_clamp packed_taps
#define packed_taps_full packed_taps
#endif

/* A 3x3 pixel at (y0, x0) through packed_taps, in chunks of TFS_DW_ZP_CHUNK channels (the size of the
 * zero-point buffer `zp_buf` that padded taps read). */
#define TFS_DW_ZP_CHUNK 64
typedef void (*tfs_dw_packed_fn)(const tfs_dw_pack_args_t *);
static void pixel_taps3x3(const tfs_depthwise_conv_params_t *p, const tfs_dw_pack_args_t *base, int32_t blocks,
                          tfs_dw_packed_fn taps_fn, const int8_t *input, int32_t y0, int32_t x0, const int8_t *zp_buf,
                          int8_t *out) {
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels;
  const int8_t *tap[9];
  for (int32_t ky = 0, t = 0; ky < 3; ++ky) {
    const int32_t y = y0 + ky * w->dilation_height;
    for (int32_t kx = 0; kx < 3; ++kx, ++t) {
      const int32_t x = x0 + kx * w->dilation_width;
      tap[t] = (y < 0 || y >= w->input_height || x < 0 || x >= w->input_width)
                   ? NULL
                   : input + ((size_t)y * (size_t)w->input_width + (size_t)x) * (size_t)cout;
    }
  }
  tfs_dw_pack_args_t a = *base;
  const int8_t *chunk_tap[9];
  a.in = chunk_tap;
  for (int32_t b0 = 0; b0 < blocks; b0 += TFS_DW_ZP_CHUNK / 4) {
    const int32_t n = blocks - b0 < TFS_DW_ZP_CHUNK / 4 ? blocks - b0 : TFS_DW_ZP_CHUNK / 4;
    for (int32_t t = 0; t < 9; ++t) {
      chunk_tap[t] = tap[t] != NULL ? tap[t] + 4 * b0 : zp_buf;
    }
    a.out = out + 4 * b0;
    a.packed = base->packed + b0 * TFS_DW_PACK_WORDS;
    a.end = a.packed + n * TFS_DW_PACK_WORDS;
    taps_fn(&a);
  }
}

/* Every pixel's channels [0, 4 * blocks) in the packed 3x3 form (scratch already packed): each output
 * row's run of interior pixels in one packed_rows call, the others one by one through the tap table. */
__attribute__((noinline)) static void eval_packed_3x3(const tfs_depthwise_conv_params_t *p, const int32_t *packed,
                                                      int32_t blocks, const int8_t *input, int8_t *output) {
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels;
  const int full_range = p->activation_min == -128 && p->activation_max == 127;
  const tfs_dw_packed_fn rows_fn = full_range ? packed_rows_full : packed_rows_clamp;
  const tfs_dw_packed_fn taps_fn = full_range ? packed_taps_full : packed_taps_clamp;
  int8_t zp_buf[TFS_DW_ZP_CHUNK];
  memset(zp_buf, (uint8_t)p->input_zero_point, sizeof zp_buf);
  tfs_dw_pack_args_t a = {NULL, NULL, packed + blocks * TFS_DW_PACK_WORDS,
                          w->dilation_height * w->input_width * cout, cout,
                          0x01010101u * (uint8_t)p->activation_min, 0x01010101u * (uint8_t)p->activation_max, packed,
                          0, w->stride_width * cout, cout - 4 * blocks, NULL};
  /* Interior columns: ox in [ox_lo, ox_hi) have x0 >= 0 and x0 + 2 dilation_width < input_width. */
  const int32_t span_x = 2 * w->dilation_width, span_y = 2 * w->dilation_height;
  int32_t ox_lo = (w->padding_width + w->stride_width - 1) / w->stride_width;
  int32_t ox_hi = w->input_width - 1 - span_x + w->padding_width < 0
                      ? 0
                      : (w->input_width - 1 - span_x + w->padding_width) / w->stride_width + 1;
  ox_hi = ox_hi < w->output_width ? ox_hi : w->output_width;
  if (w->dilation_width != 1 || ox_lo >= ox_hi) {
    ox_lo = ox_hi = w->output_width; /* no run: every pixel through the tap table */
  }
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    const int32_t y0 = oy * w->stride_height - w->padding_height;
    int8_t *row_out = output + (size_t)oy * (size_t)w->output_width * (size_t)cout;
    const int inside_y = y0 >= 0 && y0 + span_y < w->input_height;
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const int32_t x0 = ox * w->stride_width - w->padding_width;
      if (inside_y && ox == ox_lo) {
        a.window = input + ((size_t)y0 * (size_t)w->input_width + (size_t)x0) * (size_t)cout;
        a.in = a.window, a.out = row_out + (size_t)ox * (size_t)cout, a.pixels = ox_hi - ox_lo;
        rows_fn(&a);
        ox = ox_hi - 1;
        continue;
      }
      pixel_taps3x3(p, &a, blocks, taps_fn, input, y0, x0, zp_buf, row_out + (size_t)ox * (size_t)cout);
    }
  }
}

void tfs_depthwise_conv_2d_eval(const tfs_depthwise_conv_params_t *p, const int8_t *input, int8_t *output,
                                void *scratch) {
  tfs_dw_rq_t q;
  rq_init(p, (int32_t *)scratch, &q);
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels, vector_channels = p->depth_multiplier == 1 ? cout & ~3 : 0;
  if (q.k != NULL && vector_channels > 0 && w->filter_height == 3 && w->filter_width == 3) {
    pack_3x3(p, vector_channels, (int32_t *)scratch); /* replaces rq_init's constants */
    eval_packed_3x3(p, (const int32_t *)scratch, vector_channels / 4, input, output);
    if (vector_channels < cout) {
      q.k = NULL;
      for (int32_t oy = 0; oy < w->output_height; ++oy) {
        for (int32_t ox = 0; ox < w->output_width; ++ox) {
          pixel_generic(p, &q, input, oy * w->stride_height - w->padding_height,
                        ox * w->stride_width - w->padding_width, vector_channels, cout,
                        output + ((size_t)oy * (size_t)w->output_width + (size_t)ox) * (size_t)cout);
        }
      }
    }
    return;
  }
  const int32_t span_y = (w->filter_height - 1) * w->dilation_height;
  const int32_t span_x = (w->filter_width - 1) * w->dilation_width;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    const int32_t y0 = oy * w->stride_height - w->padding_height;
    const int inside_y = y0 >= 0 && y0 + span_y < w->input_height;
    for (int32_t ox = 0; ox < w->output_width; ++ox, output += cout) {
      const int32_t x0 = ox * w->stride_width - w->padding_width;
      if (vector_channels > 0 && inside_y && x0 >= 0 && x0 + span_x < w->input_width) {
        pixel_interior4(p, &q, input + ((size_t)y0 * (size_t)w->input_width + (size_t)x0) * (size_t)cout, output);
      } else if (vector_channels > 0) {
        pixel_vector4(p, &q, input, y0, x0, output);
      }
      if (vector_channels < cout) {
        pixel_generic(p, &q, input, y0, x0, vector_channels, cout, output);
      }
    }
  }
}
