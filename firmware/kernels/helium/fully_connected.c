/* tfsparse: Helium (M-Profile Vector Extension) twin of kernels/fully_connected.c for Cortex-M55.
 *
 * Same header, bit-identical results. The dense rows and the absolute-index sparse rows (abs_u8,
 * abs_u16) are vectorised: 16 (dense, abs_u8) or 8 (abs_u16) products per VMLADAVA, the inputs of a
 * sparse row fetched with a gather load (VLDRB gather, byte offsets = the column indices), tails with
 * tail predication (VCTP). The integer dot product is exact (int8 x int8 summed into int32 wraps like the
 * C loop), and requantization is the Cortex-M kernel's, so results equal TFLM's. The other encodings
 * (abs_u32, rel8, rel4, blk8, csc8) run the Cortex-M (DSP) kernel, which this file includes.
 *
 * Which encodings use Helium was decided by QEMU instruction counts on mps3-an547 (fewer instructions
 * than the DSP kernel; tests/cortex_m/test_helium_qemu.py re-measures it). QEMU counts instructions, not
 * cycles: a Helium instruction takes one or more "beats" of a 128-bit vector on real silicon (two beats
 * per tick on a dual-beat Cortex-M55), so the counts are only a proxy for speed there.
 */
#if !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1))
#error "kernels/helium/fully_connected.c needs Helium (MVE): build for -mcpu=cortex-m55, or use KERNEL_IMPL=cortex-m"
#endif

#include <arm_mve.h>

/* The Cortex-M kernel, its public entry points renamed: the encodings Helium does not speed up. */
#define tfs_fully_connected_eval tfs_fc_dsp_eval
#define tfs_fully_connected_eval_scratch tfs_fc_dsp_eval_scratch
#define tfs_fully_connected_impl tfs_fc_dsp_impl
#define tfs_fully_connected_eval_dense tfs_fc_dsp_eval_dense
#define tfs_fully_connected_eval_abs_u8 tfs_fc_dsp_eval_abs_u8
#define tfs_fully_connected_eval_abs_u16 tfs_fc_dsp_eval_abs_u16
#include "../cortex_m/fully_connected.c"
#undef tfs_fully_connected_eval_dense
#undef tfs_fully_connected_eval_abs_u8
#undef tfs_fully_connected_eval_abs_u16
#undef tfs_fully_connected_eval
#undef tfs_fully_connected_eval_scratch
#undef tfs_fully_connected_impl

/* The header's declarations were renamed with the included file: declare the real entry points again. */
void tfs_fully_connected_eval(const tfs_fc_params_t *params, int32_t batches, const int8_t *input, int8_t *output);
void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *params, int32_t batches, const int8_t *input,
                                      int8_t *output, int32_t *scratch);
const char *tfs_fully_connected_impl(void);
void tfs_fully_connected_eval_dense(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_abs_u8(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_abs_u16(TFS_FC_EVAL_ARGS);

/* acc + sum of n int8 products a[i] * b[i], 16 lanes per step, the tail predicated. */
static inline int32_t tfs_mve_dot_s8(int32_t acc, const int8_t *a, const int8_t *b, int32_t n) {
  while (n > 0) {
    const mve_pred16_t p = vctp8q((uint32_t)n);
    acc = vmladavaq_p_s8(acc, vldrbq_z_s8(a, p), vldrbq_z_s8(b, p), p);
    a += 16, b += 16, n -= 16;
  }
  return acc;
}

static void tfs_mve_eval_dense(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {
  const tfs_cm_requant_t q = tfs_cm_requant(p, tfs_cm_full_range(p));
  const int8_t *w = p->values;
  for (int32_t r = 0; r < p->rows; ++r, w += p->cols) {
    out[r] = (int8_t)tfs_cm_requantize_row(&q, r, tfs_mve_dot_s8(p->bias[r], w, x, p->cols));
  }
}

/* Sparse layers with fewer nonzeros per row than this on average run the DSP kernel: below it the
 * predicate and gather set-up of each row cost more than the products (QEMU an547 counts). */
#ifndef TFS_MVE_MIN_RUN
#define TFS_MVE_MIN_RUN 5
#endif

static inline int tfs_mve_pays(const tfs_fc_params_t *p) {
  const uint32_t entries = p->row_ptr_bytes == 2 ? ((const uint16_t *)p->row_ptr)[p->rows]
                                                 : ((const uint32_t *)p->row_ptr)[p->rows];
  return entries >= (uint32_t)TFS_MVE_MIN_RUN * (uint32_t)p->rows;
}

/* abs_u8: cols <= 256, so every column index is a byte offset from x. */
static void tfs_mve_eval_abs_u8(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {
  const tfs_cm_requant_t q = tfs_cm_requant(p, tfs_cm_full_range(p));
  const tfs_cm_rows_t rp = tfs_cm_rows(p);
  const int8_t *v = p->values;
  const uint8_t *idx = (const uint8_t *)p->indices;
  for (int32_t r = 0; r < p->rows; ++r) {
    const int32_t len = (int32_t)tfs_cm_row_len(rp, r);
    int32_t acc = p->bias[r];
    for (int32_t i = 0; i < len; i += 16) {
      const mve_pred16_t pr = vctp8q((uint32_t)(len - i));
      const uint8x16_t offsets = vldrbq_z_u8(idx + i, pr);
      acc = vmladavaq_p_s8(acc, vldrbq_z_s8(v + i, pr), vldrbq_gather_offset_z_s8(x, offsets, pr), pr);
    }
    v += len, idx += len;
    out[r] = (int8_t)tfs_cm_requantize_row(&q, r, acc);
  }
}

/* abs_u16: 8 lanes of int8 widened to int16, column indices as 16-bit byte offsets. */
static void tfs_mve_eval_abs_u16(const tfs_fc_params_t *p, const int8_t *x, int8_t *out) {
  const tfs_cm_requant_t q = tfs_cm_requant(p, tfs_cm_full_range(p));
  const tfs_cm_rows_t rp = tfs_cm_rows(p);
  const int8_t *v = p->values;
  const uint16_t *idx = (const uint16_t *)p->indices;
  for (int32_t r = 0; r < p->rows; ++r) {
    const int32_t len = (int32_t)tfs_cm_row_len(rp, r);
    int32_t acc = p->bias[r];
    for (int32_t i = 0; i < len; i += 8) {
      const mve_pred16_t pr = vctp16q((uint32_t)(len - i));
      const uint16x8_t offsets = vldrhq_z_u16(idx + i, pr);
      acc = vmladavaq_p_s16(acc, vldrbq_z_s16(v + i, pr), vldrbq_gather_offset_z_s16(x, offsets, pr), pr);
    }
    v += len, idx += len;
    out[r] = (int8_t)tfs_cm_requantize_row(&q, r, acc);
  }
}

/* ROW(p, x, out) over the batch rows. */
static void tfs_mve_rows(void (*row)(const tfs_fc_params_t *, const int8_t *, int8_t *), const tfs_fc_params_t *p,
                         int32_t batches, const int8_t *input, int8_t *output) {
  for (int32_t b = 0; b < batches; ++b) {
    row(p, input + (size_t)b * (size_t)p->cols, output + (size_t)b * (size_t)p->rows);
  }
}

void tfs_fully_connected_eval_dense(TFS_FC_EVAL_ARGS) {
  (void)scratch;
  tfs_mve_rows(tfs_mve_eval_dense, params, batches, input, output);
}

void tfs_fully_connected_eval_abs_u8(TFS_FC_EVAL_ARGS) {
  if (tfs_mve_pays(params)) {
    tfs_mve_rows(tfs_mve_eval_abs_u8, params, batches, input, output);
  } else {
    tfs_fc_dsp_eval_abs_u8(params, batches, input, output, scratch);
  }
}

void tfs_fully_connected_eval_abs_u16(TFS_FC_EVAL_ARGS) {
  if (tfs_mve_pays(params)) {
    tfs_mve_rows(tfs_mve_eval_abs_u16, params, batches, input, output);
  } else {
    tfs_fc_dsp_eval_abs_u16(params, batches, input, output, scratch);
  }
}

void tfs_fully_connected_eval(const tfs_fc_params_t *p, int32_t batches, const int8_t *input,
                              int8_t *output) {
  tfs_fully_connected_eval_scratch(p, batches, input, output, NULL);
}

void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *p, int32_t batches, const int8_t *input,
                                      int8_t *output, int32_t *scratch) {
  TFS_FC_EVAL_SWITCH(p, batches, input, output, scratch)
}

const char *tfs_fully_connected_impl(void) { return "helium"; }
