/* tfsparse: backend-neutral Prepare of the fully-connected kernel (TFLM's fully_connected_common).
 *
 * Linked with either Eval implementation (fully_connected.c here, or cortex_m/fully_connected.c), so
 * the checks are the same whichever kernel runs. Prepare runs once at start-up; Eval checks nothing.
 */
#include <stddef.h>

#include "tfs_fully_connected.h"

#ifdef TFS_ALL_COLUMNS_LIVE
volatile const int tfs_all_columns_live = 1;
#endif

static uint32_t row_ptr_at(const tfs_fc_params_t *p, int32_t i) {
  return p->row_ptr_bytes == 2 ? ((const uint16_t *)p->row_ptr)[i] : ((const uint32_t *)p->row_ptr)[i];
}

/* Blocked forms: one uint8 count per (line, block); every index must address a row or column that
 * exists in the last, possibly narrower, block (Eval trusts it: a column-form index is a store). */
static tfs_status_t check_blocked(const tfs_fc_params_t *p) {
  const int32_t lines = p->encoding == TFS_ENC_BLK8 ? p->rows : p->cols;
  const int32_t width = p->encoding == TFS_ENC_BLK8 ? p->cols : p->rows;
  const int32_t blocks = TFS_BLOCKS(width);
  const uint8_t *counts = (const uint8_t *)p->row_ptr;
  const uint8_t *idx = (const uint8_t *)p->indices;
  if (counts == NULL || p->row_ptr_bytes != 1) {
    return TFS_ERROR_BAD_PARAMS;
  }
  for (int32_t line = 0; line < lines; ++line) {
    for (int32_t b = 0; b < blocks; ++b) {
      const int32_t n = *counts++;
      const int32_t limit = width - b * TFS_BLOCK < TFS_BLOCK ? width - b * TFS_BLOCK : TFS_BLOCK;
      if (n > 0 && idx == NULL) {
        return TFS_ERROR_BAD_PARAMS;
      }
      for (int32_t k = 0; k < n; ++k) {
        if (*idx++ >= limit) {
          return TFS_ERROR_BAD_PARAMS;
        }
      }
    }
  }
  return TFS_OK;
}

static tfs_status_t check_csr(const tfs_fc_params_t *p) {
  if (p->encoding == TFS_ENC_BLK8 || p->encoding == TFS_ENC_CSC8) {
    return check_blocked(p);
  }
  if (p->row_ptr == NULL || (p->row_ptr_bytes != 2 && p->row_ptr_bytes != 4)) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (row_ptr_at(p, 0) != 0) {
    return TFS_ERROR_BAD_PARAMS;
  }
  for (int32_t r = 0; r < p->rows; ++r) {
    if (row_ptr_at(p, r + 1) < row_ptr_at(p, r)) {
      return TFS_ERROR_BAD_PARAMS;
    }
  }
  if (row_ptr_at(p, p->rows) > 0 && p->indices == NULL) {
    return TFS_ERROR_BAD_PARAMS;
  }
  switch (p->encoding) {
    case TFS_ENC_ABS_U8:
      return p->cols <= 256 ? TFS_OK : TFS_ERROR_BAD_PARAMS;
    case TFS_ENC_ABS_U16:
      return p->cols <= 65536 ? TFS_OK : TFS_ERROR_BAD_PARAMS;
    case TFS_ENC_ABS_U32:
    case TFS_ENC_REL8:
    case TFS_ENC_REL4:
      return TFS_OK;
    default:
      return TFS_ERROR_UNSUPPORTED;
  }
}

tfs_status_t tfs_fully_connected_prepare(const tfs_fc_params_t *p) {
  if (p == NULL || p->rows <= 0 || p->cols <= 0 || p->bias == NULL || p->multiplier == NULL ||
      p->shift == NULL) {
    return TFS_ERROR_BAD_PARAMS;
  }
  if (p->activation_min < -128 || p->activation_max > 127 || p->activation_min > p->activation_max ||
      p->output_zero_point < -128 || p->output_zero_point > 127 || p->input_zero_point < -128 ||
      p->input_zero_point > 127) {
    return TFS_ERROR_BAD_PARAMS;
  }
  /* TFLM's QuantizeMultiplier yields shifts in [-31, 30]; outside it the rounding shift is undefined. */
  for (int32_t r = 0; r < p->rows; ++r) {
    if (p->shift[r] < -31 || p->shift[r] > 30 || p->multiplier[r] < 0) {
      return TFS_ERROR_BAD_PARAMS;
    }
  }
  if (p->encoding == TFS_ENC_DENSE) {
    return p->values != NULL ? TFS_OK : TFS_ERROR_BAD_PARAMS;
  }
  return check_csr(p);
}
