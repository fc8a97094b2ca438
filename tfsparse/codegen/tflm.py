"""TFLM sources for ``tfsparse.generate(..., tflm=True)``: model data, the custom op, an op resolver.

Renders ``templates/tflm/*.j2`` from one :class:`TflmContext` and copies the custom-op glue in
``firmware/tflm/`` into the project's ``tflm/`` directory; ``tflm.mk`` builds them when ``TFLM_DIR``
points to a tflite-micro checkout (``make tflm TFLM_DIR=...``).

Example:
    >>> files = tflm_files(sparse_model, project_ctx)   # doctest: +SKIP
    >>> sorted(files)[:2]                                # doctest: +SKIP
    ['tflm.mk', 'tflm/tfsparse_fully_connected.cc']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FirmwareError
from .env import environment
from .graph_ops import conv_2d_scratch_bytes
from .hostbuild import firmware_root

__all__ = ["TflmOp", "TflmContext", "tflm_ops", "tflm_files", "CUSTOM_OPS"]

#: tfsparse's custom ops: name -> (registration function, custom-name constant, glue header), all in
#: namespace tfsparse (firmware/tflm/).
CUSTOM_OPS = {
    "TFSPARSE_FULLY_CONNECTED": ("Register_TFSPARSE_FULLY_CONNECTED", "kFullyConnectedCustomName",
                                 "tfsparse_fully_connected.h"),
    "TFSPARSE_CONV_2D": ("Register_TFSPARSE_CONV_2D", "kConv2DCustomName", "tfsparse_conv_2d.h"),
}
#: Builtin op name -> the MicroMutableOpResolver method adding it, as tflite-micro's
#: tensorflow/lite/micro/micro_mutable_op_resolver.h declares them (every builtin it has an adder for).
_RESOLVER_CALLS = {
    "ABS": "AddAbs", "ADD": "AddAdd", "ADD_N": "AddAddN", "ARG_MAX": "AddArgMax", "ARG_MIN": "AddArgMin",
    "ASSIGN_VARIABLE": "AddAssignVariable", "AVERAGE_POOL_2D": "AddAveragePool2D", "BATCH_MATMUL": "AddBatchMatMul",
    "BATCH_TO_SPACE_ND": "AddBatchToSpaceNd", "BROADCAST_ARGS": "AddBroadcastArgs", "BROADCAST_TO": "AddBroadcastTo",
    "CALL_ONCE": "AddCallOnce", "CAST": "AddCast", "CEIL": "AddCeil", "CONCATENATION": "AddConcatenation",
    "CONV_2D": "AddConv2D", "COS": "AddCos", "CUMSUM": "AddCumSum", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D",
    "DEPTH_TO_SPACE": "AddDepthToSpace", "DEQUANTIZE": "AddDequantize", "DIV": "AddDiv",
    "DYNAMIC_UPDATE_SLICE": "AddDynamicUpdateSlice", "ELU": "AddElu", "EMBEDDING_LOOKUP": "AddEmbeddingLookup",
    "EQUAL": "AddEqual", "EXP": "AddExp", "EXPAND_DIMS": "AddExpandDims", "FILL": "AddFill", "FLOOR": "AddFloor",
    "FLOOR_DIV": "AddFloorDiv", "FLOOR_MOD": "AddFloorMod", "FULLY_CONNECTED": "AddFullyConnected",
    "GATHER": "AddGather", "GATHER_ND": "AddGatherNd", "GREATER": "AddGreater", "GREATER_EQUAL": "AddGreaterEqual",
    "HARD_SWISH": "AddHardSwish", "IF": "AddIf", "L2_NORMALIZATION": "AddL2Normalization", "L2_POOL_2D": "AddL2Pool2D",
    "LEAKY_RELU": "AddLeakyRelu", "LESS": "AddLess", "LESS_EQUAL": "AddLessEqual", "LOG": "AddLog",
    "LOGICAL_AND": "AddLogicalAnd", "LOGICAL_NOT": "AddLogicalNot", "LOGICAL_OR": "AddLogicalOr",
    "LOGISTIC": "AddLogistic", "LOG_SOFTMAX": "AddLogSoftmax", "MAXIMUM": "AddMaximum", "MAX_POOL_2D": "AddMaxPool2D",
    "MEAN": "AddMean", "MINIMUM": "AddMinimum", "MIRROR_PAD": "AddMirrorPad", "MUL": "AddMul", "NEG": "AddNeg",
    "NOT_EQUAL": "AddNotEqual", "PACK": "AddPack", "PAD": "AddPad", "PADV2": "AddPadV2", "PRELU": "AddPrelu",
    "QUANTIZE": "AddQuantize", "READ_VARIABLE": "AddReadVariable", "REDUCE_ALL": "AddReduceAll",
    "REDUCE_MAX": "AddReduceMax", "REDUCE_MIN": "AddReduceMin", "RELU": "AddRelu", "RELU6": "AddRelu6",
    "RESHAPE": "AddReshape", "RESIZE_BILINEAR": "AddResizeBilinear",
    "RESIZE_NEAREST_NEIGHBOR": "AddResizeNearestNeighbor", "REVERSE_V2": "AddReverseV2", "ROUND": "AddRound",
    "RSQRT": "AddRsqrt", "SELECT_V2": "AddSelectV2", "SHAPE": "AddShape", "SIN": "AddSin", "SLICE": "AddSlice",
    "SOFTMAX": "AddSoftmax", "SPACE_TO_BATCH_ND": "AddSpaceToBatchNd", "SPACE_TO_DEPTH": "AddSpaceToDepth",
    "SPLIT": "AddSplit", "SPLIT_V": "AddSplitV", "SQRT": "AddSqrt", "SQUARE": "AddSquare",
    "SQUARED_DIFFERENCE": "AddSquaredDifference", "SQUEEZE": "AddSqueeze", "STRIDED_SLICE": "AddStridedSlice",
    "SUB": "AddSub", "SUM": "AddSum", "SVDF": "AddSvdf", "TANH": "AddTanh", "TRANSPOSE": "AddTranspose",
    "TRANSPOSE_CONV": "AddTransposeConv", "UNIDIRECTIONAL_SEQUENCE_LSTM": "AddUnidirectionalSequenceLSTM",
    "UNPACK": "AddUnpack", "VAR_HANDLE": "AddVarHandle", "WHILE": "AddWhile", "ZEROS_LIKE": "AddZerosLike",
}
#: Besides the model files, whose names carry the model's prefix (Naming.tflm_files()).
_TEMPLATES = {"tflm.mk": "tflm/tflm.mk.j2"}


@dataclass(frozen=True)
class TflmOp:
    """An op the resolver must know: a builtin (``add_call``) or one of tfsparse's custom ops
    (``register_fn``, ``custom_name`` constant and ``header`` of its glue)."""

    name: str
    custom: bool
    add_call: str = ""
    register_fn: str = ""
    custom_name: str = ""
    header: str = ""

    @property
    def ident(self) -> str:
        return f"{self.name.lower()}_registration"


@dataclass(frozen=True)
class TflmContext:
    """Everything the ``templates/tflm`` templates see (banner fields as in the firmware context)."""

    version: str
    model_name: str
    source: str
    source_sha256: str
    target: object
    model_bytes: np.ndarray  # uint8, the to_tflite() flatbuffer
    ops: tuple  # of TflmOp, in first-use order
    activation_bytes: int
    naming: object  # the project's tfsparse.codegen.context.Naming
    arena_bytes: int  # tflm_arena_bytes() for 32-bit targets

    @property
    def model_size(self) -> int:
        return int(self.model_bytes.size)

    @property
    def headers(self) -> tuple:
        """Glue headers of the custom ops the model uses, sorted."""
        return tuple(sorted({op.header for op in self.ops if op.custom}))


def tflm_ops(tflite: bytes) -> tuple:
    """The distinct ops of a ``.tflite`` as :class:`TflmOp` records, in first-use order.

    Args:
        tflite: the flatbuffer bytes (e.g. ``SparseModel.to_tflite()``).

    Returns:
        A tuple of :class:`TflmOp`: builtins with their ``MicroMutableOpResolver`` method, and
        tfsparse's custom ops (``TFSPARSE_FULLY_CONNECTED``, ``TFSPARSE_CONV_2D``).

    Raises:
        FirmwareError: an op tfsparse cannot add to a resolver (named, with the supported set).
    """
    from ..converter.schema import enum_names, schema

    builtin_names = enum_names()[0]
    model = schema().Model.GetRootAs(tflite, 0)
    ops, seen = [], set()
    for g in range(model.SubgraphsLength()):
        sub = model.Subgraphs(g)
        for i in range(sub.OperatorsLength()):
            code = model.OperatorCodes(sub.Operators(i).OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = builtin_names.get(builtin, str(builtin))
            if name == "CUSTOM":
                name = (code.CustomCode() or b"").decode("utf-8", "replace")
            if name in seen:
                continue
            seen.add(name)
            if name in CUSTOM_OPS:
                register_fn, custom_name, header = CUSTOM_OPS[name]
                ops.append(TflmOp(name, custom=True, register_fn=register_fn, custom_name=custom_name, header=header))
            elif name in _RESOLVER_CALLS:
                ops.append(TflmOp(name, custom=False, add_call=_RESOLVER_CALLS[name]))
            elif builtin == 32:
                raise FirmwareError(f"custom op {name!r} (operator {i} of subgraph {g}) is not one of tfsparse's "
                                    f"({', '.join(CUSTOM_OPS)}); tfsparse cannot add it to the generated resolver. "
                                    "Register its kernel with AddCustom() in your application and drop it from the "
                                    "model given to generate, or remove the layer")
            else:
                raise FirmwareError(f"op {name!r} (operator {i} of subgraph {g}) has no adder in TFLM's "
                                    "MicroMutableOpResolver, so TFLM cannot run it; replace the layer")
    return tuple(ops)


def tflm_files(sparse_model, project_ctx) -> dict:
    """The TFLM files of a project: ``{relative path: text}`` to add to ``generate``'s output.

    Args:
        sparse_model: the :class:`tfsparse.SparseModel` being generated.
        project_ctx: the firmware's :class:`tfsparse.codegen.context.ProjectContext` (banner fields,
            target, arena size).

    Returns:
        ``tflm/`` sources (model data, op resolver, the custom op) and ``tflm.mk``.

    Raises:
        FirmwareError: the model uses an op tfsparse cannot register with TFLM.
    """
    tflite = sparse_model.to_tflite()
    ctx = TflmContext(
        version=project_ctx.version,
        model_name=project_ctx.model_name,
        source=project_ctx.source,
        source_sha256=project_ctx.source_sha256,
        target=project_ctx.target,
        model_bytes=np.frombuffer(tflite, dtype=np.uint8),
        ops=tflm_ops(tflite),
        activation_bytes=project_ctx.arena_size,
        naming=project_ctx.naming,
        arena_bytes=tflm_arena_bytes(tflite, 4),
    )
    env = environment()
    templates = {**ctx.naming.tflm_files(), **_TEMPLATES}
    files = {path: env.get_template(t).render(ctx=ctx) for path, t in templates.items()}
    glue = firmware_root() / "tflm"
    for path in sorted(glue.iterdir()):
        if path.suffix in (".cc", ".h"):
            files[f"tflm/{path.name}"] = path.read_text()
    return files


# ---------------------------------------------------------------------------------------------
# Arena size for TFLM's MicroInterpreter
# ---------------------------------------------------------------------------------------------

#: Sizes (bytes) of TFLM's allocator records under TF_LITE_STATIC_MEMORY, read off tflite-micro 90b983c
#: by the compiler: arm-none-eabi-g++ (Cortex-M, 4-byte pointers, short enums) and x86-64 g++ (8).
TFLM_SIZES = {
    4: dict(tensor=32, eval_tensor=12, node=32, quantization=12, scratch_request=12, allocation_info=24,
            allocators=36 + 44 + 16 + 32 + 8 + 8, handle=4, per_buffer=40, pointer=4),
    8: dict(tensor=64, eval_tensor=24, node=64, quantization=24, scratch_request=16, allocation_info=32,
            allocators=72 + 72 + 32 + 56 + 16 + 16, handle=8, per_buffer=40, pointer=8),
}
#: Upper bounds of what one op keeps in the persistent (tail) section: builtin params from the
#: flatbuffer, Init's op data and Prepare's allocations, plus bytes per output channel for kernels
#: that keep per-channel multipliers and shifts (the larger of the two pointer sizes; 8-byte slack).
_OP_PERSISTENT = {
    "CONV_2D": (112, 8), "DEPTHWISE_CONV_2D": (112, 8), "FULLY_CONNECTED": (96, 8), "SOFTMAX": (96, 0),
    "AVERAGE_POOL_2D": (80, 0), "MAX_POOL_2D": (80, 0), "ADD": (80, 0), "MEAN": (80, 0), "RESHAPE": (48, 0),
    "TFSPARSE_FULLY_CONNECTED": (96, 0), "TFSPARSE_CONV_2D": (192, 0),
}
_OP_PERSISTENT_DEFAULT = (128, 8)
_MAX_SCRATCH_PER_OP = 12  # TFLM's kMaxScratchBuffersPerOp
_ALIGN = 16  # MicroArenaBufferAlignment()


def _align(n: int, a: int = _ALIGN) -> int:
    return (n + a - 1) // a * a


def greedy_plan(buffers) -> int:
    """Arena bytes of TFLM's GreedyMemoryPlanner for ``buffers`` = [(aligned size, first op, last op)]:
    largest first (ties: the later-added buffer first, as its in-place sort leaves them), each at the
    lowest offset that no simultaneously live buffer occupies."""
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i][0], -i))
    placed = []  # (offset, size, first, last)
    for i in order:
        size, first, last = buffers[i]
        live = sorted((o, s) for o, s, f, l in placed if not (f > last or first > l))
        offset = 0
        for o, s in live:
            if o - offset >= size:
                break
            offset = max(offset, o + s)
        placed.append((offset, size, first, last))
    return max((o + s for o, s, _, _ in placed), default=0)


def tflm_arena_bytes(tflite: bytes, pointer_bytes: int = 4) -> int:
    """Tensor arena bytes that TFLM's ``MicroInterpreter::AllocateTensors`` needs for ``tflite``
    (an upper bound, derived from how tflite-micro's allocator uses the arena).

    TFLM's single arena holds a persistent tail (the allocator itself, one ``TfLiteEvalTensor`` per
    tensor, one node record per op, each op's params and op data, scratch-buffer handles, the input
    and output ``TfLiteTensor``) and a head whose use changes by phase: during each op's Prepare the
    scratch-buffer requests plus that op's *temporary* ``TfLiteTensor`` records (with their
    quantization) for every input and output it looks at -- 8 at once for tfsparse's CSR ops; while
    planning the allocation records and the greedy planner's bookkeeping; afterwards the planned
    activations and scratch buffers. ``arena_used_bytes()`` reports only the last, which is why it can
    be too small. The size is the tail plus the largest head, rounded up to 16 bytes.

    Args:
        tflite: the ``.tflite`` TFLM runs (``SparseModel.to_tflite()``).
        pointer_bytes: 4 for Cortex-M, 8 for a 64-bit host build of TFLM.
    """
    from flatbuffers import flexbuffers

    from ..converter.schema import enum_names, schema

    sz = TFLM_SIZES[pointer_bytes]
    builtin_names, type_names, _ = enum_names()
    model = schema().Model.GetRootAs(tflite, 0)
    sub = model.Subgraphs(0)
    n_tensors, n_ops = sub.TensorsLength(), sub.OperatorsLength()
    itemsize = {"INT8": 1, "UINT8": 1, "INT16": 2, "UINT16": 2, "INT32": 4, "UINT32": 4, "FLOAT32": 4, "INT64": 8}

    def constant(t) -> bool:
        buf = model.Buffers(sub.Tensors(t).Buffer())
        return buf is not None and buf.DataLength() > 0

    def nbytes(t) -> int:
        tensor = sub.Tensors(t)
        return int(np.prod(tensor.ShapeAsNumpy() if tensor.ShapeLength() else [], dtype=np.int64)) * itemsize.get(
            type_names[tensor.Type()], 4)

    def quant_bytes(t) -> int:  # a TfLiteTensor's TfLiteAffineQuantization and zero-point array
        q = sub.Tensors(t).Quantization()
        if q is None or q.ScaleLength() == 0 or q.ZeroPointLength() == 0:
            return 0
        return sz["quantization"] + 4 + 4 * q.ScaleLength() + 2 * sz["pointer"]  # + alignment

    first, last, scratch = {}, {}, []
    for t in sub.InputsAsNumpy():
        first[int(t)] = 0
    tail = sz["allocators"] + n_tensors * sz["eval_tensor"] + n_ops * sz["node"]
    temps = []
    for k in range(n_ops):
        op = sub.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = builtin_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "")
        if name == "CUSTOM":
            name = (code.CustomCode() or b"").decode()
        ins = [int(t) for t in op.InputsAsNumpy() if t >= 0]
        outs = [int(t) for t in op.OutputsAsNumpy()]
        for t in ins:
            if not constant(t):
                last[t] = k
        for t in outs:
            first.setdefault(t, k)
            last.setdefault(t, k)
        fixed, per_channel = _OP_PERSISTENT.get(name, _OP_PERSISTENT_DEFAULT)
        channels = int(sub.Tensors(outs[0]).ShapeAsNumpy()[-1]) if outs and sub.Tensors(outs[0]).ShapeLength() else 1
        tail += fixed + per_channel * channels
        temps.append(sum(sz["tensor"] + 8 + quant_bytes(t) for t in ins + outs))
        if name == "TFSPARSE_CONV_2D":  # the kernel's scratch request, taps = cols
            cols = int(flexbuffers.Loads(bytes(op.CustomOptionsAsNumpy()))["cols"])
            scratch.append((_align(conv_2d_scratch_bytes(cols)), k, k))
        if name == "TFSPARSE_FULLY_CONNECTED":  # the column form keeps rows int32 accumulators (persistent)
            options = flexbuffers.Loads(bytes(op.CustomOptionsAsNumpy()))
            tail += 4 * int(options["rows"]) if options.get("encoding") == "csc8" else 0
    for t in sub.OutputsAsNumpy():
        last[int(t)] = n_ops - 1
    tail += len(scratch) * sz["handle"]
    for t in list(sub.InputsAsNumpy()) + list(sub.OutputsAsNumpy()):  # persistent TfLiteTensor of each graph I/O
        tail += sz["pointer"] + sz["tensor"] + quant_bytes(int(t))
    buffers = [(_align(nbytes(t)), first[t], last.get(t, first[t])) for t in sorted(first)] + scratch
    requests = sz["scratch_request"] * (len(scratch) + _MAX_SCRATCH_PER_OP)
    planning = sz["allocation_info"] * (n_tensors + len(scratch)) + sz["per_buffer"] * len(buffers) + 2 * _ALIGN
    head = max(greedy_plan(buffers), requests + max(temps, default=0), requests + planning)
    return _align(tail + head + 4 * _ALIGN)  # each section's start and end are 16-byte aligned


def tflm_only_files(sparse_model, target, name=None) -> dict:
    """The files of a TFLM-only project, for a model with ops only TFLM can run (pass-through records):
    the TFLM sources, ``tflm.mk``, a Makefile whose ``tflm`` target builds them, and the kernels.

    Raises:
        ValueError: ``name`` cannot prefix C symbols.
        FirmwareError: an op TFLM's resolver cannot add (named).
    """
    from .. import __version__
    from .arena import plan_arena
    from .context import IOContext, ProjectContext, naming

    names = naming(name)
    plan = plan_arena(sparse_model)
    io = {}
    for role, index in (("input", sparse_model.input), ("output", sparse_model.output)):
        t = sparse_model.tensors[index]
        io[role] = IOContext(role, tuple(int(d) for d in t.shape), t.nbytes, 1.0, 0, plan.offsets.get(index, 0))
    ctx = ProjectContext(version=__version__, model_name=sparse_model.name, source=sparse_model.source or "<in memory>",
                         source_sha256=sparse_model.source_sha256 or "", target=target, ident="m", input=io["input"],
                         output=io["output"], ops=[], arena_size=plan.size, buffers=[], naming=names)
    files = tflm_files(sparse_model, ctx)
    passthrough = sorted({f"{op.op_name} ({op.name})" for op in sparse_model.ops if op.kind == "PASSTHROUGH"})
    files["Makefile"] = environment().get_template("tflm/Makefile.tflm.j2").render(ctx=ctx, passthrough=passthrough)
    kernels = firmware_root() / "kernels"
    for path in sorted(kernels.rglob("*")):
        if path.is_file() and path.suffix in (".c", ".h"):
            files[f"kernels/{path.relative_to(kernels).as_posix()}"] = path.read_bytes()
    return files
