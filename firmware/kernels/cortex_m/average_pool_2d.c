/* tfsparse: Cortex-M twin of kernels/average_pool_2d.c (same header, bit-identical results): four
 * channels per 32-bit word summed in 16-bit lanes (SXTAB16 for bytes 0/2 and 1/3), which cannot wrap
 * within 256 taps (256 * -128 = -32768), so the lanes are added to 32-bit sums every 256 taps; then
 * the reference's rounded division and clamp per channel. Channels beyond a multiple of four one by
 * one. */
#include <stddef.h>

#include "../tfs_pooling.h"
#include "tfs_cm_dsp.h"

static int8_t average(int32_t acc, int32_t count, int32_t lo, int32_t hi) {
  acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
  return (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
}

void tfs_average_pool_2d_eval(const tfs_pool_params_t *p, const int8_t *input, int8_t *output) {
  const tfs_window_t *w = &p->window;
  const int32_t depth = w->input_channels, groups = depth & ~3;
  const size_t row_stride = (size_t)w->input_width * (size_t)depth;
  for (int32_t oy = 0; oy < w->output_height; ++oy) {
    for (int32_t ox = 0; ox < w->output_width; ++ox) {
      const tfs_pool_span_t s = tfs_pool_span(w, oy, ox);
      const int8_t *corner = input + (size_t)s.y_start * row_stride + (size_t)s.x_start * (size_t)depth;
      const int32_t rows = s.y_end - s.y_start, cols = s.x_end - s.x_start, count = rows * cols;
      int32_t c = 0;
      for (; c < groups; c += 4) {
        int32_t sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
        uint32_t even = 0, odd = 0; /* lanes: channels c, c + 2 and c + 1, c + 3 */
        int32_t taps = 0;
        const int8_t *row = corner + c;
        for (int32_t y = 0; y < rows; ++y, row += row_stride) {
          const int8_t *in = row;
          for (int32_t left = cols; left > 0;) {
            if (taps == 256) {
              sum0 += tfs_cmd_lane_lo(even), sum1 += tfs_cmd_lane_lo(odd);
              sum2 += tfs_cmd_lane_hi(even), sum3 += tfs_cmd_lane_hi(odd);
              even = odd = 0, taps = 0;
            }
            int32_t n = left < 256 - taps ? left : 256 - taps;
            taps += n, left -= n;
            for (; n > 0; --n, in += depth) {
              const uint32_t word = tfs_cmd_read4(in);
              even = tfs_cmd_sxtab16(even, word);
              odd = tfs_cmd_sxtab16_ror8(odd, word);
            }
          }
        }
        sum0 += tfs_cmd_lane_lo(even), sum1 += tfs_cmd_lane_lo(odd);
        sum2 += tfs_cmd_lane_hi(even), sum3 += tfs_cmd_lane_hi(odd);
        output[c] = average(sum0, count, p->activation_min, p->activation_max);
        output[c + 1] = average(sum1, count, p->activation_min, p->activation_max);
        output[c + 2] = average(sum2, count, p->activation_min, p->activation_max);
        output[c + 3] = average(sum3, count, p->activation_min, p->activation_max);
      }
      for (; c < depth; ++c) {
        int32_t acc = 0;
        const int8_t *row = corner + c;
        for (int32_t y = 0; y < rows; ++y, row += row_stride) {
          const int8_t *in = row;
          for (int32_t x = 0; x < cols; ++x, in += depth) {
            acc += *in;
          }
        }
        output[c] = average(acc, count, p->activation_min, p->activation_max);
      }
      output += depth;
    }
  }
}
