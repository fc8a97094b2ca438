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

#include "../tfs_conv.h"
#include "tfs_cm_dsp.h"

/* Expand `taps` int8 values into int16 pairs: for each 4 taps, words (x0, x2) and (x1, x3); the last
 * taps % 4 values are plain int16. */
static void expand_column(const int8_t *src, int32_t taps, int16_t *dst) {
  int32_t *words = (int32_t *)dst;
  int32_t k = taps >> 2;
  for (; k > 0; --k) {
    const uint32_t x = tfs_cmd_read4(src);
    words[0] = tfs_cmd_sxtb16(x);
    words[1] = tfs_cmd_sxtb16_ror8(x);
    words += 2, src += 4;
  }
  int16_t *rest = (int16_t *)words;
  for (k = taps & 3; k > 0; --k) {
    *rest++ = *src++;
  }
}

/* Two columns (int16, expand_column layout) times every output channel: out_a, out_b receive the
 * requantized pixels. Rows are taken in pairs; an odd last row pairs with itself. */
static void dense_two_columns(const tfs_fc_params_t *fc, const int16_t *col_a, const int16_t *col_b, int8_t *out_a,
                              int8_t *out_b) {
  const int32_t rows = fc->rows, cols = fc->cols, blocks = cols >> 2, rest = cols & 3;
  for (int32_t r = 0; r < rows; r += 2) {
    const int32_t r1 = r + 1 < rows ? r + 1 : r;
    const int8_t *w0 = fc->values + (size_t)r * (size_t)cols;
    const int8_t *w1 = fc->values + (size_t)r1 * (size_t)cols;
    const int32_t *ca = (const int32_t *)col_a, *cb = (const int32_t *)col_b;
    int32_t a0 = fc->bias[r], b0 = a0, a1 = fc->bias[r1], b1 = a1;
    for (int32_t k = blocks; k > 0; --k) {
      const uint32_t u0 = tfs_cmd_read4(w0), u1 = tfs_cmd_read4(w1);
      w0 += 4, w1 += 4;
      const int32_t w0e = tfs_cmd_sxtb16(u0), w0o = tfs_cmd_sxtb16_ror8(u0);
      const int32_t w1e = tfs_cmd_sxtb16(u1), w1o = tfs_cmd_sxtb16_ror8(u1);
      const int32_t xa = ca[0], ya = ca[1], xb = cb[0], yb = cb[1];
      ca += 2, cb += 2;
      a0 = tfs_cmd_smlad(w0e, xa, a0);
      a0 = tfs_cmd_smlad(w0o, ya, a0);
      b0 = tfs_cmd_smlad(w0e, xb, b0);
      b0 = tfs_cmd_smlad(w0o, yb, b0);
      a1 = tfs_cmd_smlad(w1e, xa, a1);
      a1 = tfs_cmd_smlad(w1o, ya, a1);
      b1 = tfs_cmd_smlad(w1e, xb, b1);
      b1 = tfs_cmd_smlad(w1o, yb, b1);
    }
    const int16_t *ta = (const int16_t *)ca, *tb = (const int16_t *)cb;
    for (int32_t k = 0; k < rest; ++k) {
      a0 += (int32_t)w0[k] * ta[k];
      b0 += (int32_t)w0[k] * tb[k];
      a1 += (int32_t)w1[k] * ta[k];
      b1 += (int32_t)w1[k] * tb[k];
    }
    const int32_t zp = fc->output_zero_point, lo = fc->activation_min, hi = fc->activation_max;
    out_a[r] = tfs_cmd_requantize(a0, fc->multiplier[r], fc->shift[r], zp, lo, hi);
    out_b[r] = tfs_cmd_requantize(b0, fc->multiplier[r], fc->shift[r], zp, lo, hi);
    out_a[r1] = tfs_cmd_requantize(a1, fc->multiplier[r1], fc->shift[r1], zp, lo, hi);
    out_b[r1] = tfs_cmd_requantize(b1, fc->multiplier[r1], fc->shift[r1], zp, lo, hi);
  }
}

/* Dense weights: pixels in pairs (an odd last pixel runs as its own pair, second result dropped into
 * the same place). Scratch: two int16 columns (4 * taps bytes); the int8 im2col column is staged in
 * the last `taps` bytes of column b. Expanding tap k writes int16 bytes below 2k + 2 <= taps + k + 1
 * and reads byte taps + k or above, so expanding column b from its own tail never overwrites a tap
 * before it is read. */
static void eval_dense(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, int16_t *cols) {
  const tfs_window_t *w = &p->window;
  const int32_t taps = p->fc.cols, cout = w->output_channels;
  const int32_t pixels = w->output_height * w->output_width;
  const int pointwise = tfs_conv_2d_is_pointwise(w);
  int16_t *col_a = cols, *col_b = cols + ((taps + 1) & ~1);
  int8_t *staging = (int8_t *)(col_b) + 2 * ((taps + 1) & ~1) - taps;
  for (int32_t i = 0; i < pixels; i += 2) {
    const int32_t j = i + 1 < pixels ? i + 1 : i;
    if (pointwise) {
      expand_column(input + (size_t)i * (size_t)taps, taps, col_a);
      expand_column(input + (size_t)j * (size_t)taps, taps, col_b);
    } else {
      tfs_conv_2d_column(p, input, i / w->output_width, i % w->output_width, staging);
      expand_column(staging, taps, col_a);
      tfs_conv_2d_column(p, input, j / w->output_width, j % w->output_width, staging);
      expand_column(staging, taps, col_b);
    }
    dense_two_columns(&p->fc, col_a, col_b, output + (size_t)i * (size_t)cout, output + (size_t)j * (size_t)cout);
  }
}

void tfs_conv_2d_eval(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  if (p->fc.encoding == TFS_ENC_DENSE) {
    eval_dense(p, input, output, (int16_t *)scratch);
    return;
  }
  tfs_conv_2d_eval_per_pixel(p, input, output, scratch);
}
