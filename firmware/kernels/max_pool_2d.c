/* tfsparse: int8 MAX_POOL_2D (TFLM reference arithmetic), channels innermost: each tap row updates a
 * run of contiguous channel maxima. */
#include <stddef.h>

#include "tfs_pooling.h"

void tfs_max_pool_2d_eval(const tfs_pool_params_t *p, const int8_t *input, int8_t *output) {
  const tfs_window_t *w = &p->window;
  const int32_t depth = w->input_channels;
  const int8_t lo = (int8_t)p->activation_min, hi = (int8_t)p->activation_max;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const tfs_pool_span_t s = tfs_pool_span(w, oy, ox);
      for (int32_t c = 0; c < depth; ++c) {
        output[c] = -128;
      }
      for (int32_t y = s.y_start; y < s.y_end; ++y) {
        for (int32_t x = s.x_start; x < s.x_end; ++x) {
          const int8_t *in = input + ((size_t)y * (size_t)w->input_width + (size_t)x) * (size_t)depth;
          for (int32_t c = 0; c < depth; ++c) {
            output[c] = in[c] > output[c] ? in[c] : output[c];
          }
        }
      }
      for (int32_t c = 0; c < depth; ++c) {
        output[c] = output[c] < lo ? lo : (output[c] > hi ? hi : output[c]);
      }
      output += depth;
    }
  }
}
