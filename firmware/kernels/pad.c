/* tfsparse: int8 PAD: fill, then copy the input's innermost rows into place. */
#include <stddef.h>
#include <string.h>

#include "tfs_pad.h"

tfs_status_t tfs_pad_prepare(const tfs_pad_params_t *p) {
  if (p == NULL || p->pad_value < -128 || p->pad_value > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  for (int d = 0; d < 4; ++d) {
    if (p->input_dims[d] <= 0 || p->before[d] < 0 || p->after[d] < 0) {
      return TFS_ERROR_BAD_PARAMS;
    }
  }
  return TFS_OK;
}

void tfs_pad_eval(const tfs_pad_params_t *p, const int8_t *input, int8_t *output) {
  int32_t od[4];
  for (int d = 0; d < 4; ++d) {
    od[d] = p->input_dims[d] + p->before[d] + p->after[d];
  }
  memset(output, p->pad_value, (size_t)od[0] * (size_t)od[1] * (size_t)od[2] * (size_t)od[3]);
  const size_t row = (size_t)p->input_dims[3];
  for (int32_t i0 = 0; i0 < p->input_dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < p->input_dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < p->input_dims[2]; ++i2) {
        const size_t o = (((size_t)(i0 + p->before[0]) * (size_t)od[1] + (size_t)(i1 + p->before[1])) * (size_t)od[2] +
                          (size_t)(i2 + p->before[2])) * (size_t)od[3] + (size_t)p->before[3];
        memcpy(output + o, input, row);
        input += row;
      }
    }
  }
}
