/* tfsparse: stack high-water mark (see tfs_stack.h). */
#include "tfs_stack.h"

#include "tfs_semihost.h"

extern uint32_t __stack_limit__, __stack_top__;

#define TFS_STACK_PATTERN 0x5AC3A55Cu

__attribute__((noinline)) void tfs_stack_paint(void) {
  uint32_t here;
  /* Stop 64 bytes below this frame: everything above is in use. */
  uint32_t *const end = (uint32_t *)((uintptr_t)&here & ~(uintptr_t)3u) - 16;
  for (volatile uint32_t *p = &__stack_limit__; p < end; ++p) {
    *p = TFS_STACK_PATTERN;
  }
}

uint32_t tfs_stack_used(void) {
  const uint32_t *p = &__stack_limit__;
  while (p < &__stack_top__ && *p == TFS_STACK_PATTERN) {
    ++p;
  }
  return (uint32_t)((uintptr_t)&__stack_top__ - (uintptr_t)p);
}

static void put_u32(uint32_t value) {
  char text[11];
  int n = (int)sizeof text - 1;
  text[n] = '\0';
  do {
    text[--n] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0u && n > 0);
  tfs_sh_puts(text + n);
}

void tfs_stack_report(void) {
  tfs_sh_puts("tfsparse firmware: stack used: ");
  put_u32(tfs_stack_used());
  tfs_sh_puts(" of ");
  put_u32((uint32_t)((uintptr_t)&__stack_top__ - (uintptr_t)&__stack_limit__));
  tfs_sh_puts(" bytes\n");
}
