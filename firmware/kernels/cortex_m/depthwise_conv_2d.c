/* tfsparse: Cortex-M twin of kernels/depthwise_conv_2d.c (same header, bit-identical results).
 *
 * With depth multiplier 1, four channels run at a time with their accumulators in registers: per tap,
 * one word of inputs (a word of input zero points for a padded tap) and one of weights (channels are
 * contiguous in both), split into sign-extended halfword pairs by SXTB16, and one SMLABB/SMLATT per
 * channel. Leftover channels and depth multipliers > 1 take the one-channel-at-a-time arithmetic.
 */
#include <stddef.h>
#include <stdint.h>

#include "../tfs_depthwise_conv.h"
#include "tfs_cm_dsp.h"

/* Channels [c0, c_end) of one output pixel, any window position, one channel at a time. */
static void pixel_generic(const tfs_depthwise_conv_params_t *p, const int8_t *input, int32_t y0, int32_t x0,
                          int32_t c0, int32_t c_end, int8_t *out) {
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
    out[c] = tfs_cmd_requantize(acc, p->multiplier[c], p->shift[c], p->output_zero_point, p->activation_min,
                                p->activation_max);
  }
}

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

/* Requantizes four channels' accumulators (kept out of line: the tap loops keep their registers). */
__attribute__((noinline)) static void requantize4(const tfs_depthwise_conv_params_t *p, int32_t c,
                                                  int32_t acc0, int32_t acc1, int32_t acc2, int32_t acc3,
                                                  int8_t *out) {
  const int32_t zp = p->output_zero_point, lo = p->activation_min, hi = p->activation_max;
  const int32_t *m = p->multiplier + c, *s = p->shift + c;
  out[c] = tfs_cmd_requantize(acc0, m[0], s[0], zp, lo, hi);
  out[c + 1] = tfs_cmd_requantize(acc1, m[1], s[1], zp, lo, hi);
  out[c + 2] = tfs_cmd_requantize(acc2, m[2], s[2], zp, lo, hi);
  out[c + 3] = tfs_cmd_requantize(acc3, m[3], s[3], zp, lo, hi);
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
static void pixel_vector4(const tfs_depthwise_conv_params_t *p, const int8_t *input, int32_t y0, int32_t x0,
                          int8_t *out) {
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
    requantize4(p, c, acc0, acc1, acc2, acc3, out);
  }
}

/* The same for a pixel whose whole window lies inside the input: no bounds checks, and a 3-wide
 * filter row (the common 3x3 case) is unrolled. `window` is the input at the window's top-left. */
static void pixel_interior4(const tfs_depthwise_conv_params_t *p, const int8_t *window, int8_t *out) {
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels, kh = w->filter_height, kw = w->filter_width;
  const size_t row_step = (size_t)w->dilation_height * (size_t)w->input_width * (size_t)cout;
  const size_t col_step = (size_t)w->dilation_width * (size_t)cout;
  for (int32_t c = 0; c + 4 <= cout; c += 4) {
    int32_t acc0 = p->bias[c], acc1 = p->bias[c + 1], acc2 = p->bias[c + 2], acc3 = p->bias[c + 3];
    const int8_t *wt = p->weights + c, *row = window + c;
    for (int32_t ky = kh; ky > 0; --ky, row += row_step) {
      const int8_t *in = row;
      if (kw == 3) {
        const uint32_t x0 = tfs_cmd_read4(in), x1 = tfs_cmd_read4(in + col_step), x2 = tfs_cmd_read4(in + 2 * col_step);
        const uint32_t w0 = tfs_cmd_read4(wt), w1 = tfs_cmd_read4(wt + cout), w2 = tfs_cmd_read4(wt + 2 * cout);
        TFS_DW_TAP4(x0, w0);
        TFS_DW_TAP4(x1, w1);
        TFS_DW_TAP4(x2, w2);
        wt += 3 * cout;
        continue;
      }
      for (int32_t kx = kw; kx > 0; --kx, in += col_step, wt += cout) {
        const uint32_t xv = tfs_cmd_read4(in), wv = tfs_cmd_read4(wt);
        TFS_DW_TAP4(xv, wv);
      }
    }
    requantize4(p, c, acc0, acc1, acc2, acc3, out);
  }
}

void tfs_depthwise_conv_2d_eval(const tfs_depthwise_conv_params_t *p, const int8_t *input, int8_t *output,
                                void *scratch) {
  (void)scratch; /* accumulators live in registers here */
  const tfs_window_t *w = &p->window;
  const int32_t cout = w->output_channels, vector_channels = p->depth_multiplier == 1 ? cout & ~3 : 0;
  const int32_t span_y = (w->filter_height - 1) * w->dilation_height;
  const int32_t span_x = (w->filter_width - 1) * w->dilation_width;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    const int32_t y0 = oy * w->stride_height - w->padding_height;
    const int inside_y = y0 >= 0 && y0 + span_y < w->input_height;
    for (int32_t ox = 0; ox < w->output_width; ++ox, output += cout) {
      const int32_t x0 = ox * w->stride_width - w->padding_width;
      if (vector_channels > 0 && inside_y && x0 >= 0 && x0 + span_x < w->input_width) {
        pixel_interior4(p, input + ((size_t)y0 * (size_t)w->input_width + (size_t)x0) * (size_t)cout, output);
      } else if (vector_channels > 0) {
        pixel_vector4(p, input, y0, x0, output);
      }
      pixel_generic(p, input, y0, x0, vector_channels, cout, output);
    }
  }
}
