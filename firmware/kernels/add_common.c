/* tfsparse: Prepare of ADD (checks TFLM's ranges), linked with either Eval. */
#include <stddef.h>

#include "tfs_add.h"

tfs_status_t tfs_add_prepare(const tfs_add_params_t *p) {
  if (p == NULL || p->size <= 0 || p->left_shift < 0 || p->left_shift > 20) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->input1_offset < -127 || p->input1_offset > 128 || p->input2_offset < -127 || p->input2_offset > 128 ||
      p->output_offset < -128 || p->output_offset > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->input1_shift > 0 || p->input2_shift > 0 || p->output_shift > 0 || p->input1_shift < -31 ||
      p->input2_shift < -31 || p->output_shift < -31 || p->input1_multiplier < 0 || p->input2_multiplier < 0 ||
      p->output_multiplier < 0) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->activation_min < -128 || p->activation_max > 127 || p->activation_min > p->activation_max) {
    return TFS_ERROR_BAD_PARAMS;
  }
  return TFS_OK;
}
