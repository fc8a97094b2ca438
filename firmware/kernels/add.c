/* tfsparse: portable int8 ADD, TFLM's AddFunc element by element (directly, or through the tables of
 * each input's rescaling). */
#include "tfs_add.h"
#include "tfs_quant.h"

static int32_t rescale(int32_t offset, int32_t left_shift, int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t shifted = (int32_t)((uint32_t)(offset + x) << left_shift);
  return tfs_multiply_by_quantized_multiplier(shifted, multiplier, shift);
}

void tfs_add_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t a = rescale(p->input1_offset, p->left_shift, input1[i], p->input1_multiplier, p->input1_shift);
    const int32_t b = rescale(p->input2_offset, p->left_shift, input2[i], p->input2_multiplier, p->input2_shift);
    const int32_t sum = tfs_add_wrap(a, b);
    output[i] = tfs_requantize(sum, p->output_multiplier, p->output_shift, p->output_offset, p->activation_min,
                               p->activation_max);
  }
}

void tfs_add_table_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output,
                        void *scratch) {
  int32_t *table1 = (int32_t *)scratch + 128, *table2 = (int32_t *)scratch + 256 + 128;
  for (int32_t x = -128; x < 128; ++x) {
    table1[x] = rescale(p->input1_offset, p->left_shift, x, p->input1_multiplier, p->input1_shift);
    table2[x] = rescale(p->input2_offset, p->left_shift, x, p->input2_multiplier, p->input2_shift);
  }
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t sum = tfs_add_wrap(table1[input1[i]], table2[input2[i]]);
    output[i] = tfs_requantize(sum, p->output_multiplier, p->output_shift, p->output_offset, p->activation_min,
                               p->activation_max);
  }
}
