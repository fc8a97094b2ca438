/* tfsparse: int8 fully-connected kernel over CSR-encoded (or dense) weights.
 *
 * TFLM's arithmetic: acc = bias[r] + sum_c w[r][c] * x[c] (input zero point already folded into
 * bias by the converter; the column form TFS_ENC_CSC8 instead starts from the unfolded bias and adds
 * (x[c] - input_zero_point) * w[r][c] for the columns whose input differs from the zero point), out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[r], shift[r])
 * + output_zero_point, activation_min, activation_max), TFLM's default double rounding.
 *
 * One header, two implementations with identical results: the portable C99 one
 * (kernels/fully_connected.c) and the Cortex-M optimized twin (kernels/cortex_m/fully_connected.c),
 * chosen at build time. The CSR byte layouts are specified in tfsparse/converter/ir.py.
 */
#ifndef TFS_FULLY_CONNECTED_H_
#define TFS_FULLY_CONNECTED_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TFS_OK = 0,
  TFS_ERROR_BAD_PARAMS = 1,
  TFS_ERROR_UNSUPPORTED = 2
} tfs_status_t;

/* Weight encodings; values match tfsparse.converter.ir.ENCODINGS order of the C side (stable ABI). */
typedef enum {
  TFS_ENC_DENSE = 0,   /* values: rows*cols int8, row-major [out][in]; row_ptr/indices unused */
  TFS_ENC_ABS_U8 = 1,  /* indices: uint8_t column per nonzero (cols <= 256) */
  TFS_ENC_ABS_U16 = 2, /* indices: uint16_t column per nonzero (cols <= 65536) */
  TFS_ENC_ABS_U32 = 3, /* indices: uint32_t column per nonzero */
  TFS_ENC_REL8 = 4,    /* indices: uint8_t gap per entry, 255 = escape (skip 255 columns, no value) */
  TFS_ENC_REL4 = 5,    /* indices: 4-bit gaps, two per byte, low nibble first, 15 = escape */
  TFS_ENC_BLK8 = 6,    /* row form in column blocks of TFS_BLOCK: indices uint8 column - block start;
                          row_ptr: uint8 count per (row, block), row-major (row_ptr_bytes = 1) */
  TFS_ENC_CSC8 = 7     /* column form in row blocks of TFS_BLOCK: values column by column, indices
                          uint8 row - block start, row_ptr: uint8 count per (column, row block),
                          column-major; bias is NOT folded; needs TFS_FC_SCRATCH_BYTES of scratch */
} tfs_encoding_t;

/* Block width of TFS_ENC_BLK8 (columns) and TFS_ENC_CSC8 (rows): counts fit a byte. */
#define TFS_BLOCK 255
#define TFS_BLOCKS(n) (((n) + TFS_BLOCK - 1) / TFS_BLOCK)

/* Scratch bytes an Eval of one batch row needs: int32 accumulators for the column form, else 0. */
#define TFS_FC_SCRATCH_BYTES(encoding, rows) ((encoding) == TFS_ENC_CSC8 ? 4 * (rows) : 0)

/* Worst-case builds (-DTFS_ALL_COLUMNS_LIVE, see tfsparse.profile): the column form still tests each
 * input against the zero point but never skips (a volatile flag vetoes it), so every column costs
 * what a live one does; results are unchanged (a column at the zero point adds 0). */
#ifdef TFS_ALL_COLUMNS_LIVE
extern volatile const int tfs_all_columns_live;
#define TFS_SKIP_COLUMN(at_zero_point) ((at_zero_point) && !tfs_all_columns_live)
#else
#define TFS_SKIP_COLUMN(at_zero_point) (at_zero_point)
#endif

/* Op data: everything Eval needs, all of it const data the generator places in flash. */
typedef struct {
  int32_t rows;                /* output units */
  int32_t cols;                /* input units */
  tfs_encoding_t encoding;
  const int8_t *values;        /* nonzeros row by row (CSR), or the dense matrix */
  const void *row_ptr;         /* rows + 1 offsets into the index entries (CSR only) */
  uint8_t row_ptr_bytes;       /* 2 (uint16_t) or 4 (uint32_t) */
  const void *indices;         /* see tfs_encoding_t */
  const int32_t *bias;         /* rows, input zero point folded in (TFS_ENC_CSC8: not folded) */
  const int32_t *multiplier;   /* rows (per-tensor layers repeat one value) */
  const int32_t *shift;        /* rows, TFLM convention: > 0 shifts left */
  int32_t output_zero_point;
  int32_t activation_min;
  int32_t activation_max;
  int32_t input_zero_point;    /* TFS_ENC_CSC8 only: columns whose input equals it are skipped */
} tfs_fc_params_t;

/* Prepare-time checks (dimensions, encoding, pointers, ranges). Returns TFS_OK or an error. */
tfs_status_t tfs_fully_connected_prepare(const tfs_fc_params_t *params);

/* Eval: input int8[batches][cols] -> output int8[batches][rows]. No allocation, no checks. The
 * column form (TFS_ENC_CSC8) needs scratch: use tfs_fully_connected_eval_scratch. */
void tfs_fully_connected_eval(const tfs_fc_params_t *params, int32_t batches, const int8_t *input,
                              int8_t *output);

/* Eval with scratch: TFS_FC_SCRATCH_BYTES(encoding, rows) bytes, 4-byte aligned (may be NULL when that
 * is 0), reused for every batch row. A 1x1 convolution calls it with batches = pixels (NHWC rows). */
void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *params, int32_t batches, const int8_t *input,
                                      int8_t *output, int32_t *scratch);

/* One encoding's Eval, same arguments as tfs_fully_connected_eval_scratch (whose switch on
 * params->encoding calls these): generated firmware calls the one its layer's encoding names, so the
 * linker (--gc-sections) keeps only the loops of the encodings the model uses. */
#define TFS_FC_EVAL_ARGS \
  const tfs_fc_params_t *params, int32_t batches, const int8_t *input, int8_t *output, int32_t *scratch
void tfs_fully_connected_eval_dense(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_abs_u8(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_abs_u16(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_abs_u32(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_rel8(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_rel4(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_blk8(TFS_FC_EVAL_ARGS);
void tfs_fully_connected_eval_csc8(TFS_FC_EVAL_ARGS); /* scratch as for the switch; NULL: does nothing */

/* Body of tfs_fully_connected_eval_scratch in each implementation: the run-time switch (TFLM glue, host
 * tests) over the entry points above, which links every encoding's loop. A macro so that its names
 * resolve where it is expanded (the Helium twin renames the Cortex-M kernel's while including it). */
#define TFS_FC_EVAL_SWITCH(p, batches, input, output, scratch)               \
  switch ((p)->encoding) {                                                   \
    case TFS_ENC_DENSE:                                                      \
      tfs_fully_connected_eval_dense(p, batches, input, output, scratch);    \
      break;                                                                 \
    case TFS_ENC_ABS_U8:                                                     \
      tfs_fully_connected_eval_abs_u8(p, batches, input, output, scratch);   \
      break;                                                                 \
    case TFS_ENC_ABS_U16:                                                    \
      tfs_fully_connected_eval_abs_u16(p, batches, input, output, scratch);  \
      break;                                                                 \
    case TFS_ENC_ABS_U32:                                                    \
      tfs_fully_connected_eval_abs_u32(p, batches, input, output, scratch);  \
      break;                                                                 \
    case TFS_ENC_REL8:                                                       \
      tfs_fully_connected_eval_rel8(p, batches, input, output, scratch);     \
      break;                                                                 \
    case TFS_ENC_REL4:                                                       \
      tfs_fully_connected_eval_rel4(p, batches, input, output, scratch);     \
      break;                                                                 \
    case TFS_ENC_BLK8:                                                       \
      tfs_fully_connected_eval_blk8(p, batches, input, output, scratch);     \
      break;                                                                 \
    case TFS_ENC_CSC8:                                                       \
      tfs_fully_connected_eval_csc8(p, batches, input, output, scratch);     \
      break;                                                                 \
    default:                                                                 \
      break;                                                                 \
  }

/* Name of the implementation linked in ("portable" or "cortex-m-dsp"), for reports. */
const char *tfs_fully_connected_impl(void);

#ifdef __cplusplus
}
#endif

#endif /* TFS_FULLY_CONNECTED_H_ */
