/* tfsparse: int8 PAD of a tensor of rank <= 4 (TFLM's reference Pad): the output, dims[d] +
 * before[d] + after[d] along each dimension, is filled with pad_value (the output zero point for PAD,
 * or PADV2's constant) and the input copied into it. Shapes are right-aligned to rank 4 by the
 * generator (leading dimensions of 1). Kernel: kernels/pad.c. */
#ifndef TFS_PAD_H_
#define TFS_PAD_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t input_dims[4];
  int32_t before[4];
  int32_t after[4];
  int32_t pad_value;
} tfs_pad_params_t;

tfs_status_t tfs_pad_prepare(const tfs_pad_params_t *params);

void tfs_pad_eval(const tfs_pad_params_t *params, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TFS_PAD_H_ */
