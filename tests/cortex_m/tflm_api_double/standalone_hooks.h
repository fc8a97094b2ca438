/* TEST DOUBLE helper: hook macros (TFS_HOOKS_HEADER) that make a generated standalone model's
 * tfs_model_invoke() run only op number tfs_double_selected_op, so that driver.cc can back the
 * double's builtins with tfsparse's own kernels (a plumbing check, not an oracle). */
#ifndef TFS_DOUBLE_STANDALONE_HOOKS_H_
#define TFS_DOUBLE_STANDALONE_HOOKS_H_

extern int tfs_double_selected_op;

#define TFS_BEFORE_OP(index, name) if (tfs_double_selected_op == (index)) {
#define TFS_AFTER_OP(index, name) }

#endif /* TFS_DOUBLE_STANDALONE_HOOKS_H_ */
