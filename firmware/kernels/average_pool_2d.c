/* tfsparse: int8 AVERAGE_POOL_2D (TFLM reference arithmetic): the sum of the valid taps divided by
 * their count, rounded half away from zero, clamped to the activation range. */
#include <stddef.h>

#include "tfs_pooling.h"

void tfs_average_pool_2d_eval(const tfs_pool_params_t *p, const int8_t *input, int8_t *output) {
  const tfs_window_t *w = &p->window;
  const int32_t depth = w->input_channels;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const tfs_pool_span_t s = tfs_pool_span(w, oy, ox);
      const int32_t count = (s.y_end - s.y_start) * (s.x_end - s.x_start);
      for (int32_t c = 0; c < depth; ++c) {
        int32_t acc = 0;
        for (int32_t y = s.y_start; y < s.y_end; ++y) {
          const int8_t *in = input + ((size_t)y * (size_t)w->input_width + (size_t)s.x_start) * (size_t)depth + c;
          for (int32_t x = s.x_start; x < s.x_end; ++x, in += depth) {
            acc += *in;
          }
        }
        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        acc = acc < p->activation_min ? p->activation_min : (acc > p->activation_max ? p->activation_max : acc);
        output[c] = (int8_t)acc;
      }
      output += depth;
    }
  }
}
