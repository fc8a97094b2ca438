/* tfsparse: int8 CONCATENATION, slice copies (see tfs_concatenation.h). */
#include <stddef.h>
#include <string.h>

#include "tfs_concatenation.h"

tfs_status_t tfs_concatenation_prepare(const tfs_concatenation_params_t *p) {
  if (p == NULL || p->num_inputs <= 0 || p->outer <= 0 || p->inner == NULL) {
    return TFS_ERROR_BAD_PARAMS;
  }
  for (int32_t i = 0; i < p->num_inputs; ++i) {
    if (p->inner[i] < 0) {
      return TFS_ERROR_BAD_PARAMS;
    }
  }
  return TFS_OK;
}

void tfs_concatenation_eval(const tfs_concatenation_params_t *p, const int8_t *const *inputs, int8_t *output) {
  for (int32_t o = 0; o < p->outer; ++o) {
    for (int32_t i = 0; i < p->num_inputs; ++i) {
      const size_t n = (size_t)p->inner[i];
      memcpy(output, inputs[i] + (size_t)o * n, n);
      output += n;
    }
  }
}
