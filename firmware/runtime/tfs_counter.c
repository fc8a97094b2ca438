/* tfsparse: the inference counter. SysTick as a free-running 24-bit down-counter with a software
 * wrap count (default), or the DWT cycle counter (-DTFS_COUNTER_DWT=1, real ARMv7-M/v8-M chips). */
#include "tfs_counter.h"

#if TFS_COUNTER_DWT
#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#error "TFS_COUNTER_DWT: ARMv6-M and ARMv8-M Baseline cores have no DWT cycle counter; use SysTick"
#endif
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_CTRL_CYCCNTENA (1u << 0)

void SysTick_Handler(void) {}

void tfs_counter_start(void) {
  DEMCR |= DEMCR_TRCENA;
  DWT_LAR = 0xC5ACCE55u; /* unlocks the DWT on the cores that have a lock (Cortex-M7) */
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

uint32_t tfs_counter_stop(void) {
  const uint32_t cycles = DWT_CYCCNT;
  DWT_CTRL &= ~DWT_CTRL_CYCCNTENA;
  return cycles;
}

#else
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CPU (1u << 2)
#define SYST_RELOAD 0x00FFFFFFu

static volatile uint32_t wraps;

void SysTick_Handler(void) { ++wraps; }

void tfs_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0; /* any write clears the counter; it reloads on the next tick */
  wraps = 0;
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CPU;
}

uint32_t tfs_counter_stop(void) {
  const uint32_t value = SYST_CVR;
  SYST_CSR = 0;
  /* The first tick after start loads RELOAD, so elapsed = wraps * 2^24 + (RELOAD - value) + 1,
   * except before that first tick (value still 0). */
  if (value == 0 && wraps == 0) {
    return 0;
  }
  return wraps * (SYST_RELOAD + 1u) + (SYST_RELOAD - value) + 1u;
}
#endif
