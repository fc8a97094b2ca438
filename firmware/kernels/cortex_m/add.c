/* tfsparse: Cortex-M twin of kernels/add.c (same header, bit-identical results): TFLM's AddFunc with
 * the three MultiplyByQuantizedMultiplier steps as one 64-bit product and 32-bit rounding each
 * (tfs_cmd_mbqm; Prepare guarantees non-negative multipliers) instead of the reference's 64-bit
 * division, which the portable kernel keeps.
 *
 * tfs_add_table_eval tabulates twice each input's rescaled value (|value| < 2^28, so the doubled sum
 * fits), then per element: two byte loads, two table loads, one add, SMMULR (the doubled sum times
 * the output multiplier is TFLM's rounding doubling high multiply), TFLM's rounding right shift and the
 * zero point as add/subtract/shift, SSAT; the activation clamp on four packed results at once. */
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

/* table[x] = 2 * MultiplyByQuantizedMultiplier((offset + x) << left_shift, multiplier, shift) for int8 x:
 * |offset + x| <= 255 and left_shift <= 20 (Prepare), so the doubled argument fits SMMULR's identity. */
static void tabulate(int32_t *table, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift) {
  const int32_t right = -shift, nudge = right > 0 ? (int32_t)(1u << (right - 1)) : 0;
  for (int32_t x = -128; x < 128; ++x) {
    const int32_t high = tfs_cmd_smmulr((int32_t)((uint32_t)(offset + x) << (left_shift + 1)), multiplier);
    table[x] = 2 * (right > 0 ? tfs_cmd_round_shift(high, nudge, right) : high);
  }
}

/* The doubled sum to int8 before the activation clamp (see tfs_add_table_eval). */
static inline int32_t requantize(int32_t sum2, int32_t multiplier, int32_t bias, int32_t right) {
  return tfs_cmd_ssat8(tfs_cmd_round_shift(tfs_cmd_smmulr(sum2, multiplier), bias, right));
}

void tfs_add_table_eval(const tfs_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output,
                        void *scratch) {
  int32_t *table1 = (int32_t *)scratch + 128, *table2 = (int32_t *)scratch + 256 + 128;
  tabulate(table1, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift);
  tabulate(table2, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
  const int32_t n = p->size, m = p->output_multiplier, zp = p->output_offset, right = -p->output_shift;
  const int32_t lo = p->activation_min, hi = p->activation_max;
  int32_t i = 0;
  if (right >= 1 && right <= 22) {
    /* |high| < 2^29, so high + 2^(right-1) + zp * 2^right stays in int32: the zero point rides in the
     * rounding shift's nudge. Four results saturate to int8 (SSAT), pack into one word and take the
     * activation range as 4-lane max/min. */
    const int32_t bias = (int32_t)(1u << (right - 1)) + (int32_t)((uint32_t)zp << right);
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    const int clamp = lo != -128 || hi != 127;
    for (; i + 4 <= n; i += 4) {
      uint32_t word = tfs_cmd_pack4(requantize(table1[input1[i]] + table2[input2[i]], m, bias, right),
                                    requantize(table1[input1[i + 1]] + table2[input2[i + 1]], m, bias, right),
                                    requantize(table1[input1[i + 2]] + table2[input2[i + 2]], m, bias, right),
                                    requantize(table1[input1[i + 3]] + table2[input2[i + 3]], m, bias, right));
      if (clamp) {
        word = tfs_cmd_min4(tfs_cmd_max4(word, lo4), hi4);
      }
      tfs_cmd_write4(output + i, word);
    }
  }
  for (; i < n; ++i) { /* the tail, and output shifts outside 1..22 */
    const int32_t sum = (table1[input1[i]] + table2[input2[i]]) / 2;
    output[i] = tfs_cmd_requantize(sum, m, p->output_shift, zp, lo, hi);
  }
}
