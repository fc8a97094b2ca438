/* tfsparse: SysTick phase dithering, for exact mean instruction counts (benchmarks, calibration).
 *
 * SysTick advances once per 40 instructions (50 on the M33 board, 31.25 or 62.5 on others), so a
 * count is exact only to within a tick, and with data-independent kernels every inference sees the
 * same phase. Built with -DTFS_DITHER_MODULO=<period> (tfsparse.firmware.dither_cflags), the runtime
 * spins 1..period iterations of a three-instruction loop after starting the counter and before the
 * inference (3 is prime to 40, 50 and 125), reads the counter, and reports the inference's ticks
 * from that read on: over a multiple of `period` inferences every op and the whole inference start
 * at every phase once, so the means of RunResult.instructions and .layer_instructions are exact.
 */
#ifndef TFS_DITHER_H_
#define TFS_DITHER_H_

#include <stdint.h>

static inline void tfs_dither_spin(uint32_t index) {
  uint32_t n = index % (uint32_t)(TFS_DITHER_MODULO) + 1u;
#if defined(__thumb2__)
  __asm__ volatile("1: nop\n subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
#else /* ARMv6-M: GCC assembles inline asm in divided syntax */
  __asm__ volatile(".syntax unified\n1: nop\n subs %0, %0, #1\n bne 1b\n.syntax divided" : "+r"(n) : : "cc");
#endif
}

#endif /* TFS_DITHER_H_ */
