/* tfsparse: Cortex-M twin of kernels/max_pool_2d.c (same header, bit-identical results): four channels
 * per 32-bit word, the running maximum of every tap word as SSUB8 + SEL (tfs_cmd_max4), the fused
 * activation as one more 4-lane max and min (2x2 windows unrolled); channels beyond a multiple of four
 * one by one. */
#include <stddef.h>

#include "../tfs_pooling.h"
#include "tfs_cm_dsp.h"

void tfs_max_pool_2d_eval(const tfs_pool_params_t *p, const int8_t *input, int8_t *output) {
  const tfs_window_t *w = &p->window;
  const int32_t depth = w->input_channels, groups = depth & ~3;
  const size_t row_stride = (size_t)w->input_width * (size_t)depth;
  const int8_t lo = (int8_t)p->activation_min, hi = (int8_t)p->activation_max;
  const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
  const int clamp = lo != -128 || hi != 127;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const tfs_pool_span_t s = tfs_pool_span(w, oy, ox);
      const int8_t *corner = input + (size_t)s.y_start * row_stride + (size_t)s.x_start * (size_t)depth;
      const int32_t rows = s.y_end - s.y_start, cols = s.x_end - s.x_start;
      int32_t c = 0;
      if (rows == 2 && cols == 2) { /* the common 2x2 window, its four tap words unrolled */
        const int8_t *below = corner + row_stride;
        for (; c < groups; c += 4) {
          uint32_t m = tfs_cmd_max4(tfs_cmd_max4(tfs_cmd_read4(corner + c), tfs_cmd_read4(corner + depth + c)),
                                    tfs_cmd_max4(tfs_cmd_read4(below + c), tfs_cmd_read4(below + depth + c)));
          if (clamp) {
            m = tfs_cmd_min4(tfs_cmd_max4(m, lo4), hi4);
          }
          tfs_cmd_write4(output + c, m);
        }
      }
      for (; c < groups; c += 4) {
        uint32_t m = 0x80808080u;
        const int8_t *row = corner + c;
        for (int32_t y = 0; y < rows; ++y, row += row_stride) {
          const int8_t *in = row;
          for (int32_t x = 0; x < cols; ++x, in += depth) {
            m = tfs_cmd_max4(m, tfs_cmd_read4(in));
          }
        }
        if (clamp) {
          m = tfs_cmd_min4(tfs_cmd_max4(m, lo4), hi4);
        }
        tfs_cmd_write4(output + c, m);
      }
      for (; c < depth; ++c) {
        int8_t m = -128;
        const int8_t *row = corner + c;
        for (int32_t y = 0; y < rows; ++y, row += row_stride) {
          const int8_t *in = row;
          for (int32_t x = 0; x < cols; ++x, in += depth) {
            m = *in > m ? *in : m;
          }
        }
        output[c] = m < lo ? lo : (m > hi ? hi : m);
      }
      output += depth;
    }
  }
}
