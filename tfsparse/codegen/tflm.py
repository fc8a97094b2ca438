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
from .hostbuild import firmware_root

__all__ = ["TflmOp", "TflmContext", "tflm_ops", "tflm_files", "CUSTOM_OP"]

CUSTOM_OP = "TFSPARSE_FULLY_CONNECTED"
#: Builtin op name -> MicroMutableOpResolver method adding it.
_RESOLVER_CALLS = {
    "FULLY_CONNECTED": "AddFullyConnected",
    "RESHAPE": "AddReshape",
    "SOFTMAX": "AddSoftmax",
    "QUANTIZE": "AddQuantize",
    "DEQUANTIZE": "AddDequantize",
}
#: Besides the model files, whose names carry the model's prefix (Naming.tflm_files()).
_TEMPLATES = {"tflm.mk": "tflm/tflm.mk.j2"}


@dataclass(frozen=True)
class TflmOp:
    """An op the resolver must know: a builtin (``add_call``) or tfsparse's custom op."""

    name: str
    custom: bool
    add_call: str = ""

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

    @property
    def model_size(self) -> int:
        return int(self.model_bytes.size)


def tflm_ops(tflite: bytes) -> tuple:
    """The distinct ops of a ``.tflite`` as :class:`TflmOp` records, in first-use order.

    Args:
        tflite: the flatbuffer bytes (e.g. ``SparseModel.to_tflite()``).

    Returns:
        A tuple of :class:`TflmOp`: builtins with their ``MicroMutableOpResolver`` method, and
        ``TFSPARSE_FULLY_CONNECTED`` as the custom op.

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
            if name == CUSTOM_OP:
                ops.append(TflmOp(name, custom=True))
            elif name in _RESOLVER_CALLS:
                ops.append(TflmOp(name, custom=False, add_call=_RESOLVER_CALLS[name]))
            else:
                supported = ", ".join([CUSTOM_OP, *_RESOLVER_CALLS])
                raise FirmwareError(f"op {name!r} (operator {i} of subgraph {g}) has no TFLM resolver entry in "
                                    f"tfsparse; supported: {supported}")
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
    )
    env = environment()
    templates = {**ctx.naming.tflm_files(), **_TEMPLATES}
    files = {path: env.get_template(t).render(ctx=ctx) for path, t in templates.items()}
    glue = firmware_root() / "tflm"
    for path in sorted(glue.iterdir()):
        if path.suffix in (".cc", ".h"):
            files[f"tflm/{path.name}"] = path.read_text()
    return files
