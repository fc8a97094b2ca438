"""The render context: everything the templates see, built from a SparseModel and a Target.

One :class:`ProjectContext` per render; templates never see Keras, flatbuffers or NumPy dtypes
beyond plain arrays of integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .. import __version__
from ..converter.ir import CSRMatrix, DenseMatrix
from ..converter.ops.sparse_fully_connected import input_zero_point, kernel_bias
from ..errors import FirmwareError
from .arena import plan_arena
from .env import unique_identifiers
from .graph_ops import ALIASING_OPS, ENCODING_ENUM, GRAPH_OPS, fill_op_context
from .targets import Target

__all__ = ["CArray", "OpContext", "IOContext", "ProjectContext", "Naming", "naming", "build_context"]

_CTYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.uint16): "uint16_t",
           np.dtype(np.uint32): "uint32_t", np.dtype(np.int32): "int32_t"}
SUPPORTED_OPS = ("FULLY_CONNECTED", "RESHAPE", "SOFTMAX", "EXPAND_DIMS") + tuple(GRAPH_OPS)
#: TFS_SOFTMAX_MAX_DEPTH of firmware/kernels/tfs_softmax.h.
SOFTMAX_MAX_DEPTH = 511


_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_RESERVED_PREFIXES = ("tfs_", "tfsparse_", "tflite", "tfl_")


@dataclass(frozen=True)
class Naming:
    """The naming rule for every model-specific C symbol, file and include guard.

    ``generate(model, out, name=N)`` prefixes everything that belongs to one model with ``N`` so
    that two generated models link into one image; the shared kernels (``kernels/``, ``runtime/``,
    ``tflm/tfsparse_*.{h,cc}`` glue: ``tfs_fully_connected_eval``, ``TFS_ENC_*``,
    ``tfsparse::Register_TFSPARSE_*``...) carry no model prefix and are linked once. Without a name
    the prefixes are ``tfs`` (standalone) and ``tfsparse`` (TFLM), i.e. the names of a single-model
    project. With ``p = name or "tfs"``, ``t = name or "tfsparse"``, ``P``/``T`` upper case and
    ``Camel`` the CamelCase of ``t``:

    ==========================  ===========================================================
    standalone files            ``p_model.h``, ``p_model.c``, ``p_model_data.h``, ``p_model_data.c``
    standalone functions        ``p_model_prepare/invoke/input/output/op_name``
    standalone data             ``p_op_<op>`` (op params), ``p_arena``, ``p_op_names`` (the op's arrays
                                are ``static``: internal linkage, no prefix needed)
    standalone macros / guards  ``P_MODEL_*`` (``P_MODEL_INPUT_BYTES``...), ``P_MODEL_H_``, ``P_MODEL_DATA_H_``
    TFLM files                  ``tflm/t_model_data.h``, ``tflm/t_model_data.cc``, ``tflm/t_ops.h``,
                                ``tflm/libt_tflm.a``
    TFLM symbols                ``t_model_data``, ``t_model_data_size``, ``CamelAddOps()``,
                                ``kCamelOpCount``, ``T_ARENA_BYTES``, ``T_ACTIVATION_BYTES``
    TFLM guards                 ``T_MODEL_DATA_H_``, ``T_OPS_H_``
    ==========================  ===========================================================

    Every template symbol added later follows the rule: model-specific names start with
    ``ctx.naming.c`` / ``ctx.naming.C`` (standalone) or ``ctx.naming.t`` / ``T`` / ``camel`` (TFLM).
    """

    name: Optional[str] = None

    def __post_init__(self):
        n = self.name
        if n is None:
            return
        if not isinstance(n, str) or not _NAME_RE.match(n) or len(n) > 32:
            raise ValueError(f"model name {n!r} cannot prefix C symbols: use 1-32 lower-case letters, digits and "
                             "single underscores, starting with a letter (e.g. name='kws')")
        if n.startswith(_RESERVED_PREFIXES):
            raise ValueError(f"model name {n!r} starts with a prefix of tfsparse's shared kernels or of TFLM "
                             f"({', '.join(_RESERVED_PREFIXES)}); pick another, e.g. name='kws'")

    @property
    def c(self) -> str:
        """Prefix of the standalone project's model symbols and files (``tfs`` by default)."""
        return self.name or "tfs"

    @property
    def C(self) -> str:  # noqa: N802 - the upper-case form, for macros and guards
        return self.c.upper()

    @property
    def t(self) -> str:
        """Prefix of the TFLM sources' model symbols and files (``tfsparse`` by default)."""
        return self.name or "tfsparse"

    @property
    def T(self) -> str:  # noqa: N802
        return self.t.upper()

    @property
    def camel(self) -> str:
        """``t`` in CamelCase, for C++ function and constant names (``TfsparseAddOps``, ``kKwsOpCount``)."""
        return "".join(part.capitalize() for part in self.t.split("_"))

    def model_files(self) -> dict:
        """Standalone generated file name -> template."""
        return {f"{self.c}_model.h": "tfs_model.h.j2", f"{self.c}_model_data.h": "tfs_model_data.h.j2",
                f"{self.c}_model_data.c": "tfs_model_data.c.j2", f"{self.c}_model.c": "tfs_model.c.j2"}

    def tflm_files(self) -> dict:
        """TFLM generated file name (relative to the project) -> template."""
        return {f"tflm/{self.t}_model_data.h": "tflm/tfsparse_model_data.h.j2",
                f"tflm/{self.t}_model_data.cc": "tflm/tfsparse_model_data.cc.j2",
                f"tflm/{self.t}_ops.h": "tflm/tfsparse_ops.h.j2"}


def naming(name: Optional[str] = None) -> Naming:
    """The :class:`Naming` of a model named ``name`` (validated; ``None`` = single-model defaults).

    Raises:
        ValueError: ``name`` is not usable as a C prefix (says which characters are allowed).
    """
    return Naming(name)


@dataclass
class CArray:
    """A const array in flash."""

    name: str
    values: np.ndarray

    @property
    def ctype(self) -> str:
        return _CTYPES[self.values.dtype]

    @property
    def length(self) -> int:
        return max(int(self.values.size), 1)  # C forbids empty arrays; a zero-length one holds {0}

    @property
    def nbytes(self) -> int:
        return self.length * self.values.dtype.itemsize

    @property
    def per_line(self) -> int:
        return 16 if self.values.dtype.itemsize <= 2 else 8


@dataclass
class OpContext:
    index: int
    kind: str
    name: str
    ident: str
    input_offset: int
    output_offset: int
    arrays: list = field(default_factory=list)
    params_type: Optional[str] = None
    summary: str = ""
    fields: dict = field(default_factory=dict)

    def __getattr__(self, item):  # template access to kind-specific fields: op.rows, op.depth...
        fields = self.__dict__.get("fields", {})
        if item in fields:
            return fields[item]
        raise AttributeError(item)


@dataclass
class IOContext:
    role: str  # "input" | "output"
    shape: tuple
    nbytes: int
    scale: float
    zero_point: int
    offset: int


@dataclass
class ProjectContext:
    version: str
    model_name: str
    source: str
    source_sha256: str
    target: Target
    ident: str
    input: IOContext
    output: IOContext
    ops: list
    arena_size: int
    buffers: list
    naming: Naming = field(default_factory=Naming)
    # Set by generate() for the Makefile: the QEMU machine running the firmware ("none": no board) and the
    # ELF it runs (fw.elf, or fw_qemu.elf when a part is relinked at the board's addresses).
    qemu_machine: str = "none"
    qemu_elf: str = "fw.elf"
    # Names of the ADDs that run without their rescale tables so that the arena fits the RAM budget.
    add_tables_dropped: tuple = ()

    @property
    def flash_constants(self) -> int:
        """Bytes of const model data (arrays; the small op structs are not counted)."""
        return sum(a.nbytes for op in self.ops for a in op.arrays)


def _io(model, role, index, plan) -> IOContext:
    t = model.tensors[index]
    if t.dtype != "int8":
        raise FirmwareError(f"the model's {role} tensor {t.name!r} is {t.dtype}; tfsparse firmware needs int8 "
                            "input and output (quantize with tfsparse.quantize)")
    q = t.quantization
    scale = float(np.asarray(q.scale).reshape(-1)[0]) if q is not None else 1.0
    zp = int(np.asarray(q.zero_point).reshape(-1)[0]) if q is not None else 0
    return IOContext(role, tuple(int(d) for d in t.shape), t.nbytes, scale, zp, plan.offsets[index])


def _fc_context(op, ctx: OpContext, model) -> None:
    w = op.weights
    rows, cols = (int(d) for d in w.shape)
    i = ctx.ident
    arrays = []
    if isinstance(w, DenseMatrix):
        arrays.append(CArray(f"{i}_weights", np.ascontiguousarray(w.weights, dtype=np.int8)))
        values_name, row_ptr_name, indices_name, rp_bytes = f"{i}_weights", "NULL", "NULL", 0
        summary = f"{rows}x{cols} dense int8, {w.nbytes} bytes"
    elif isinstance(w, CSRMatrix):
        arrays += [CArray(f"{i}_values", w.values.astype(np.int8)), CArray(f"{i}_row_ptr", w.row_ptr),
                   CArray(f"{i}_indices", w.indices)]
        values_name, row_ptr_name, indices_name = f"{i}_values", f"{i}_row_ptr", f"{i}_indices"
        rp_bytes = int(w.row_ptr.dtype.itemsize)
        summary = (f"{rows}x{cols} {w.encoding}, {w.nnz} nonzeros "
                   f"({100.0 * w.nnz / max(rows * cols, 1):.1f}%), {w.nbytes} bytes vs {rows * cols} dense")
    else:
        raise FirmwareError(f"op {op.name!r}: unknown weight container {type(w).__name__}")
    if w.encoding not in ENCODING_ENUM:
        raise FirmwareError(f"op {op.name!r}: weight encoding {w.encoding!r} has no firmware kernel")
    for suffix, values in (("bias", kernel_bias(op, model)), ("multiplier", op.multiplier), ("shift", op.shift)):
        arr = np.asarray(values, dtype=np.int64).reshape(-1)
        if arr.size != rows:
            raise FirmwareError(f"op {op.name!r}: {suffix} has {arr.size} entries, expected one per row ({rows})")
        arrays.append(CArray(f"{i}_{suffix}", arr.astype(np.int32)))
    in_elems = int(np.prod(model.tensors[op.input].shape))
    if in_elems % cols:
        raise FirmwareError(f"op {op.name!r}: input of {in_elems} elements is not a multiple of {cols} columns")
    ctx.arrays = arrays
    ctx.params_type = "tfs_fc_params_t"
    ctx.summary = summary
    ctx.fields = dict(rows=rows, cols=cols, encoding=w.encoding, encoding_enum=ENCODING_ENUM[w.encoding],
                      values_name=values_name, row_ptr_name=row_ptr_name, indices_name=indices_name, row_ptr_bytes=rp_bytes,
                      output_zero_point=int(op.output_zero_point), activation_min=int(op.activation_min),
                      activation_max=int(op.activation_max), batches=in_elems // cols,
                      input_zero_point=input_zero_point(op, model), scratch_offset=None)


def build_context(model, target: Target, plan=None, name: Optional[str] = None,
                  arena_budget: Optional[int] = None) -> ProjectContext:
    """The :class:`ProjectContext` of ``model`` for ``target`` (plans the arena unless given a plan).

    ``name`` prefixes every model-specific C symbol and file (see :class:`Naming`). ``arena_budget``:
    bytes of RAM the arena may take; over it the planner drops ADD rescale tables (``plan_arena``).

    Raises:
        FirmwareError: an op kind, encoding or dtype the firmware has no kernel for (names the op).
    """
    names = naming(name)
    unsupported = [f"{op.name!r} ({getattr(op, 'op_name', op.kind)})" for op in model.ops if op.kind not in SUPPORTED_OPS]
    if unsupported:
        raise FirmwareError(f"the standalone firmware has no kernel for op(s) {', '.join(unsupported)}; it supports "
                            f"{', '.join(SUPPORTED_OPS)}. Run such a model through TFLM instead: "
                            "generate(..., tflm=True)")
    plan = plan or plan_arena(model, budget=arena_budget)
    idents = unique_identifiers([op.name for op in model.ops])
    ops = []
    for index, (op, ident) in enumerate(zip(model.ops, idents)):
        ctx = OpContext(index, op.kind, op.name, ident, plan.offsets[op.inputs[0]], plan.offsets[op.output])
        if op.kind in GRAPH_OPS:
            fill_op_context(op, ctx, model, plan, CArray)
        elif op.kind == "FULLY_CONNECTED":
            _fc_context(op, ctx, model)
            ctx.fields["scratch_offset"] = plan.scratch.get(index)
        elif op.kind == "SOFTMAX":
            shape = model.tensors[op.input].shape
            depth = int(shape[-1])
            if depth > SOFTMAX_MAX_DEPTH:
                raise FirmwareError(f"op {op.name!r}: SOFTMAX over {depth} classes; the int8 kernel handles at most "
                                    f"{SOFTMAX_MAX_DEPTH} (TFLM's rounding shift overflows beyond), so end the "
                                    "model with logits and take the argmax instead")
            ctx.params_type = "tfs_softmax_params_t"
            ctx.fields = dict(outer=int(np.prod(shape)) // depth, depth=depth,
                              input_multiplier=int(op.input_multiplier), input_left_shift=int(op.input_left_shift),
                              diff_min=int(op.diff_min))
        else:  # RESHAPE, EXPAND_DIMS (ALIASING_OPS)
            assert op.kind in ALIASING_OPS
            ctx.fields = dict(nbytes=model.tensors[op.output].nbytes)
        ops.append(ctx)
    buffers = [dict(index=t, name=model.tensors[t].name, offset=off, nbytes=model.tensors[t].nbytes,
                    alias_of=plan.aliases.get(t)) for t, off in sorted(plan.offsets.items(), key=lambda kv: (kv[1], kv[0]))]
    return ProjectContext(
        version=__version__, model_name=model.name, source=model.source or "<in memory>",
        source_sha256=model.source_sha256 or "", target=target, ident=unique_identifiers([model.name], "m_")[0],
        input=_io(model, "input", model.input, plan), output=_io(model, "output", model.output, plan), ops=ops,
        arena_size=plan.size, buffers=buffers, naming=names,
        add_tables_dropped=tuple(model.ops[i].name for i in plan.dropped),
    )
