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

#endif /* TFS_COUNTER_H_ */
