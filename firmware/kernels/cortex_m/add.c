/* tfsparse: Cortex-M twin of kernels/add.c (same header, bit-identical results): TFLM's AddFunc with
 * the three MultiplyByQuantizedMultiplier steps as one 64-bit product and 32-bit rounding each
 * (tfs_cmd_mbqm; Prepare guarantees non-negative multipliers) instead of the reference's 64-bit
 * division, which the portable kernel keeps.
 *
 * tfs_add_table_eval tabulates twice each input's rescaled value (|value| < 2^28, so the doubled sum
 * fits), then per element: two byte loads, two table loads, one add, SMMULR (the doubled sum times
 * the output multiplier is TFLM's rounding doubling high multiply), TFLM's rounding right shift as
 * add/subtract/shift, the zero point, and the clamp. */
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

void tfs_add_table_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output,
                        void *scratch) {
  int32_t *table1 = (int32_t *)scratch + 128, *table2 = (int32_t *)scratch + 256 + 128;
  for (int32_t x = -128; x < 128; ++x) {
    const int32_t a = (int32_t)((uint32_t)(p->input1_offset + x) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(p->input2_offset + x) << p->left_shift);
    table1[x] = 2 * tfs_cmd_mbqm(a, p->input1_multiplier, p->input1_shift);
    table2[x] = 2 * tfs_cmd_mbqm(b, p->input2_multiplier, p->input2_shift);
  }
  const int32_t n = p->size, m = p->output_multiplier, zp = p->output_offset;
  const int32_t lo = p->activation_min, hi = p->activation_max;
  if (p->output_shift == 0) {
    for (int32_t i = 0; i < n; ++i) {
      const int32_t v = tfs_cmd_smmulr(table1[input1[i]] + table2[input2[i]], m) + zp;
      output[i] = (int8_t)tfs_clamp(v, lo, hi);
    }
    return;
  }
  const int32_t right = -p->output_shift, nudge = (int32_t)(1u << (right - 1));
  for (int32_t i = 0; i < n; ++i) {
    const int32_t high = tfs_cmd_smmulr(table1[input1[i]] + table2[input2[i]], m);
    output[i] = (int8_t)tfs_clamp(tfs_cmd_round_shift(high, nudge, right) + zp, lo, hi);
  }
}
