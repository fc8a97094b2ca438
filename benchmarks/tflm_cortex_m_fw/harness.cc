// benchmarks/tflm_cortex_m.py's firmware: a tfsparse tflm=True project run by real TFLM (a Cortex-M
// build of tflite-micro) on QEMU. Prints over semihosting (newlib's rdimon):
//   hint <TFSPARSE_ARENA_BYTES>
//   run <arena> <status> <arena_used_bytes>        status: 0 ok, -1 AllocateTensors failed, -2 Invoke failed
//   out <i> <SysTick ticks of Invoke()> <output bytes as hex>
// The main run uses an arena of exactly the hint (and, when that fails, the whole 2 MiB buffer). The
// script finds the smallest arena by bisection, one QEMU run per probe with tfs_probe_arena and
// tfs_probe_inputs patched in the ELF: TFLM can fault instead of failing cleanly when the arena is too
// small, so a probe must not take the next one down with it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tfsparse_model_data.h"
#include "tfsparse_ops.h"
#include "tflm_cortex_m_inputs.h"  // kInputs[kNumInputs][kInputBytes], kOutputBytes (written by the script)
extern "C" {
#include "tfs_counter.h"
}

extern "C" {
// Patched by the script (.data): kMainRun, or one probe with this many bytes over tfs_probe_inputs inputs.
volatile uint32_t tfs_probe_arena = 0xFFFFFFFFu;
volatile int32_t tfs_probe_inputs = 1;
}

namespace {

constexpr uint32_t kMainRun = 0xFFFFFFFFu;
constexpr size_t kArenaMax = 2u << 20;
alignas(16) uint8_t g_arena[kArenaMax];

enum : int { kAllocateFailed = -1, kInvokeFailed = -2, kWrongShape = -3 };

// Runs inputs [0, count) with an arena of `arena` bytes (filled with 0xA5 first, as uninitialised RAM
// would be) and prints the outputs.
int Run(const tflite::MicroOpResolver& resolver, size_t arena, int count, size_t* used) {
  memset(g_arena, 0xA5, arena);
  tflite::MicroInterpreter interpreter(tflite::GetModel(tfsparse_model_data), resolver, g_arena, arena);
  if (interpreter.AllocateTensors() != kTfLiteOk) return kAllocateFailed;
  if (used != nullptr) *used = interpreter.arena_used_bytes();
  TfLiteTensor* input = interpreter.input(0);
  TfLiteTensor* output = interpreter.output(0);
  if (input->bytes != kInputBytes || output->bytes != kOutputBytes) return kWrongShape;
  for (int i = 0; i < count; ++i) {
    memcpy(input->data.int8, kInputs[i], kInputBytes);
    tfs_counter_start();
    const TfLiteStatus status = interpreter.Invoke();
    const uint32_t ticks = tfs_counter_stop();
    if (status != kTfLiteOk) return kInvokeFailed;
    printf("out %d %lu ", i, static_cast<unsigned long>(ticks));
    for (size_t k = 0; k < kOutputBytes; ++k) printf("%02x", static_cast<uint8_t>(output->data.int8[k]));
    printf("\n");
  }
  return 0;
}

void Report(const tflite::MicroOpResolver& resolver, size_t arena, int count, int* status) {
  size_t used = 0;
  *status = Run(resolver, arena, count, &used);
  printf("run %u %d %u\n", static_cast<unsigned>(arena), *status, static_cast<unsigned>(used));
}

}  // namespace

int main() {
  tflite::MicroMutableOpResolver<kTfsparseOpCount> resolver;
  if (TfsparseAddOps(resolver) != kTfLiteOk) {
    printf("error: TfsparseAddOps failed\n");
    return 1;
  }
  int status = 0;
  if (tfs_probe_arena != kMainRun) {
    Report(resolver, tfs_probe_arena, tfs_probe_inputs, &status);
    return 0;
  }
  printf("hint %u\n", static_cast<unsigned>(TFSPARSE_ARENA_BYTES));
  Report(resolver, TFSPARSE_ARENA_BYTES, kNumInputs, &status);
  if (status != 0) Report(resolver, kArenaMax, kNumInputs, &status);
  return status == 0 ? 0 : 1;
}

// --- bare-metal start-up: vector table, .data/.bss, FPU, newlib (rdimon) ---
extern "C" {
extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __stack_top__;
void __libc_init_array(void);
void initialise_monitor_handles(void);
void SysTick_Handler(void);
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void) {
  memcpy(&__data_start__, &__data_load__, static_cast<size_t>((char*)&__data_end__ - (char*)&__data_start__));
  memset(&__bss_start__, 0, static_cast<size_t>((char*)&__bss_end__ - (char*)&__bss_start__));
  *reinterpret_cast<volatile uint32_t*>(0xE000ED88u) |= (0xFu << 20);  // CPACR: FPU on
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

static void Fault_Handler(void) {
  printf("error: fault\n");
  exit(3);
}

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t g_vectors[16] = {
    reinterpret_cast<vector_t>(&__stack_top__), Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, nullptr, nullptr, nullptr, nullptr, Fault_Handler, Fault_Handler, nullptr,
    Fault_Handler, SysTick_Handler};
}
