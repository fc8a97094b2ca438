/* tfsparse: portable int8 ADD, TFLM's AddFunc element by element. */
#include "tfs_add.h"
#include "tfs_quant.h"

void tfs_add_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t a = (int32_t)((uint32_t)(p->input1_offset + input1[i]) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(p->input2_offset + input2[i]) << p->left_shift);
    const int32_t sum = tfs_add_wrap(tfs_multiply_by_quantized_multiplier(a, p->input1_multiplier, p->input1_shift),
                                     tfs_multiply_by_quantized_multiplier(b, p->input2_multiplier, p->input2_shift));
    output[i] = tfs_requantize(sum, p->output_multiplier, p->output_shift, p->output_offset, p->activation_min,
                               p->activation_max);
  }
}
