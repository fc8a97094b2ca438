/* tfsparse: minimal Cortex-M start-up (M0 to M55): vector table, .data/.bss set-up, FPU on. */
#include <stdint.h>
#include <string.h>

#include "tfs_semihost.h"
#include "tfs_stack.h"

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __stack_top__;

int main(void);
void SysTick_Handler(void);

void Reset_Handler(void) {
  tfs_stack_paint();
  memcpy(&__data_start__, &__data_load__, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
  memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
#if defined(__ARM_FP)
  /* CPACR: full access to CP10 and CP11 so that any floating-point instruction is legal. */
  *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  tfs_sh_exit(main() == 0);
}

static void Fault_Handler(void) {
  tfs_sh_puts("tfsparse firmware: fault (HardFault/MemManage/BusFault/UsageFault)\n");
  tfs_sh_exit(0);
}

static void Default_Handler(void) {
  tfs_sh_puts("tfsparse firmware: unexpected interrupt\n");
  tfs_sh_exit(0);
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vectors[16 + 32] = {
    (vector_t)(uintptr_t)&__stack_top__,
    Reset_Handler,
    Default_Handler, /* NMI */
    Fault_Handler,   /* HardFault */
    Fault_Handler,   /* MemManage */
    Fault_Handler,   /* BusFault */
    Fault_Handler,   /* UsageFault */
    Fault_Handler,   /* SecureFault (v8-M) */
    0, 0, 0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    SysTick_Handler,
    /* external interrupts: none enabled */
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler,
};
