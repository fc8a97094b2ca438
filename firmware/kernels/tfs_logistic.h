/* tfsparse: int8 LOGISTIC (TFLM's reference_integer_ops::Logistic, gemmlowp fixed point, no table).
 * Output scale 1/256, zero point -128. The parameters are TFLM's Prepare values: inputs within
 * input_range_radius of the zero point are rescaled to Q4.27 by (input_multiplier, input_left_shift),
 * the others saturate. Kernel: kernels/logistic.c. */
#ifndef TFS_LOGISTIC_H_
#define TFS_LOGISTIC_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size;
  int32_t input_zero_point;
  int32_t input_range_radius;
  int32_t input_multiplier;
  int32_t input_left_shift;
} tfs_logistic_params_t;

tfs_status_t tfs_logistic_prepare(const tfs_logistic_params_t *params);

void tfs_logistic_eval(const tfs_logistic_params_t *params, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TFS_LOGISTIC_H_ */
