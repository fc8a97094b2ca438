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

#if TFS_COUNTER_DWT
/* DWT CYCCNT, a 32-bit up-counter (one load). */
static inline uint32_t tfs_counter_now(void) { return *(volatile const uint32_t *)0xE0001004u; }
#else
/* The raw 24-bit down-counter (one load): the difference of two reads, masked to 24 bits, is the
 * number of ticks between them (exact for spans under 2^24 ticks). */
static inline uint32_t tfs_counter_now(void) { return *(volatile const uint32_t *)0xE000E018u; }
#endif

/* Per-op stamps written by the generated tfs_model.c (TFS_OP_TIMING): entry 2*i before op i, entry
 * 2*i + 1 after it. Defined by the runtime's main.c with TFS_MODEL_NUM_OPS * 2 entries. */
extern uint32_t tfs_op_stamps[];

static inline uint32_t tfs_counter_ticks_between(uint32_t before, uint32_t after) {
#if TFS_COUNTER_DWT
  return after - before;
#else
  return (before - after) & 0x00FFFFFFu;
#endif
}

#endif /* TFS_COUNTER_H_ */
