"""Random convolutional, branched SparseModels built from IR records (no TensorFlow), for checking the
generated C of every graph op against ``SparseModel.predict``.

One model chains every op kind with random geometry (kernel sizes, strides, dilations, SAME/VALID,
depth multipliers, channel counts that are and are not multiples of 4), random weight encodings and
densities, TFLM-like requantization (Q31 multipliers, shifts scaled to the accumulator range) and a
residual branch (ADD) plus a CONCATENATION, so the arena planner sees tensors read by several ops.
"""

from __future__ import annotations

import math

import numpy as np

from ..converter import csr
from ..converter.ir import (Add, AveragePool2D, Concatenation, Conv2D, DenseMatrix, DepthwiseConv2D,
                                   ExpandDims, Logistic, MaxPool2D, Mean, Pad, Quantization, Quantize, Tensor)
from ..converter.model import SparseModel

__all__ = ["random_graph", "ENCODINGS"]

ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "rel8", "rel4", "blk8", "dense")


def out_size(size, k, stride, dilation, padding):
    """(output size, padding before) as TFLite's SAME / VALID give them."""
    eff = (k - 1) * dilation + 1
    out = (size + stride - 1) // stride if padding == "SAME" else (size - eff + stride) // stride
    total = max(0, (out - 1) * stride + eff - size)
    return out, total // 2, total % 2


class _Builder:
    def __init__(self, rng):
        self.rng = rng
        self.tensors, self.ops = [], []

    def tensor(self, name, shape, zp=None):
        zp = int(self.rng.integers(-20, 20)) if zp is None else zp
        q = Quantization(np.array([0.05]), np.array([zp], np.int64))
        self.tensors.append(Tensor(len(self.tensors), name, tuple(int(d) for d in shape), "int8", q))
        return len(self.tensors) - 1

    def shape(self, t):
        return self.tensors[t].shape

    def zp(self, t):
        return int(self.tensors[t].quantization.zero_point[0])

    def requant(self, rows, taps):
        """Multipliers and shifts that map an accumulator of ``taps`` int8 products to about +-60."""
        mult = self.rng.integers(1 << 30, (1 << 31) - 1, rows).astype(np.int32)
        spread = math.log2(max(taps, 1) ** 0.5 * 127 * 74)
        shift = np.full(rows, -int(round(spread - 6)), np.int32) + self.rng.integers(-1, 2, rows).astype(np.int32)
        return mult, np.clip(shift, -31, 0).astype(np.int32)

    def activation(self):
        kind = self.rng.integers(0, 3)
        return {0: (-128, 127), 1: (int(self.rng.integers(-128, -20)), 127), 2: (-128, int(self.rng.integers(20, 127)))}[
            int(kind)]

    def window(self, t, k, stride, dilation, padding):
        _, h, w, _ = self.shape(t)
        (oh, ph, _), (ow, pw, _) = (out_size(h, k[0], stride[0], dilation[0], padding),
                                    out_size(w, k[1], stride[1], dilation[1], padding))
        return oh, ow, ph, pw

    def conv(self, t, cout, k, stride=(1, 1), dilation=(1, 1), padding="SAME", encoding=None, density=None):
        rng = self.rng
        _, h, w, cin = self.shape(t)
        oh, ow, ph, pw = self.window(t, k, stride, dilation, padding)
        taps = k[0] * k[1] * cin
        wts = rng.integers(-127, 128, (cout, taps)).astype(np.int8)
        density = rng.uniform(0.2, 0.6) if density is None else density
        wts[rng.random(wts.shape) >= density] = 0
        wts[rng.integers(0, cout)] = 0  # an all-zero output channel
        encoding = encoding or str(rng.choice(ENCODINGS))
        encoding = "abs_u16" if encoding == "abs_u8" and taps > 256 else encoding
        bias = rng.integers(-300, 300, cout).astype(np.int64)
        zp_in = self.zp(t)
        folded = (bias - zp_in * wts.astype(np.int64).sum(axis=1)).astype(np.int32)
        mult, shift = self.requant(cout, max(1, int(np.count_nonzero(wts)) // cout))
        lo, hi = self.activation()
        out = self.tensor(f"conv{len(self.ops)}", (1, oh, ow, cout))
        self.ops.append(Conv2D(
            name=f"conv_{len(self.ops)}", input=t, output=out, weights=csr.encode(wts, encoding), bias=folded,
            multiplier=mult, shift=shift, input_zero_point=zp_in, output_zero_point=self.zp(out),
            activation_min=lo, activation_max=hi, filter_height=k[0], filter_width=k[1], input_channels=cin,
            output_channels=cout, stride_height=stride[0], stride_width=stride[1],
            dilation_height_factor=dilation[0], dilation_width_factor=dilation[1], padding=padding,
            padding_height=ph, padding_width=pw, original_bias=bias.astype(np.int32)))
        return out

    def depthwise(self, t, mult, k, stride=(1, 1), dilation=(1, 1), padding="SAME"):
        rng = self.rng
        _, h, w, cin = self.shape(t)
        oh, ow, ph, pw = self.window(t, k, stride, dilation, padding)
        cout = cin * mult
        wts = rng.integers(-127, 128, (cout, k[0] * k[1])).astype(np.int8)
        bias = rng.integers(-300, 300, cout).astype(np.int64)
        zp_in = self.zp(t)
        folded = (bias - zp_in * wts.astype(np.int64).sum(axis=1)).astype(np.int32)
        m, s = self.requant(cout, k[0] * k[1])
        lo, hi = self.activation()
        out = self.tensor(f"dw{len(self.ops)}", (1, oh, ow, cout))
        self.ops.append(DepthwiseConv2D(
            name=f"dw_{len(self.ops)}", input=t, output=out, weights=DenseMatrix(wts), bias=folded, multiplier=m,
            shift=s, input_zero_point=zp_in, output_zero_point=self.zp(out), activation_min=lo, activation_max=hi,
            filter_height=k[0], filter_width=k[1], input_channels=cin, output_channels=cout, depth_multiplier=mult,
            stride_height=stride[0], stride_width=stride[1], dilation_height_factor=dilation[0],
            dilation_width_factor=dilation[1], padding=padding, padding_height=ph, padding_width=pw,
            original_bias=bias.astype(np.int32)))
        return out

    def pool(self, cls, t, k, stride, padding):
        oh, ow, ph, pw = self.window(t, k, stride, (1, 1), padding)
        lo, hi = self.activation()
        out = self.tensor(f"pool{len(self.ops)}", (1, oh, ow, self.shape(t)[3]), zp=self.zp(t))
        self.ops.append(cls(name=f"pool_{len(self.ops)}", input=t, output=out, filter_height=k[0], filter_width=k[1],
                            stride_height=stride[0], stride_width=stride[1], padding=padding, padding_height=ph,
                            padding_width=pw, activation_min=lo, activation_max=hi))
        return out

    def add(self, a, b):
        out = self.tensor(f"add{len(self.ops)}", self.shape(a))
        m1, m2, mo = (int(v) for v in self.rng.integers(1 << 30, (1 << 31) - 1, 3))
        lo, hi = self.activation()
        self.ops.append(Add(name=f"add_{len(self.ops)}", input1=a, input2=b, output=out, input1_offset=-self.zp(a),
                            input2_offset=-self.zp(b), output_offset=self.zp(out), left_shift=20,
                            input1_multiplier=m1, input1_shift=int(self.rng.integers(-3, 0)), input2_multiplier=m2,
                            input2_shift=int(self.rng.integers(-3, 0)), output_multiplier=mo,
                            output_shift=-int(self.rng.integers(18, 21)), activation_min=lo, activation_max=hi))
        return out

    def concat(self, ts, axis=3):
        shape = list(self.shape(ts[0]))
        shape[axis] = sum(self.shape(t)[axis] for t in ts)
        out = self.tensor(f"concat{len(self.ops)}", shape, zp=self.zp(ts[0]))
        self.ops.append(Concatenation(name=f"concat_{len(self.ops)}", inputs=tuple(ts), output=out, axis=axis))
        return out

    def pad(self, t, paddings):
        shape = [d + a + b for d, (a, b) in zip(self.shape(t), paddings)]
        out = self.tensor(f"pad{len(self.ops)}", shape, zp=self.zp(t))
        self.ops.append(Pad(name=f"pad_{len(self.ops)}", input=t, output=out, paddings=tuple(paddings),
                            pad_value=self.zp(t)))
        return out

    def mean(self, t):
        """MEAN over every axis between batch and channels (height and width of NHWC, or the steps of
        a (1, steps, channels) tensor), keep_dims."""
        shape = self.shape(t)
        n, c = int(np.prod(shape[1:-1])), shape[-1]
        m, s = int(self.rng.integers(1 << 30, (1 << 31) - 1)), int(self.rng.integers(-1, 2))
        shift = min(n.bit_length() - 1, 32, 31 + s)  # TFLM folds 1/n into the multiplier this way
        out = self.tensor(f"mean{len(self.ops)}", (1,) * (len(shape) - 1) + (c,))
        self.ops.append(Mean(name=f"mean_{len(self.ops)}", input=t, output=out, axis=tuple(range(1, len(shape) - 1)),
                             keep_dims=True,
                             num_elements=n, input_zero_point=self.zp(t), output_zero_point=self.zp(out),
                             multiplier=m, shift=s, mean_multiplier=int((m << shift) // n), mean_shift=s - shift))
        return out

    def quantize(self, t):
        out = self.tensor(f"q{len(self.ops)}", self.shape(t))
        self.ops.append(Quantize(name=f"quantize_{len(self.ops)}", input=t, output=out, input_zero_point=self.zp(t),
                                 output_zero_point=self.zp(out), multiplier=int(self.rng.integers(1 << 30, 1 << 31)),
                                 shift=int(self.rng.integers(-2, 2))))
        return out

    def logistic(self, t):
        out = self.tensor(f"sig{len(self.ops)}", self.shape(t), zp=-128)
        # TFLM's Prepare maps input scales around 0.05 to Q4.27 with a left shift near 23 and a radius
        # of a few hundred steps; smaller radii exercise both saturated ends.
        self.ops.append(Logistic(name=f"logistic_{len(self.ops)}", input=t, output=out, input_zero_point=self.zp(t),
                                 input_range_radius=int(self.rng.integers(20, 300)),
                                 input_multiplier=int(self.rng.integers(1 << 30, 1 << 31)),
                                 input_left_shift=int(self.rng.integers(19, 24))))
        return out

    def expand_dims(self, t):
        out = self.tensor(f"ed{len(self.ops)}", self.shape(t), zp=self.zp(t))
        self.ops.append(ExpandDims(name=f"expand_{len(self.ops)}", input=t, output=out))
        return out


def random_graph(seed: int) -> SparseModel:
    """A random model using every graph op kind once or more (see the module docstring)."""
    rng = np.random.default_rng(seed)
    b = _Builder(rng)
    h, w = int(rng.integers(7, 14)), int(rng.integers(7, 14))
    x = b.tensor("input", (1, h, w, int(rng.integers(1, 6))))
    t = b.expand_dims(x)
    k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    dilation = (1, 1) if rng.random() < 0.6 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    padding = str(rng.choice(["SAME", "VALID"]))
    if padding == "VALID":
        k = tuple(min(kk, s) for kk, s in zip(k, (h // max(dilation[0], 1), w // max(dilation[1], 1))))
    enc = [ENCODINGS[(seed + 2 * i) % len(ENCODINGS)] for i in range(3)]  # every conv sees every encoding
    t = b.conv(t, int(rng.choice([3, 4, 8, 13, 16])), k, stride, dilation, padding, encoding=enc[0])
    t = b.depthwise(t, int(rng.choice([1, 1, 2])), (3, 3), (int(rng.integers(1, 3)),) * 2,
                    padding=str(rng.choice(["SAME", "VALID"])) if min(b.shape(t)[1:3]) >= 3 else "SAME")
    c2 = int(rng.choice([4, 5, 8, 12]))
    p1 = b.conv(t, c2, (1, 1), padding="VALID", encoding=enc[1])  # pointwise: the FC path on every pixel
    p2 = b.conv(t, c2, (3, 3), padding="SAME", encoding=enc[2])
    t = b.add(p1, p2)
    t = b.concat([t, p1])
    t = b.pool(MaxPool2D, t, (2, 2), (2, 2), "SAME") if min(b.shape(t)[1:3]) >= 2 else t
    t = b.pad(t, ((0, 0), (1, 0), (0, 2), (0, 0)))
    t = b.logistic(t)
    t = b.pool(AveragePool2D, t, (2, 3), (1, 2), str(rng.choice(["SAME", "VALID"])))
    t = b.mean(t)
    t = b.quantize(t)
    return SparseModel(f"graph_{seed}", b.tensors, b.ops, x, t, source="<random graph>", source_sha256="")
