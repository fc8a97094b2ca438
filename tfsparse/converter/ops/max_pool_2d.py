"""MAX_POOL_2D int8: the largest input of each window (padding is never a candidate), clamped."""

from __future__ import annotations

import numpy as np

from ..ir import MaxPool2D
from . import register
from .average_pool_2d import emit_pool, parse_pool, pool_windows


def parse(ctx) -> MaxPool2D:
    return parse_pool(ctx, MaxPool2D)


def execute(op: MaxPool2D, model, x: np.ndarray) -> np.ndarray:
    patches = pool_windows(op, model, x.astype(np.int16), fill=-129)  # below every int8
    out = patches.max(axis=(3, 4))
    return np.clip(out, op.activation_min, op.activation_max).astype(np.int8)





register(["MAX_POOL_2D"], "MAX_POOL_2D", parse, execute, emit_pool("MAX_POOL_2D"))
