/* tfsparse: stack high-water mark. The start-up code paints the free stack with a pattern;
 * tfs_stack_report() prints how deep the firmware went ("stack used: N of M bytes"), which is how
 * each target's stack_size was chosen and what tfsparse.run reports as RunResult.stack_used. */
#ifndef TFS_STACK_H_
#define TFS_STACK_H_

#include <stdint.h>

/* Fill the stack below the caller's frame with the pattern (call first thing at reset). */
void tfs_stack_paint(void);
/* Bytes of stack ever used since tfs_stack_paint. */
uint32_t tfs_stack_used(void);
/* Print "tfsparse firmware: stack used: N of M bytes" through semihosting. */
void tfs_stack_report(void);

#endif /* TFS_STACK_H_ */
