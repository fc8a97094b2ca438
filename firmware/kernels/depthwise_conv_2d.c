/* tfsparse: portable C99 Eval of DEPTHWISE_CONV_2D. Per output pixel, one int32 accumulator per
 * output channel (in the scratch buffer) sums the taps row by row, so the inner loop runs over
 * contiguous channels; padded taps contribute weight * input zero point (see tfs_depthwise_conv.h). */
#include <stddef.h>

#include "tfs_depthwise_conv.h"
#include "tfs_quant.h"

void tfs_depthwise_conv_2d_eval(const tfs_depthwise_conv_params_t *p, const int8_t *input, int8_t *output,
                                void *scratch) {
  const tfs_window_t *w = &p->window;
  const int32_t cin = w->input_channels, cout = w->output_channels, mult = p->depth_multiplier;
  int32_t *acc = (int32_t *)scratch;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const int32_t y0 = oy * w->stride_height - w->padding_height;
      const int32_t x0 = ox * w->stride_width - w->padding_width;
      for (int32_t c = 0; c < cout; ++c) {
        acc[c] = p->bias[c];
      }
      const int8_t *wt = p->weights;
      for (int32_t ky = 0; ky < w->filter_height; ++ky) {
        const int32_t y = y0 + ky * w->dilation_height;
        for (int32_t kx = 0; kx < w->filter_width; ++kx, wt += cout) {
          const int32_t x = x0 + kx * w->dilation_width;
          if (y < 0 || y >= w->input_height || x < 0 || x >= w->input_width) {
            for (int32_t c = 0; c < cout; ++c) {
              acc[c] += (int32_t)wt[c] * p->input_zero_point;
            }
            continue;
          }
          const int8_t *in = input + ((size_t)y * (size_t)w->input_width + (size_t)x) * (size_t)cin;
          if (mult == 1) {
            for (int32_t c = 0; c < cout; ++c) {
              acc[c] += (int32_t)wt[c] * (int32_t)in[c];
            }
          } else {
            for (int32_t c = 0; c < cout; ++c) {
              acc[c] += (int32_t)wt[c] * (int32_t)in[c / mult];
            }
          }
        }
      }
      for (int32_t c = 0; c < cout; ++c) {
        output[c] = tfs_requantize(acc[c], p->multiplier[c], p->shift[c], p->output_zero_point, p->activation_min,
                                   p->activation_max);
      }
      output += cout;
    }
  }
}
