// TEST DOUBLE of TFLM's tensorflow/lite/c/common.h: only what tfsparse's TFLM sources use.
#ifndef TFS_DOUBLE_TENSORFLOW_LITE_C_COMMON_H_
#define TFS_DOUBLE_TENSORFLOW_LITE_C_COMMON_H_

#include <stddef.h>
#include <stdint.h>

typedef enum TfLiteStatus { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;

// Values as in TFLite's c_api_types.h.
typedef enum {
  kTfLiteNoType = 0,
  kTfLiteFloat32 = 1,
  kTfLiteInt32 = 2,
  kTfLiteUInt8 = 3,
  kTfLiteInt64 = 4,
  kTfLiteInt16 = 7,
  kTfLiteInt8 = 9,
  kTfLiteUInt32 = 16,
  kTfLiteUInt16 = 17,
} TfLiteType;

typedef struct TfLiteIntArray {
  int size;
  int data[8];
} TfLiteIntArray;

typedef union TfLitePtrUnion {
  int32_t* i32;
  int8_t* int8;
  uint8_t* uint8;
  char* raw;
  const char* raw_const;
  void* data;
} TfLitePtrUnion;

typedef struct TfLiteTensor {
  TfLiteType type;
  TfLitePtrUnion data;
  TfLiteIntArray* dims;
  size_t bytes;
} TfLiteTensor;

typedef struct TfLiteEvalTensor {
  TfLitePtrUnion data;
  TfLiteIntArray* dims;
  TfLiteType type;
} TfLiteEvalTensor;

typedef struct TfLiteNode {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  void* user_data;
  void* builtin_data;
  const void* custom_initial_data;
  int custom_initial_data_size;
} TfLiteNode;

typedef struct TfLiteContext {
  void* impl_;
  void* (*AllocatePersistentBuffer)(struct TfLiteContext* ctx, size_t bytes);
  TfLiteEvalTensor* (*GetEvalTensor)(const struct TfLiteContext* context, int tensor_idx);
  void (*ReportError)(struct TfLiteContext*, const char* format, ...);
  TfLiteStatus (*RequestScratchBufferInArena)(struct TfLiteContext* ctx, size_t bytes, int* buffer_idx);
  void* (*GetScratchBuffer)(struct TfLiteContext* ctx, int buffer_idx);
} TfLiteContext;

const char* TfLiteTypeGetName(TfLiteType type);

#define TF_LITE_KERNEL_LOG(context, ...) (context)->ReportError((context), __VA_ARGS__)

#define TF_LITE_ENSURE_MSG(context, value, msg)                  \
  do {                                                           \
    if (!(value)) {                                              \
      TF_LITE_KERNEL_LOG((context), __FILE__ " " msg);           \
      return kTfLiteError;                                       \
    }                                                            \
  } while (0)

#define TF_LITE_ENSURE(context, a)                                                     \
  do {                                                                                 \
    if (!(a)) {                                                                        \
      TF_LITE_KERNEL_LOG((context), "%s:%d %s was not true.", __FILE__, __LINE__, #a); \
      return kTfLiteError;                                                             \
    }                                                                                  \
  } while (0)

#define TF_LITE_ENSURE_EQ(context, a, b)                                                             \
  do {                                                                                               \
    if ((a) != (b)) {                                                                                \
      TF_LITE_KERNEL_LOG((context), "%s:%d %s != %s (%d != %d)", __FILE__, __LINE__, #a, #b, (int)(a), \
                         (int)(b));                                                                  \
      return kTfLiteError;                                                                           \
    }                                                                                                \
  } while (0)

#define TF_LITE_ENSURE_OK(context, status) \
  do {                                     \
    const TfLiteStatus s_ = (status);      \
    if (s_ != kTfLiteOk) return s_;        \
  } while (0)

#endif  // TFS_DOUBLE_TENSORFLOW_LITE_C_COMMON_H_
