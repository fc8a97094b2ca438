// benchmarks/tflm_cortex_m.py's firmware: a tfsparse tflm=True project run by real TFLM (a Cortex-M
// build of tflite-micro) on QEMU. Prints over semihosting (newlib's rdimon):
//   hint <TFSPARSE_ARENA_BYTES>
//   run <arena> <status> <arena_used_bytes>        status: 0 ok, -1 AllocateTensors failed, -2 Invoke failed
//   out <i> <SysTick ticks of Invoke()> <output bytes as hex>
//   min_arena <bytes> <mismatching inputs at that size, all N against the first good run>
// The smallest arena is found by bisection: AllocateTensors succeeds and the first input's output
// equals the one of the first good run; the result is then checked on every input.
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

namespace {

constexpr size_t kArenaMax = 2u << 20;
alignas(16) uint8_t g_arena[kArenaMax];
int8_t g_reference[kNumInputs][kOutputBytes];

enum : int { kAllocateFailed = -1, kInvokeFailed = -2, kWrongShape = -3 };

// Runs inputs [0, count) with an arena of `arena` bytes (filled with 0xA5 first). Records the outputs as
// the reference (record) or returns how many differ from it; prints them (print).
int Run(const tflite::MicroOpResolver& resolver, size_t arena, int count, bool record, bool print,
        size_t* used) {
  memset(g_arena, 0xA5, arena);
  tflite::MicroInterpreter interpreter(tflite::GetModel(tfsparse_model_data), resolver, g_arena, arena);
  if (interpreter.AllocateTensors() != kTfLiteOk) return kAllocateFailed;
  if (used != nullptr) *used = interpreter.arena_used_bytes();
  TfLiteTensor* input = interpreter.input(0);
  TfLiteTensor* output = interpreter.output(0);
  if (input->bytes != kInputBytes || output->bytes != kOutputBytes) return kWrongShape;
  int mismatches = 0;
  for (int i = 0; i < count; ++i) {
    memcpy(input->data.int8, kInputs[i], kInputBytes);
    tfs_counter_start();
    const TfLiteStatus status = interpreter.Invoke();
    const uint32_t ticks = tfs_counter_stop();
    if (status != kTfLiteOk) return kInvokeFailed;
    if (record) {
      memcpy(g_reference[i], output->data.int8, kOutputBytes);
    } else if (memcmp(g_reference[i], output->data.int8, kOutputBytes) != 0) {
      ++mismatches;
    }
    if (print) {
      printf("out %d %lu ", i, static_cast<unsigned long>(ticks));
      for (size_t k = 0; k < kOutputBytes; ++k) printf("%02x", static_cast<uint8_t>(output->data.int8[k]));
      printf("\n");
    }
  }
  return mismatches;
}

}  // namespace

int main() {
  tflite::MicroMutableOpResolver<kTfsparseOpCount> resolver;
  if (TfsparseAddOps(resolver) != kTfLiteOk) {
    printf("error: TfsparseAddOps failed\n");
    return 1;
  }
  printf("hint %u\n", static_cast<unsigned>(TFSPARSE_ARENA_BYTES));
  size_t used = 0;
  size_t good = TFSPARSE_ARENA_BYTES;
  int status = Run(resolver, good, kNumInputs, true, true, &used);
  printf("run %u %d %u\n", static_cast<unsigned>(good), status, static_cast<unsigned>(used));
  if (status != 0) {
    good = kArenaMax;
    status = Run(resolver, good, kNumInputs, true, true, &used);
    printf("run %u %d %u\n", static_cast<unsigned>(good), status, static_cast<unsigned>(used));
    if (status != 0) return 1;
  }
  size_t lo = 0, hi = good;  // Run(lo) fails, Run(hi) works
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (Run(resolver, mid, 1, false, false, nullptr) == 0) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  printf("min_arena %u %d\n", static_cast<unsigned>(hi), Run(resolver, hi, kNumInputs, false, false, nullptr));
  return 0;
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
