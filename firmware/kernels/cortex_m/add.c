/* tfsparse: Cortex-M twin of kernels/add.c (same header, bit-identical results): TFLM's AddFunc with
 * the three MultiplyByQuantizedMultiplier steps as one 64-bit product and 32-bit rounding each
 * (tfs_cmd_mbqm; Prepare guarantees non-negative multipliers) instead of the reference's 64-bit
 * division, which the portable kernel keeps. */
#include "../tfs_add.h"
#include "../tfs_quant.h"
#include "tfs_cm_dsp.h"

void tfs_add_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t off1 = p->input1_offset, off2 = p->input2_offset, ls = p->left_shift;
  const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, m2 = p->input2_multiplier, s2 = p->input2_shift;
  for (int32_t i = 0; i < p->size; ++i) {
    const int32_t a = (int32_t)((uint32_t)(off1 + input1[i]) << ls);
    const int32_t b = (int32_t)((uint32_t)(off2 + input2[i]) << ls);
    const int32_t sum = tfs_add_wrap(tfs_cmd_mbqm(a, m1, s1), tfs_cmd_mbqm(b, m2, s2));
    output[i] = tfs_cmd_requantize(sum, p->output_multiplier, p->output_shift, p->output_offset, p->activation_min,
                                   p->activation_max);
  }
}
