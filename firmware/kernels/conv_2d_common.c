/* tfsparse: backend-neutral parts of CONV_2D: Prepare (checks) and the im2col of one output pixel.
 * Linked with either Eval (conv_2d.c or cortex_m/conv_2d.c). */
#include <stddef.h>
#include <string.h>

#include "tfs_conv.h"

/* memcpy of a filter row: word by word (newlib-nano's memcpy copies single bytes). A fixed 4-byte
 * memcpy compiles to one LDR/STR where unaligned access is allowed, to byte moves on ARMv6-M. */
static void copy_taps(int8_t *dst, const int8_t *src, int32_t n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    uint32_t word;
    memcpy(&word, src, 4);
    memcpy(dst, &word, 4);
  }
  for (; n > 0; --n) {
    *dst++ = *src++;
  }
}

static void fill_taps(int8_t *dst, int8_t value, int32_t n) {
  for (; n > 0; --n) {
    *dst++ = value;
  }
}

tfs_status_t tfs_conv_2d_prepare(const tfs_conv_params_t *p) {
  if (p == NULL || tfs_window_check(&p->window) != TFS_OK) {
    return TFS_ERROR_BAD_PARAMS;
  }
  const tfs_window_t *w = &p->window;
  if (p->fc.rows != w->output_channels || p->fc.cols != w->filter_height * w->filter_width * w->input_channels ||
      p->input_zero_point < -128 || p->input_zero_point > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return tfs_fully_connected_prepare(&p->fc);
}

void tfs_conv_2d_column(const tfs_conv_params_t *p, const int8_t *input, int32_t oy, int32_t ox, int8_t *column) {
  const tfs_window_t *w = &p->window;
  const int32_t cin = w->input_channels;
  const int32_t y0 = oy * w->stride_height - w->padding_height;
  const int32_t x0 = ox * w->stride_width - w->padding_width;
  const int32_t row_bytes = w->filter_width * cin;
  for (int32_t ky = 0; ky < w->filter_height; ++ky) {
    const int32_t y = y0 + ky * w->dilation_height;
    int8_t *dst = column + ky * row_bytes;
    if (y < 0 || y >= w->input_height) {
      fill_taps(dst, (int8_t)p->input_zero_point, row_bytes);
      continue;
    }
    const int8_t *src_row = input + (size_t)y * (size_t)w->input_width * (size_t)cin;
    const int32_t x_last = x0 + (w->filter_width - 1) * w->dilation_width;
    if (w->dilation_width == 1 && x0 >= 0 && x_last < w->input_width) {
      copy_taps(dst, src_row + (size_t)x0 * (size_t)cin, row_bytes);
      continue;
    }
    for (int32_t kx = 0; kx < w->filter_width; ++kx) {
      const int32_t x = x0 + kx * w->dilation_width;
      if (x < 0 || x >= w->input_width) {
        fill_taps(dst + kx * cin, (int8_t)p->input_zero_point, cin);
      } else {
        copy_taps(dst + kx * cin, src_row + (size_t)x * (size_t)cin, cin);
      }
    }
  }
}

void tfs_conv_2d_eval_per_pixel(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  const tfs_window_t *w = &p->window;
  if (tfs_conv_2d_is_pointwise(w)) {
    tfs_fully_connected_eval(&p->fc, w->output_height * w->output_width, input, output);
    return;
  }
  int8_t *column = (int8_t *)scratch;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      tfs_conv_2d_column(p, input, oy, ox, column);
      tfs_fully_connected_eval(&p->fc, 1, column, output);
      output += w->output_channels;
    }
  }
}
