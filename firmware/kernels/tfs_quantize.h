/* tfsparse: int8 -> int8 QUANTIZE (TFLM's reference Requantize): out = clamp(
 * MultiplyByQuantizedMultiplier(x - input_zero_point, multiplier, shift) + output_zero_point,
 * -128, 127). Kernel: kernels/quantize.c. */
#ifndef TFS_QUANTIZE_H_
#define TFS_QUANTIZE_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size;
  int32_t multiplier;
  int32_t shift;
  int32_t input_zero_point;
  int32_t output_zero_point;
} tfs_quantize_params_t;

tfs_status_t tfs_quantize_prepare(const tfs_quantize_params_t *params);

void tfs_quantize_eval(const tfs_quantize_params_t *params, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TFS_QUANTIZE_H_ */
