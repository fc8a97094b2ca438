/* tfsparse: portable C99 Eval of CONV_2D: every output pixel is one fully-connected evaluation of its
 * column (built in the scratch buffer; pointwise convolutions read the input directly). Sparse
 * weights touch only the nonzero taps of each output channel. */
#include <stddef.h>

#include "tfs_conv.h"

void tfs_conv_2d_eval(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
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
