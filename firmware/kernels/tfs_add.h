/* tfsparse: int8 ADD of two tensors of the same shape (TFLM's reference_integer_ops::Add).
 *
 * Each input is offset by its zero point, shifted left by left_shift (20 in TFLM), rescaled to the
 * common scale with its own multiplier (shift <= 0), summed, rescaled to the output, offset and
 * clamped to the fused activation range. All parameters are TFLM's ArithmeticParams as its Prepare
 * computes them. Kernel: kernels/add.c (portable) or kernels/cortex_m/add.c.
 *
 * Each input's rescaling has only 256 possible arguments: tfs_add_table_eval first tabulates both
 * (2 x 256 int32 in the scratch), then costs two table loads, one add and the output requantization
 * per element. Code generation picks it from TFS_ADD_TABLE_MIN_SIZE elements on (below that, building
 * the tables costs more than it saves) and reserves TFS_ADD_SCRATCH_BYTES for it.
 */
#ifndef TFS_ADD_H_
#define TFS_ADD_H_

#include <stdint.h>

#include "tfs_fully_connected.h" /* tfs_status_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t size; /* elements */
  int32_t left_shift;
  int32_t input1_offset; /* -zero point */
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_offset;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_offset; /* +zero point */
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
} tfs_add_params_t;

tfs_status_t tfs_add_prepare(const tfs_add_params_t *params);

void tfs_add_eval(const tfs_add_params_t *params, const int8_t *input1, const int8_t *input2, int8_t *output);

#define TFS_ADD_TABLE_MIN_SIZE 256
#define TFS_ADD_SCRATCH_BYTES (2 * 256 * 4)

/* Same results as tfs_add_eval; scratch: TFS_ADD_SCRATCH_BYTES, 4-byte aligned. */
void tfs_add_table_eval(const tfs_add_params_t *params, const int8_t *input1, const int8_t *input2, int8_t *output,
                        void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* TFS_ADD_H_ */
