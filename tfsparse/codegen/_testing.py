"""Hand-built SparseModels for tests of the generator and the firmware (no TensorFlow needed).

Layers use every encoding with TFLM-like quantization (Q31 multipliers in [2^30, 2^31), negative
shifts), optional RESHAPE and SOFTMAX ops, so the firmware can be checked without the converter.
"""

from __future__ import annotations

import numpy as np

from ..converter import csr
from ..converter.ir import FullyConnected, Quantization, Reshape, Softmax, Tensor
from ..converter.model import SparseModel

__all__ = ["random_fc_model"]


def _q(scale, zp):
    return Quantization(np.array([scale], dtype=np.float64), np.array([zp], dtype=np.int64))


def random_fc_model(sizes, encodings, *, density=0.1, seed=0, reshape_input=None, softmax=False,
                    name="random_mlp", relu=True) -> SparseModel:
    """A chain of fully-connected layers ``sizes[0] -> sizes[1] -> ...``, one encoding per layer.

    Args:
        sizes: units per layer boundary, e.g. ``(784, 300, 100, 10)``.
        encodings: one encoding name per layer.
        density: fraction of nonzero weights.
        seed: NumPy seed.
        reshape_input: if given, the graph input has this shape and a RESHAPE flattens it.
        softmax: end with SOFTMAX (TFLM parameters for beta 1 and an input scale of 1/16).
        relu: ReLU on all but the last layer.
    """
    rng = np.random.default_rng(seed)
    tensors, ops = [], []

    def add(name, shape, scale, zp):
        tensors.append(Tensor(len(tensors), name, tuple(shape), "int8", _q(scale, zp)))
        return len(tensors) - 1

    first = add("input", reshape_input or (1, sizes[0]), 1 / 255, -128)
    cur = first
    if reshape_input:
        flat = add("flat", (1, sizes[0]), 1 / 255, -128)
        ops.append(Reshape("flatten", cur, flat))
        cur = flat
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
        w[rng.random((n_out, n_in)) >= density] = 0
        w[rng.integers(0, n_out)] = 0  # an all-zero row
        last = k == len(sizes) - 2
        out = add(f"dense_{k}/out", (1, n_out), 0.05, 0 if last else -128)
        bias = rng.integers(-3000, 3000, n_out).astype(np.int32)
        folded = (bias - 128 * -1 * w.astype(np.int64).sum(axis=1)).astype(np.int32)
        mult = rng.integers(1 << 30, (1 << 31) - 1, n_out).astype(np.int32)
        shift = rng.integers(-12, -6, n_out).astype(np.int32)
        act_lo = -128 if (last or not relu) else -128
        ops.append(FullyConnected(f"model/dense_{k}/MatMul", cur, out, csr.encode(w, encodings[k]), folded, mult,
                                  shift, -128 if not last else 0, act_lo, 127, "RELU" if relu and not last else "NONE",
                                  original_bias=bias))
        cur = out
    if softmax:
        probs = add("probs", (1, sizes[-1]), 1 / 256, -128)
        # beta = 1, input scale 0.05: TFLM PreprocessSoftmaxScaling(1.0, 0.05, 5) and diff_min.
        ops.append(Softmax("softmax", cur, probs, 1.0, 1717986918, 26, -248))
        cur = probs
    return SparseModel(name, tensors, ops, first, cur, source="<random>", source_sha256="")
