/* tfsparse: portable C99 Eval of CONV_2D: every output pixel is one fully-connected evaluation of its
 * column (built in the scratch buffer; pointwise convolutions read the input directly). Sparse
 * weights touch only the nonzero taps of each output channel. */
#include <stddef.h>

#include "tfs_conv.h"

void tfs_conv_2d_eval(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  tfs_conv_2d_eval_per_pixel(p, input, output, scratch);
}
