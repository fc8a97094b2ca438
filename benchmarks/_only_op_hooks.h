/* benchmarks/cnn.py: hook header (TFS_HOOKS_HEADER) that makes tfs_model_invoke() run only op
 * tfs_bench_only_op (patched into the ELF's .data per run), so one firmware run counts one op. */
#ifndef TFS_BENCH_ONLY_OP_HOOKS_H_
#define TFS_BENCH_ONLY_OP_HOOKS_H_

#include <stdint.h>

volatile int32_t tfs_bench_only_op = -1;

#define TFS_BEFORE_OP(index, name) if (tfs_bench_only_op < 0 || tfs_bench_only_op == (index)) {
#define TFS_AFTER_OP(index, name) }

#endif /* TFS_BENCH_ONLY_OP_HOOKS_H_ */
