/* tfsparse: int8 CONCATENATION along one axis (TFLM copies bytes: every input shares the output's
 * quantization). The tensor is seen as [outer][sum of the inputs' inner bytes]: per outer index,
 * each input's slice of inner[i] bytes is copied in turn. Kernel: kernels/concatenation.c. */
#ifndef TFS_CONCATENATION_H_
#define TFS_CONCATENATION_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t num_inputs;
  int32_t outer;         /* product of the dimensions before the axis */
  const int32_t *inner;  /* num_inputs: bytes of each input from the axis on */
} tfs_concatenation_params_t;

tfs_status_t tfs_concatenation_prepare(const tfs_concatenation_params_t *params);

void tfs_concatenation_eval(const tfs_concatenation_params_t *params, const int8_t *const *inputs, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TFS_CONCATENATION_H_ */
