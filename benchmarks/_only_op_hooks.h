/* benchmarks/cnn.py: hook header (TFS_HOOKS_HEADER) that makes tfs_model_invoke() run only op
 * tfs_bench_only_op (patched into the ELF's .data per run), so one firmware run counts one op.
 * Each op's hooks also record where they are: the address of a label right after TFS_BEFORE_OP's
 * test and right before TFS_AFTER_OP's closing brace, with the op index and 0 (before) or 1 (after),
 * in the non-allocated ELF section .debug_tfs_bench_hooks (not loaded; a .debug_* name, so
 * --gc-sections keeps it); benchmarks/_insn_split.py counts the instructions executed between the
 * two, per PC, with a QEMU plugin. */
#ifndef TFS_BENCH_ONLY_OP_HOOKS_H_
#define TFS_BENCH_ONLY_OP_HOOKS_H_

#include <stdint.h>

volatile int32_t tfs_bench_only_op = -1;

#define TFS_BENCH_HOOK_LABEL(index, side)                                                           \
  __asm__ volatile("93:\n\t.pushsection .debug_tfs_bench_hooks, \"\"\n\t.word 93b, %c0, %c1\n\t.popsection" \
                   : : "i"(index), "i"(side) : "memory")
#define TFS_BEFORE_OP(index, name) if (tfs_bench_only_op < 0 || tfs_bench_only_op == (index)) { TFS_BENCH_HOOK_LABEL(index, 0);
#define TFS_AFTER_OP(index, name) TFS_BENCH_HOOK_LABEL(index, 1); }

#endif /* TFS_BENCH_ONLY_OP_HOOKS_H_ */
