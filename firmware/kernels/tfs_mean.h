/* tfsparse: int8 MEAN over height and width of an NHWC tensor (TFLM's QuantizedMeanOrSum).
 *
 * out[c] = clamp(MultiplyByQuantizedMultiplier(sum_p x[p][c] - zp_in * count, multiplier, shift)
 * + zp_out, -128, 127), where (multiplier, shift) already include 1 / count the way TFLM's Eval
 * folds it in (computed by the generator). Kernel: kernels/mean.c.
 */
#ifndef TFS_MEAN_H_
#define TFS_MEAN_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t count;    /* pixels averaged (height * width) */
  int32_t channels;
  int32_t multiplier;
  int32_t shift;
  int32_t input_zero_point;
  int32_t output_zero_point;
} tfs_mean_params_t;

/* Scratch bytes Eval needs: one int32 sum per channel. */
#define TFS_MEAN_SCRATCH_BYTES(channels) (4 * (channels))

tfs_status_t tfs_mean_prepare(const tfs_mean_params_t *params);

/* input int8 [count][channels] -> output int8 [channels]; scratch 4-byte aligned. */
void tfs_mean_eval(const tfs_mean_params_t *params, const int8_t *input, int8_t *output, void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* TFS_MEAN_H_ */
