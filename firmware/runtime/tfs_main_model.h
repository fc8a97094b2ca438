/* tfsparse: which generated model an entry point runs (firmware/runtime/main.c, the host test main).
 *
 * The model is the one whose name prefix (generate(..., name=...), see tfsparse/codegen/context.py)
 * the build passes: -DTFS_MAIN_PREFIX=kws -DTFS_MAIN_PREFIX_UPPER=KWS -DTFS_MAIN_HEADER='"kws_model.h"'
 * selects kws_model_invoke(); without them, tfs_model_invoke(). */
#ifndef TFS_MAIN_MODEL_H_
#define TFS_MAIN_MODEL_H_

#ifndef TFS_MAIN_PREFIX
#define TFS_MAIN_PREFIX tfs
#define TFS_MAIN_PREFIX_UPPER TFS
#define TFS_MAIN_HEADER "tfs_model.h"
#endif
#include TFS_MAIN_HEADER

#define TFS_MAIN_PASTE(a, b) a##b
#define TFS_MAIN_CAT(a, b) TFS_MAIN_PASTE(a, b)
/* MODEL(invoke) -> kws_model_invoke, MODEL_CONST(INPUT_BYTES) -> KWS_MODEL_INPUT_BYTES */
#define MODEL(fn) TFS_MAIN_CAT(TFS_MAIN_CAT(TFS_MAIN_PREFIX, _model_), fn)
#define MODEL_CONST(name) TFS_MAIN_CAT(TFS_MAIN_CAT(TFS_MAIN_PREFIX_UPPER, _MODEL_), name)

#endif /* TFS_MAIN_MODEL_H_ */
