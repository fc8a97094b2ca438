// TEST DOUBLE driver: runs a graph the way TFLM's interpreter drives kernels (Init with the custom
// options, Prepare with temp tensors from the MicroContext, then Invoke per sample), with the ops
// looked up in a resolver filled by the generated TfsparseAddOps().
//
//   tflm_driver GRAPH_FILE OUTPUTS_FILE MODEL_DATA_DUMP [GRAPH_FILE OUTPUTS_FILE MODEL_DATA_DUMP ...]
//
// One triple per model linked in: by default the single model of tfsparse_model_data.h /
// tfsparse_ops.h; several prefixed models (generate(..., name=...)) with
//   -DTFS_DRIVER_MODELS='X(kws, Kws) X(ad, Ad)' -include kws_model_data.h -include kws_ops.h ...
// each run with its own resolver, in that order.
//
// GRAPH_FILE (little-endian int32 fields, written by tests/cortex_m/_tflm_graph.py):
//   n_tensors, per tensor: type ndims dims[ndims] nbytes has_data [bytes]
//   n_ops, per op: name_len name n_inputs inputs[] n_outputs outputs[] options_len options
//   graph_input graph_output n_samples, then n_samples input tensors
// OUTPUTS_FILE receives the graph output of each sample; MODEL_DATA_DUMP the bytes of the generated
// tfsparse_model_data array.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tfs_fully_connected.h"

#ifndef TFS_DRIVER_MODELS
#include "tfsparse_model_data.h"
#include "tfsparse_ops.h"
#define TFS_DRIVER_MODELS X(tfsparse, Tfsparse)
#endif

namespace {

FILE* g_in;

[[noreturn]] void Die(const char* what) {
  fprintf(stderr, "tflm_driver: %s\n", what);
  exit(2);
}

int32_t ReadI32() {
  uint8_t b[4];
  if (fread(b, 1, 4, g_in) != 4) Die("truncated graph file");
  return static_cast<int32_t>(b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24));
}

// Exactly-sized heap blocks so AddressSanitizer catches any out-of-bounds access.
void* ReadBlock(int32_t n) {
  if (n == 0) return nullptr;
  void* p = malloc(static_cast<size_t>(n));
  if (p == nullptr || fread(p, 1, static_cast<size_t>(n), g_in) != static_cast<size_t>(n)) Die("bad block");
  return p;
}

TfLiteIntArray* NewIntArray(int size) {
  if (size > 8) Die("too many dims or tensors for the double");
  TfLiteIntArray* a = static_cast<TfLiteIntArray*>(calloc(1, sizeof(TfLiteIntArray)));
  a->size = size;
  return a;
}

struct Graph {
  std::vector<TfLiteTensor> tensors;
  std::vector<TfLiteEvalTensor> eval;
};
Graph g_graph;  // the graph being run (one model at a time)

class DoubleMicroContext : public tflite::MicroContext {
 public:
  void* AllocatePersistentBuffer(size_t bytes) override { return calloc(1, bytes); }
  TfLiteTensor* AllocateTempInputTensor(const TfLiteNode* node, int index) override {
    return Temp(node->inputs->data[index]);
  }
  TfLiteTensor* AllocateTempOutputTensor(const TfLiteNode* node, int index) override {
    return Temp(node->outputs->data[index]);
  }
  void DeallocateTempTfLiteTensor(TfLiteTensor* tensor) override {
    --outstanding;
    free(tensor);
  }
  int outstanding = 0;

 private:
  TfLiteTensor* Temp(int tensor) {
    if (tensor < 0) return nullptr;
    TfLiteTensor* t = static_cast<TfLiteTensor*>(malloc(sizeof(TfLiteTensor)));
    *t = g_graph.tensors[static_cast<size_t>(tensor)];
    ++outstanding;
    return t;
  }
};

DoubleMicroContext g_micro_context;

void* AllocatePersistent(TfLiteContext* ctx, size_t bytes) {
  return static_cast<DoubleMicroContext*>(tflite::GetMicroContext(ctx))->AllocatePersistentBuffer(bytes);
}

TfLiteEvalTensor* GetEvalTensor(const TfLiteContext*, int index) { return &g_graph.eval[static_cast<size_t>(index)]; }

void ReportError(TfLiteContext*, const char* format, ...) { fprintf(stderr, "TF_LITE_ENSURE: %s\n", format); }

// Runs one model: files[0] graph, files[1] outputs, files[2] dump of the model data array.
template <unsigned int tOpCount, typename AddOps>
int RunModel(AddOps add_ops, const unsigned char* model_data, unsigned int model_data_size, char** files) {
  g_graph = Graph();
  g_in = fopen(files[0], "rb");
  FILE* out = fopen(files[1], "wb");
  FILE* dump = fopen(files[2], "wb");
  if (g_in == nullptr || out == nullptr || dump == nullptr) Die("cannot open files");
  fwrite(model_data, 1, model_data_size, dump);
  fclose(dump);
  const int32_t n_tensors = ReadI32();
  g_graph.tensors.resize(static_cast<size_t>(n_tensors));
  g_graph.eval.resize(static_cast<size_t>(n_tensors));
  for (int32_t i = 0; i < n_tensors; ++i) {
    TfLiteTensor& t = g_graph.tensors[static_cast<size_t>(i)];
    t.type = static_cast<TfLiteType>(ReadI32());
    t.dims = NewIntArray(ReadI32());
    for (int d = 0; d < t.dims->size; ++d) t.dims->data[d] = ReadI32();
    const int32_t nbytes = ReadI32();
    t.bytes = static_cast<size_t>(nbytes);
    t.data.data = ReadI32() ? ReadBlock(nbytes) : calloc(1, static_cast<size_t>(nbytes) + 1);
    g_graph.eval[static_cast<size_t>(i)] = TfLiteEvalTensor{t.data, t.dims, t.type};
  }

  TfLiteContext context = {};
  context.impl_ = &g_micro_context;
  context.AllocatePersistentBuffer = AllocatePersistent;
  context.GetEvalTensor = GetEvalTensor;
  context.ReportError = ReportError;

  static tflite::MicroMutableOpResolver<tOpCount> resolver;
  if (add_ops(resolver) != kTfLiteOk) Die("the generated AddOps failed");
  if (resolver.GetRegistrationLength() != tOpCount) Die("the generated AddOps added a wrong number of ops");

  const int32_t n_ops = ReadI32();
  std::vector<const TFLMRegistration*> regs;
  std::vector<TfLiteNode> nodes(static_cast<size_t>(n_ops));
  for (int32_t k = 0; k < n_ops; ++k) {
    const int32_t name_len = ReadI32();
    char* name = static_cast<char*>(calloc(1, static_cast<size_t>(name_len) + 1));
    if (name_len > 0 && fread(name, 1, static_cast<size_t>(name_len), g_in) != static_cast<size_t>(name_len)) {
      Die("truncated op name");
    }
    const TFLMRegistration* reg = resolver.FindOp(name);
    if (reg == nullptr) {
      fprintf(stderr, "tflm_driver: op %s was not added by the generated AddOps\n", name);
      return 3;
    }
    TfLiteNode& node = nodes[static_cast<size_t>(k)];
    node.inputs = NewIntArray(ReadI32());
    for (int i = 0; i < node.inputs->size; ++i) node.inputs->data[i] = ReadI32();
    node.outputs = NewIntArray(ReadI32());
    for (int i = 0; i < node.outputs->size; ++i) node.outputs->data[i] = ReadI32();
    const int32_t options_len = ReadI32();
    char* options = static_cast<char*>(ReadBlock(options_len));
    node.user_data = reg->init ? reg->init(&context, options, static_cast<size_t>(options_len)) : nullptr;
    if (reg->prepare(&context, &node) != kTfLiteOk) {
      fprintf(stderr, "tflm_driver: Prepare of op %d (%s) failed\n", static_cast<int>(k), name);
      return 4;
    }
    if (g_micro_context.outstanding != 0) Die("Prepare did not deallocate its temp tensors");
    regs.push_back(reg);
  }
  const int32_t graph_input = ReadI32(), graph_output = ReadI32(), n_samples = ReadI32();
  const TfLiteTensor& in = g_graph.tensors[static_cast<size_t>(graph_input)];
  const TfLiteTensor& res = g_graph.tensors[static_cast<size_t>(graph_output)];
  for (int32_t s = 0; s < n_samples; ++s) {
    if (fread(in.data.data, 1, in.bytes, g_in) != in.bytes) Die("truncated samples");
    for (int32_t k = 0; k < n_ops; ++k) {
      if (regs[static_cast<size_t>(k)]->invoke(&context, &nodes[static_cast<size_t>(k)]) != kTfLiteOk) {
        fprintf(stderr, "tflm_driver: Eval of op %d failed\n", static_cast<int>(k));
        return 5;
      }
    }
    fwrite(res.data.data, 1, res.bytes, out);
  }
  fclose(out);
  fclose(g_in);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int model = 0;
#define X(prefix, Camel)                                                                                    \
  if (argc < 4 + 3 * model) Die("usage: tflm_driver (GRAPH_FILE OUTPUTS_FILE MODEL_DATA_DUMP) per model"); \
  if (const int status = RunModel<k##Camel##OpCount>(                                                       \
          [](tflite::MicroMutableOpResolver<k##Camel##OpCount>& r) { return Camel##AddOps(r); },           \
          prefix##_model_data, prefix##_model_data_size, argv + 1 + 3 * model)) {                          \
    return status;                                                                                          \
  }                                                                                                         \
  ++model;
  TFS_DRIVER_MODELS
#undef X
  if (argc != 1 + 3 * model) Die("usage: tflm_driver (GRAPH_FILE OUTPUTS_FILE MODEL_DATA_DUMP) per model");
  printf("%s\n", tfs_fully_connected_impl());
  return 0;
}
