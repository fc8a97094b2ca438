/* tfsparse: SysTick phase dithering for exact mean per-op counts.
 *
 * SysTick advances once per 40 (50 on the M33 board) instructions, so one op's count is exact only
 * to within a tick, and with data-independent kernels every inference sees the same phase. Used as
 * the hooks header (-DTFS_HOOKS_HEADER='"tfs_dither.h"'), this spins 1..TFS_DITHER_MODULO iterations
 * of a three-instruction loop before the first op (3 is prime to 40 and 50), so over a multiple of
 * TFS_DITHER_MODULO inferences every op starts at every phase once and the mean of its counts is its
 * exact instruction count. The spin is inside the counted region: totals include it; per-op counts
 * (RunResult.layer_instructions) do not. Calibration and benchmarks only.
 */
#ifndef TFS_DITHER_H_
#define TFS_DITHER_H_

#include <stdint.h>

#ifndef TFS_DITHER_MODULO
#define TFS_DITHER_MODULO 40u
#endif

static uint32_t tfs_dither_count;

static inline void tfs_dither(void) {
  uint32_t n = tfs_dither_count++ % TFS_DITHER_MODULO + 1u;
#if defined(__thumb2__)
  __asm__ volatile("1: nop\n subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
#else /* ARMv6-M: GCC assembles inline asm in divided syntax */
  __asm__ volatile(".syntax unified\n1: nop\n subs %0, %0, #1\n bne 1b\n.syntax divided" : "+r"(n) : : "cc");
#endif
}

#define TFS_BEFORE_OP(index, name) \
  do {                             \
    if ((index) == 0) {            \
      tfs_dither();                \
    }                              \
  } while (0)

#endif /* TFS_DITHER_H_ */
