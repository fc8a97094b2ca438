/* tfsparse: Cortex-M twin of kernels/conv_2d.c (same header, bit-identical results).
 *
 * Sparse weights: as the portable kernel, each output pixel is one fully-connected evaluation of its
 * int8 column (the linked FC kernel, cortex_m/fully_connected.c, gathers only the nonzero taps).
 * Dense weights: CMSIS-NN's blocking, written anew. Two output pixels' columns are expanded to int16
 * once ("unordered": each 4 taps become the pairs (x0, x2), (x1, x3), which is what SXTB16 makes
 * of 4 weight bytes), then two output channels x two columns run together: per 4 taps, 2 weight
 * loads, 4 SXTB16, 4 column loads and 8 SMLAD for 16 multiply-accumulates. A pointwise convolution
 * expands two input pixels directly (no im2col copy).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tfs_conv.h"
#include "tfs_cm_dsp.h"

/* Expand `taps` int8 values into int16 pairs for the DSP loop: for each 4 taps, the words (x0, x2),
 * (x1, x3) (what SXTB16 makes of 4 weight bytes) at words 4q, 4q + 1 of `blocks` (column a) or
 * 4q + 2, 4q + 3 (column b: the caller passes blocks + 2), so one pointer walks both columns; the
 * last taps % 4 values go to `rest` as plain int16. */
static void expand_column(const int8_t *src, int32_t taps, int32_t *blocks, int16_t *rest) {
  for (int32_t k = taps >> 2; k > 0; --k) {
    const uint32_t x = tfs_cmd_read4(src);
    blocks[0] = tfs_cmd_sxtb16(x);
    blocks[1] = tfs_cmd_sxtb16_ror8(x);
    blocks += 4, src += 4;
  }
  for (int32_t k = taps & 3; k > 0; --k) {
    *rest++ = *src++;
  }
}

/* acc_a0 += row0 . column a, ... over `blocks` blocks of 4 taps: 2 weight words, 4 SXTB16, 2 LDRD
 * and 8 SMLAD per 16 multiply-accumulates. */
static inline void mac_blocks(int32_t blocks, const int8_t *w0, const int8_t *w1, const int32_t *cols, int32_t *acc) {
  int32_t a0 = acc[0], b0 = acc[1], a1 = acc[2], b1 = acc[3];
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  if (blocks > 0) {
    int32_t xa, ya, xb, yb, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[t0], [%[w0]], #4\n\t"
        "ldrd %[xa], %[ya], [%[c]], #16\n\t"
        "ldrd %[xb], %[yb], [%[c], #-8]\n\t"
        "sxtb16 %[t1], %[t0]\n\t"
        "sxtb16 %[t0], %[t0], ror #8\n\t"
        "smlad %[a0], %[t1], %[xa], %[a0]\n\t"
        "smlad %[a0], %[t0], %[ya], %[a0]\n\t"
        "smlad %[b0], %[t1], %[xb], %[b0]\n\t"
        "smlad %[b0], %[t0], %[yb], %[b0]\n\t"
        "ldr %[t0], [%[w1]], #4\n\t"
        "sxtb16 %[t1], %[t0]\n\t"
        "sxtb16 %[t0], %[t0], ror #8\n\t"
        "smlad %[a1], %[t1], %[xa], %[a1]\n\t"
        "smlad %[a1], %[t0], %[ya], %[a1]\n\t"
        "smlad %[b1], %[t1], %[xb], %[b1]\n\t"
        "smlad %[b1], %[t0], %[yb], %[b1]\n\t"
        "subs %[k], %[k], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [w0] "+r"(w0), [w1] "+r"(w1),
          [c] "+r"(cols), [k] "+r"(blocks), [xa] "=&r"(xa), [ya] "=&r"(ya), [xb] "=&r"(xb), [yb] "=&r"(yb),
          [t0] "=&r"(t0), [t1] "=&r"(t1)
        :
        : "cc", "memory");
  }
#else
  for (int32_t k = blocks; k > 0; --k, cols += 4) {
    const uint32_t u0 = tfs_cmd_read4(w0), u1 = tfs_cmd_read4(w1);
    w0 += 4, w1 += 4;
    const int32_t w0e = tfs_cmd_sxtb16(u0), w0o = tfs_cmd_sxtb16_ror8(u0);
    const int32_t w1e = tfs_cmd_sxtb16(u1), w1o = tfs_cmd_sxtb16_ror8(u1);
    a0 = tfs_cmd_smlad(w0o, cols[1], tfs_cmd_smlad(w0e, cols[0], a0));
    b0 = tfs_cmd_smlad(w0o, cols[3], tfs_cmd_smlad(w0e, cols[2], b0));
    a1 = tfs_cmd_smlad(w1o, cols[1], tfs_cmd_smlad(w1e, cols[0], a1));
    b1 = tfs_cmd_smlad(w1o, cols[3], tfs_cmd_smlad(w1e, cols[2], b1));
  }
#endif
  acc[0] = a0, acc[1] = b0, acc[2] = a1, acc[3] = b1;
}

/* Two columns (expand_column layout: interleaved blocks, then column a's and column b's rest) times
 * every output channel: out_a, out_b receive the requantized pixels. Rows are taken in pairs; an odd
 * last row pairs with itself. */
static void dense_two_columns(const tfs_fc_params_t *fc, const int32_t *cols, int8_t *out_a, int8_t *out_b) {
  const int32_t rows = fc->rows, taps = fc->cols, blocks = taps >> 2, rest = taps & 3;
  const int16_t *rest_a = (const int16_t *)(cols + 4 * blocks), *rest_b = rest_a + 4;
  for (int32_t r = 0; r < rows; r += 2) {
    const int32_t r1 = r + 1 < rows ? r + 1 : r;
    const int8_t *w0 = fc->values + (size_t)r * (size_t)taps;
    const int8_t *w1 = fc->values + (size_t)r1 * (size_t)taps;
    int32_t acc[4] = {fc->bias[r], fc->bias[r], fc->bias[r1], fc->bias[r1]};
    mac_blocks(blocks, w0, w1, cols, acc);
    w0 += 4 * blocks, w1 += 4 * blocks;
    for (int32_t k = 0; k < rest; ++k) {
      acc[0] += (int32_t)w0[k] * rest_a[k];
      acc[1] += (int32_t)w0[k] * rest_b[k];
      acc[2] += (int32_t)w1[k] * rest_a[k];
      acc[3] += (int32_t)w1[k] * rest_b[k];
    }
    const int32_t zp = fc->output_zero_point, lo = fc->activation_min, hi = fc->activation_max;
    out_a[r] = tfs_cmd_requantize(acc[0], fc->multiplier[r], fc->shift[r], zp, lo, hi);
    out_b[r] = tfs_cmd_requantize(acc[1], fc->multiplier[r], fc->shift[r], zp, lo, hi);
    out_a[r1] = tfs_cmd_requantize(acc[2], fc->multiplier[r1], fc->shift[r1], zp, lo, hi);
    out_b[r1] = tfs_cmd_requantize(acc[3], fc->multiplier[r1], fc->shift[r1], zp, lo, hi);
  }
}

/* Dense weights: pixels in pairs (an odd last pixel runs as its own pair, second result dropped into
 * the same place). Scratch (TFS_CONV_2D_SCRATCH_BYTES): the interleaved blocks of both columns
 * (16 * (taps / 4) bytes), 4 int16 of rest per column (16 bytes), then the int8 im2col column. */
static void eval_dense(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, int32_t *scratch) {
  const tfs_window_t *w = &p->window;
  const int32_t taps = p->fc.cols, cout = w->output_channels;
  const int32_t pixels = w->output_height * w->output_width;
  const int pointwise = tfs_conv_2d_is_pointwise(w);
  int16_t *rest_a = (int16_t *)(scratch + 4 * (taps >> 2)), *rest_b = rest_a + 4;
  int8_t *staging = (int8_t *)(scratch + 4 * (taps >> 2) + 4);
  for (int32_t i = 0; i < pixels; i += 2) {
    const int32_t j = i + 1 < pixels ? i + 1 : i;
    if (pointwise) {
      expand_column(input + (size_t)i * (size_t)taps, taps, scratch, rest_a);
      expand_column(input + (size_t)j * (size_t)taps, taps, scratch + 2, rest_b);
    } else {
      tfs_conv_2d_column(p, input, i / w->output_width, i % w->output_width, staging);
      expand_column(staging, taps, scratch, rest_a);
      tfs_conv_2d_column(p, input, j / w->output_width, j % w->output_width, staging);
      expand_column(staging, taps, scratch + 2, rest_b);
    }
    dense_two_columns(&p->fc, scratch, output + (size_t)i * (size_t)cout, output + (size_t)j * (size_t)cout);
  }
}

void tfs_conv_2d_eval(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  if (p->fc.encoding == TFS_ENC_DENSE) {
    eval_dense(p, input, output, (int32_t *)scratch);
    return;
  }
  tfs_conv_2d_eval_per_pixel(p, input, output, scratch);
}
