/* tfsparse: portable C99 Eval of the int8 fully-connected kernel, every weight encoding.
 *
 * acc = bias[r] + sum over the stored nonzeros of w * x (input zero point folded into bias), then
 * TFLM's requantization (tfs_quant.h). Rows are independent; each encoding has its own loop so the
 * inner loop carries no branch on the encoding. The Cortex-M twin (cortex_m/fully_connected.c)
 * replaces this file and must give bit-identical results.
 */
#include "tfs_fully_connected.h"
#include "tfs_quant.h"

/* Row pointers are uint16 or uint32; read the row's end through one of two typed pointers. */
typedef struct {
  const uint16_t *p16;
  const uint32_t *p32;
} row_ptr_t;

static inline uint32_t row_end(row_ptr_t rp, int32_t r) {
  return rp.p16 != 0 ? rp.p16[r + 1] : rp.p32[r + 1];
}

static inline row_ptr_t row_ptr_of(const tfs_fc_params_t *p) {
  row_ptr_t rp;
  rp.p16 = p->row_ptr_bytes == 2 ? (const uint16_t *)p->row_ptr : 0;
  rp.p32 = p->row_ptr_bytes == 2 ? 0 : (const uint32_t *)p->row_ptr;
  return rp;
}

static inline int8_t finish(const tfs_fc_params_t *p, int32_t r, int32_t acc) {
  return tfs_requantize(tfs_add_wrap(acc, p->bias[r]), p->multiplier[r], p->shift[r], p->output_zero_point,
                        p->activation_min, p->activation_max);
}

static void eval_dense(const tfs_fc_params_t *p, const int8_t *x, int8_t *y) {
  const int8_t *w = p->values;
  for (int32_t r = 0; r < p->rows; ++r) {
    int32_t acc = 0;
    for (int32_t c = 0; c < p->cols; ++c) {
      acc += (int32_t)w[c] * (int32_t)x[c];
    }
    w += p->cols;
    y[r] = finish(p, r, acc);
  }
}

/* Absolute indices: entry e holds value e and its column. */
#define TFS_DEFINE_EVAL_ABS(NAME, INDEX_T)                                      \
  static void NAME(const tfs_fc_params_t *p, const int8_t *x, int8_t *y) {      \
    const INDEX_T *idx = (const INDEX_T *)p->indices;                           \
    const row_ptr_t rp = row_ptr_of(p);                                         \
    uint32_t e = 0;                                                             \
    for (int32_t r = 0; r < p->rows; ++r) {                                     \
      const uint32_t end = row_end(rp, r);                                      \
      int32_t acc = 0;                                                          \
      for (; e < end; ++e) {                                                    \
        acc += (int32_t)p->values[e] * (int32_t)x[idx[e]];                      \
      }                                                                         \
      y[r] = finish(p, r, acc);                                                 \
    }                                                                           \
  }

TFS_DEFINE_EVAL_ABS(eval_abs_u8, uint8_t)
TFS_DEFINE_EVAL_ABS(eval_abs_u16, uint16_t)
TFS_DEFINE_EVAL_ABS(eval_abs_u32, uint32_t)

/* Relative gaps: an entry equal to the escape code skips `escape` columns and consumes no value;
 * any other entry g skips g columns, multiplies the next value with x[col], then steps one column.
 * Escapes are rare at useful sparsities, so the common path is one add, two loads and a MAC. Values
 * and columns are indices, not pointers: GCC 12 keeps indices in registers (pointers it shuffles). */
#define TFS_REL_STEP(gap, escape)                          \
  do {                                                     \
    col += (gap);                                          \
    if ((gap) != (escape)) {                               \
      acc += (int32_t)values[k] * (int32_t)x[col];         \
      ++k;                                                 \
      ++col;                                               \
    }                                                      \
  } while (0)

static void eval_rel8(const tfs_fc_params_t *p, const int8_t *x, int8_t *y) {
  const uint8_t *g = (const uint8_t *)p->indices;
  const int8_t *values = p->values;
  const row_ptr_t rp = row_ptr_of(p);
  uint32_t k = 0;
  for (int32_t r = 0; r < p->rows; ++r) {
    const uint8_t *gend = (const uint8_t *)p->indices + row_end(rp, r);
    uint32_t col = 0;
    int32_t acc = 0;
    while (g < gend) {
      const uint32_t gap = *g++;
      TFS_REL_STEP(gap, 255u);
    }
    y[r] = finish(p, r, acc);
  }
}

static void eval_rel4(const tfs_fc_params_t *p, const int8_t *x, int8_t *y) {
  const uint8_t *g = (const uint8_t *)p->indices;
  const int8_t *values = p->values;
  const row_ptr_t rp = row_ptr_of(p);
  uint32_t e = 0;
  uint32_t k = 0;
  for (int32_t r = 0; r < p->rows; ++r) {
    const uint32_t end = row_end(rp, r);
    uint32_t col = 0;
    int32_t acc = 0;
    /* Entry e is nibble (e & 1) of byte e >> 1, low nibble first, and rows need not start on a byte
     * boundary: peel an odd first entry, then take whole bytes, then a last low nibble. */
    if (e < end && (e & 1u)) {
      const uint32_t gap = (uint32_t)g[e >> 1] >> 4;
      TFS_REL_STEP(gap, 15u);
      ++e;
    }
    const uint8_t *gp = g + (e >> 1);
    const uint8_t *gend = gp + ((end - e) >> 1);
    while (gp < gend) {
      const uint32_t byte = *gp++;
      const uint32_t lo = byte & 0x0Fu;
      const uint32_t hi = byte >> 4;
      TFS_REL_STEP(lo, 15u);
      TFS_REL_STEP(hi, 15u);
    }
    e += (end - e) & ~1u;
    if (e < end) {
      const uint32_t gap = (uint32_t)g[e >> 1] & 0x0Fu;
      TFS_REL_STEP(gap, 15u);
      ++e;
    }
    y[r] = finish(p, r, acc);
  }
}

/* Row form in column blocks: per block, a count and 8-bit columns relative to the block's start. */
static void eval_blk8(const tfs_fc_params_t *p, const int8_t *x, int8_t *y) {
  const uint8_t *count = (const uint8_t *)p->row_ptr;
  const uint8_t *idx = (const uint8_t *)p->indices;
  const int8_t *values = p->values;
  const int32_t blocks = TFS_BLOCKS(p->cols);
  for (int32_t r = 0; r < p->rows; ++r) {
    int32_t acc = 0;
    for (int32_t b = 0; b < blocks; ++b) {
      const int8_t *xb = x + b * TFS_BLOCK;
      for (uint32_t n = *count++; n > 0; --n) {
        acc += (int32_t)*values++ * (int32_t)xb[*idx++];
      }
    }
    y[r] = finish(p, r, acc);
  }
}

/* Column form: accumulators start at zero (finish adds the unfolded bias); a column whose input is at
 * the zero point is skipped whole, any other adds (x - zp) * w into the rows it touches. */
static void eval_csc8(const tfs_fc_params_t *p, const int8_t *x, int8_t *y, int32_t *acc) {
  const uint8_t *count = (const uint8_t *)p->row_ptr;
  const uint8_t *idx = (const uint8_t *)p->indices;
  const int8_t *values = p->values;
  const int32_t blocks = TFS_BLOCKS(p->rows);
  for (int32_t r = 0; r < p->rows; ++r) {
    acc[r] = 0;
  }
  for (int32_t c = 0; c < p->cols; ++c) {
    const int32_t xv = (int32_t)x[c] - p->input_zero_point;
    if (TFS_SKIP_COLUMN(xv == 0)) {
      uint32_t skip = 0;
      for (int32_t b = 0; b < blocks; ++b) {
        skip += *count++;
      }
      idx += skip;
      values += skip;
      continue;
    }
    for (int32_t b = 0; b < blocks; ++b) {
      int32_t *ab = acc + b * TFS_BLOCK;
      for (uint32_t n = *count++; n > 0; --n) {
        const uint32_t r = *idx++;
        ab[r] = tfs_add_wrap(ab[r], (int32_t)*values++ * xv);
      }
    }
  }
  for (int32_t r = 0; r < p->rows; ++r) {
    y[r] = finish(p, r, acc[r]);
  }
}

/* One entry point per encoding (tfs_fully_connected.h): ROW(p, x, y) over the batch rows. */
#define TFS_DEFINE_EVAL_ENTRY(ENC, ROW)                                                              \
  void tfs_fully_connected_eval_##ENC(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, \
                                      int8_t *output, int32_t *scratch) {                            \
    (void)scratch;                                                                                   \
    for (int32_t b = 0; b < batches; ++b) {                                                          \
      ROW(p, input + (int32_t)b * p->cols, output + (int32_t)b * p->rows);                           \
    }                                                                                                \
  }

TFS_DEFINE_EVAL_ENTRY(dense, eval_dense)
TFS_DEFINE_EVAL_ENTRY(abs_u8, eval_abs_u8)
TFS_DEFINE_EVAL_ENTRY(abs_u16, eval_abs_u16)
TFS_DEFINE_EVAL_ENTRY(abs_u32, eval_abs_u32)
TFS_DEFINE_EVAL_ENTRY(rel8, eval_rel8)
TFS_DEFINE_EVAL_ENTRY(rel4, eval_rel4)
TFS_DEFINE_EVAL_ENTRY(blk8, eval_blk8)

void tfs_fully_connected_eval_csc8(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, int8_t *output,
                                   int32_t *scratch) {
  if (scratch == 0) {
    return;
  }
  for (int32_t b = 0; b < batches; ++b) {
    eval_csc8(p, input + (int32_t)b * p->cols, output + (int32_t)b * p->rows, scratch);
  }
}

void tfs_fully_connected_eval(const tfs_fc_params_t *p, int32_t batches, const int8_t *input, int8_t *output) {
  tfs_fully_connected_eval_scratch(p, batches, input, output, 0);
}

/* The run-time switch (TFLM glue, host tests, the portable convolution). */
void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *p, int32_t batches, const int8_t *input,
                                      int8_t *output, int32_t *scratch) {
  TFS_FC_EVAL_SWITCH(p, batches, input, output, scratch)
}

const char *tfs_fully_connected_impl(void) { return "portable"; }
