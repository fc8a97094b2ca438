/* tfsparse: int8 softmax with TFLM's fixed-point arithmetic (reference_ops::Softmax, int8 -> int8).
 *
 * The converter computes the parameters exactly as TFLM's Prepare does (PreprocessSoftmaxScaling with
 * 5 integer bits for the scaled difference, CalculateInputRadius for diff_min); the output is
 * quantized with scale 1/256 and zero point -128.
 */
#ifndef TFS_SOFTMAX_H_
#define TFS_SOFTMAX_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

/* Largest row length whose sum of exponentials keeps TFLM's final rounding shift within 31 bits. */
#define TFS_SOFTMAX_MAX_DEPTH 511

typedef struct {
  int32_t outer;            /* rows (product of all dimensions but the last) */
  int32_t depth;            /* last dimension */
  int32_t input_multiplier; /* beta * input_scale as a Q31 multiplier ... */
  int32_t input_left_shift; /* ... and its left shift */
  int32_t diff_min;         /* differences to the row maximum below this give exp() = 0 */
} tfs_softmax_params_t;

tfs_status_t tfs_softmax_prepare(const tfs_softmax_params_t *params);

/* input int8[outer][depth] -> output int8[outer][depth]. */
void tfs_softmax_eval(const tfs_softmax_params_t *params, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TFS_SOFTMAX_H_ */
