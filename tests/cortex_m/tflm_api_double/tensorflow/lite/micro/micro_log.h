// TEST DOUBLE of TFLM's tensorflow/lite/micro/micro_log.h.
#ifndef TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
#define TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_

void MicroPrintf(const char* format, ...);

#endif  // TFS_DOUBLE_TENSORFLOW_LITE_MICRO_MICRO_LOG_H_
