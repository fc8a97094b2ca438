/* tfsparse: counter for one inference.
 *
 * SysTick (default): QEMU runs with -icount shift=0, so the virtual clock advances 1 ns per guest
 * instruction and SysTick, clocked at the board's processor clock, ticks every 10^9 / clock_hz
 * instructions (40 on the 25 MHz MPS2 boards, 50 on an505, 31.25 on the 32 MHz an547, 62.5 on the
 * 16 MHz micro:bit); tfsparse.run turns ticks into instructions. On silicon SysTick counts cycles.
 * Wraps of the 24-bit counter are counted by the SysTick interrupt.
 *
 * DWT (-DTFS_COUNTER_DWT=1): the 32-bit DWT CYCCNT of ARMv7-M/v8-M Mainline chips counts core
 * cycles on silicon. QEMU 7.2 does not model the DWT: CYCCNT reads 0 there.
 */
#ifndef TFS_COUNTER_H_
#define TFS_COUNTER_H_

#include <stdint.h>

#ifndef TFS_COUNTER_DWT
#define TFS_COUNTER_DWT 0
#endif

void tfs_counter_start(void);
/* Ticks (SysTick) or cycles (DWT) since tfs_counter_start. */
uint32_t tfs_counter_stop(void);

/* The raw counter, one load, for per-op stamps (TFS_OP_TIMING); tfs_counter_ticks_between turns two
 * reads into ticks (SysTick: the 24-bit down-counter, exact for spans under 2^24 ticks) or cycles. */
#if TFS_COUNTER_DWT
static inline uint32_t tfs_counter_now(void) { return *(volatile const uint32_t *)0xE0001004u; }

static inline uint32_t tfs_counter_ticks_between(uint32_t before, uint32_t after) { return after - before; }
#else
static inline uint32_t tfs_counter_now(void) { return *(volatile const uint32_t *)0xE000E018u; }

static inline uint32_t tfs_counter_ticks_between(uint32_t before, uint32_t after) {
  return (before - after) & 0x00FFFFFFu;
}
#endif

#endif /* TFS_COUNTER_H_ */
