/* tfsparse: instruction counter for one inference.
 *
 * QEMU runs with -icount shift=0: the virtual clock advances 1 ns per guest instruction. SysTick
 * counts the 25 MHz processor clock of the MPS2 boards, i.e. one tick per 40 instructions, so
 * ticks * TFS_INSTRUCTIONS_PER_TICK is the instruction count, deterministic, to within 40. Wraps of
 * the 24-bit counter are counted by the SysTick interrupt. On real silicon the same code counts
 * cycles (set TFS_INSTRUCTIONS_PER_TICK to 1).
 */
#ifndef TFS_COUNTER_H_
#define TFS_COUNTER_H_

#include <stdint.h>

#ifndef TFS_INSTRUCTIONS_PER_TICK
#define TFS_INSTRUCTIONS_PER_TICK 40u
#endif

void tfs_counter_start(void);
/* Ticks since tfs_counter_start. */
uint32_t tfs_counter_stop(void);

/* The raw 24-bit down-counter (one load): the difference of two reads, masked to 24 bits, is the
 * number of ticks between them (exact for spans under 2^24 ticks). */
static inline uint32_t tfs_counter_now(void) { return *(volatile const uint32_t *)0xE000E018u; }

/* Per-op stamps written by the generated tfs_model.c (TFS_OP_TIMING): entry 2*i before op i, entry
 * 2*i + 1 after it. Defined by the runtime's main.c with TFS_MODEL_NUM_OPS * 2 entries. */
extern uint32_t tfs_op_stamps[];

static inline uint32_t tfs_counter_ticks_between(uint32_t before, uint32_t after) {
  return (before - after) & 0x00FFFFFFu;
}

#endif /* TFS_COUNTER_H_ */
