"""The ``tfsparse`` command: export a Keras model to firmware, build it, run it, report on it.

``tfsparse --help`` lists the commands; ``tfsparse COMMAND --help`` explains one. Exit codes:

* 0 -- success;
* 1 -- the work failed: conversion, compilation or the emulator (the tool's output is shown);
* 2 -- usage: a bad argument, a missing or unreadable file, an output directory that holds other files;
* 130 -- interrupted (Ctrl-C).

TensorFlow is imported only by the commands that need it, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

from ._quiet import quiet_native_output

__all__ = ["main", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_EXIT_CODES = """exit codes:
  0    success
  1    the work failed (conversion, compiler or emulator; their output is shown)
  2    usage error: bad argument, missing or unreadable file, output directory in use
  130  interrupted"""


class UsageError(Exception):
    """A problem with the command line or the files it names (exit code 2)."""


# --------------------------------------------------------------------------------------------------
# Progress: one line per step, with a bar for steps that count items.


class _Progress:
    """Progress on stderr: a redrawn bar on a terminal, a line per step otherwise (logs, CI)."""

    def __init__(self, command: str, quiet: bool = False, stream=None):
        self.command = command
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def _write(self, text: str):
        if not self.quiet:
            self.stream.write(text)
            self.stream.flush()

    def step(self, label: str):
        """Context manager timing a step: ``with progress.step("quantize"): ...``."""
        return _Step(self, label)

    def bar(self, label: str, total: int):
        return _Bar(self, label, total)


class _Step:
    def __init__(self, progress, label):
        self.progress, self.label = progress, label

    def __enter__(self):
        self.t0 = time.monotonic()
        self.progress._write(f"{self.progress.command}: {self.label} ..." + ("" if self.progress.tty else "\n"))
        return self

    def __exit__(self, exc_type, exc, tb):
        dt = time.monotonic() - self.t0
        status = "done" if exc_type is None else "failed"
        prefix = " " if self.progress.tty else f"{self.progress.command}: {self.label} "
        self.progress._write(f"{prefix}{status} ({dt:.1f} s)\n")
        return False


class _Bar:
    WIDTH = 30

    def __init__(self, progress, label, total):
        self.progress, self.label, self.total, self.done = progress, label, max(int(total), 1), 0
        self.t0 = time.monotonic()
        self._last_line = -1

    def update(self, n: int):
        self.done = min(self.total, self.done + int(n))
        frac = self.done / self.total
        elapsed = time.monotonic() - self.t0
        if self.progress.tty:
            filled = int(frac * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.progress._write(f"\r{self.progress.command}: {self.label} [{bar}] {self.done}/{self.total} {elapsed:.1f} s")
            if self.done == self.total:
                self.progress._write("\n")
        else:  # a line per 25%, so logs stay short
            quarter = int(frac * 4)
            if quarter != self._last_line:
                self._last_line = quarter
                self.progress._write(f"{self.progress.command}: {self.label} {self.done}/{self.total} ({elapsed:.1f} s)\n")


# --------------------------------------------------------------------------------------------------
# Argument checks shared by the commands.


def _existing(path: str, what: str, *, kind: str = "file") -> pathlib.Path:
    p = pathlib.Path(path)
    if not p.exists():
        raise UsageError(f"{what} {path!r} does not exist")
    if kind == "file" and not p.is_file():
        raise UsageError(f"{what} {path!r} is not a file")
    if kind == "dir" and not p.is_dir():
        raise UsageError(f"{what} {path!r} is not a directory")
    return p


def _load_npy(path: str, option: str):
    import numpy as np

    p = _existing(path, option)
    try:
        arr = np.load(p, allow_pickle=False)
    except ValueError as e:
        raise UsageError(f"{option} {path!r} is not a NumPy .npy array without pickled objects ({e}); "
                         "save it with numpy.save(path, array)") from e
    except OSError as e:
        raise UsageError(f"{option} {path!r} cannot be read: {e}") from e
    if not isinstance(arr, np.ndarray):
        raise UsageError(f"{option} {path!r} holds several arrays (.npz); save one array with numpy.save")
    if arr.dtype.kind not in "biuf":
        raise UsageError(f"{option} {path!r} has dtype {arr.dtype}; expected numbers")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise UsageError(f"{option} {path!r} contains NaN or infinite values")
    return arr


def _check_samples(arr, feature_shape, option: str, path: str):
    """Samples along the first axis with the model's per-sample shape (one sample may omit the axis)."""
    feature_shape = tuple(int(d) for d in feature_shape)
    if tuple(arr.shape) == feature_shape:
        return arr[None, ...]
    if arr.ndim >= 1 and tuple(arr.shape[1:]) == feature_shape and arr.shape[0] > 0:
        return arr
    size = 1
    for d in feature_shape:
        size *= d
    hint = ""
    if arr.ndim >= 1 and arr.shape[0] and arr.size // arr.shape[0] == size:
        hint = f"; reshape it with x.reshape(len(x), {', '.join(map(str, feature_shape))})"
    raise UsageError(
        f"{option} {path!r} has shape {arr.shape}; the model takes samples of shape {feature_shape}, "
        f"so expected (N, {', '.join(map(str, feature_shape))}){hint}"
    )


def _model_kind(path: pathlib.Path) -> str:
    if path.is_dir():
        return "dir"
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras"
    if suffix == ".tflite":
        return "tflite"
    raise UsageError(
        f"{str(path)!r} is neither a Keras model (.keras), an int8 .tflite file nor a directory made by "
        "'tfsparse export'; save Keras models with model.save('model.keras')"
    )


def import_tensorflow_quietly():
    """Import TensorFlow and Keras without the C++ start-up chatter (shown only if the import fails)."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_output():
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs here, once
        import keras  # noqa: F401


def _load_keras(path: pathlib.Path, progress):
    if "tensorflow" not in sys.modules:
        with progress.step("import TensorFlow"):
            import_tensorflow_quietly()
    import keras

    import tfsparse.pruning.wrapper  # noqa: F401  (registers the wrapper: unstripped pruned models load too)

    with progress.step(f"load {path.name}"):
        try:
            return keras.saving.load_model(path, compile=False)
        except Exception as e:  # Keras raises many types for unreadable archives
            raise UsageError(f"cannot load Keras model {str(path)!r}: {e}") from e


def _output_dir(path: str, force: bool) -> pathlib.Path:
    """An output directory that is new, empty, or (with --force) a previous export.

    An export that was interrupted there is first completed or rolled back (tfsparse.generate's journal).
    """
    from .codegen.journal import recover
    from .codegen.manifest import MANIFEST, bears_banner

    out = pathlib.Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {path!r} is a file; give a directory")
    if out.is_dir():
        recovered = recover(out)  # a FirmwareError here names the file in the way
        if recovered:
            print(f"note: {recovered} an interrupted export in {path}", file=sys.stderr)
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(
                f"--out {path!r} is not empty; choose a new directory, or pass --force to replace a previous "
                "tfsparse export there"
            )
        if not _is_export(out) and not (out / MANIFEST).is_file() and not bears_banner(out / "Makefile"):
            raise UsageError(
                f"--out {path!r} holds files that 'tfsparse export' did not write; tfsparse will not overwrite "
                "them even with --force: choose a new directory"
            )
    return out


# --------------------------------------------------------------------------------------------------
# Reading what 'tfsparse export' wrote: tfsparse.generate's project plus the int8 .tflite beside it.

_TFLITE_NAME = "model_int8.tflite"
_PROJECT_FILE = "project.json"


def _is_export(out: pathlib.Path) -> bool:
    return (out / _PROJECT_FILE).is_file()


def _project(path: str) -> tuple:
    """(directory, project.json record) of a generated project."""
    out = _existing(path, "DIR", kind="dir")
    if not _is_export(out):
        raise UsageError(f"{str(out)!r} is not a directory made by 'tfsparse export' (no {_PROJECT_FILE} in it)")
    try:
        return out, json.loads((out / _PROJECT_FILE).read_text())
    except ValueError as e:
        raise UsageError(f"{str(out / _PROJECT_FILE)!r} is not valid JSON ({e}); export the model again") from e


def _export_tflite(out: pathlib.Path) -> pathlib.Path:
    p = out / _TFLITE_NAME
    if not p.is_file():
        raise UsageError(f"{str(out)!r} has no {_TFLITE_NAME} (it was not made by 'tfsparse export'); "
                         "run 'tfsparse report' on the .tflite the project was generated from")
    return p


def _int8_inputs(inputs, out: pathlib.Path, meta: dict, path: str):
    """The firmware's int8 inputs: int8 arrays pass as they are, floats are quantized like the model input."""
    import numpy as np

    x = _check_samples(inputs, meta["input_shape"][1:], "--inputs", path)
    if x.dtype == np.int8:
        return x
    if x.dtype.kind != "f":
        raise UsageError(f"--inputs {path!r} has dtype {x.dtype}; give float inputs (quantized for you) or int8")
    import tfsparse

    return tfsparse.convert(_export_tflite(out)).quantize_input(x)


# --------------------------------------------------------------------------------------------------
# Commands.


def _cmd_export(args, progress) -> int:
    import numpy as np

    import tfsparse

    model_path = _existing(args.model, "MODEL")
    kind = _model_kind(model_path)
    if kind == "dir":
        raise UsageError(f"MODEL {args.model!r} is a directory; give a .keras or .tflite file")
    out = _output_dir(args.out, args.force)
    if kind == "keras":
        if args.calibration is None:
            raise UsageError("--calibration DATA.npy is required to quantize a .keras model "
                             "(a few hundred training inputs, shaped like the model input)")
        data = _load_npy(args.calibration, "--calibration")
        model = _load_keras(model_path, progress)
        data = _check_samples(data, model.inputs[0].shape[1:], "--calibration", args.calibration)
        data = data[: args.max_samples].astype(np.float32)
        with progress.step(f"quantize to int8 ({len(data)} calibration samples)"), quiet_native_output():
            tflite = tfsparse.quantize(model, data)
    else:
        tflite = model_path.read_bytes()
    with progress.step(f"convert to CSR (encoding: {args.encoding})"):
        sparse = tfsparse.convert(tflite if kind == "keras" else model_path, encoding=args.encoding)
    if args.force and _is_export(out):
        from .codegen.manifest import adopt

        adopt(out, [_TFLITE_NAME])  # exports made before the journal wrote it outside the manifest
    with progress.step(f"generate {args.target} firmware sources"):
        # The .tflite goes into the same transaction: an interrupted export is completed or rolled back whole.
        tfsparse.generate(sparse, out, target=args.target, tflm=args.tflm, extra_files={_TFLITE_NAME: tflite})
    print(_sparse_report(sparse)[0])
    print(f"exported to {out}/ ({_TFLITE_NAME} + firmware sources); next: tfsparse build {out}")
    return EXIT_OK


def _cmd_build(args, progress) -> int:
    import tfsparse

    out, _ = _project(args.dir)
    with progress.step(f"build {out}"):
        result = tfsparse.build(out)
    print(f"firmware: {result.elf}")
    print(f"flash: {result.flash:,} bytes")
    print(f"RAM: {result.ram:,} bytes")
    print(f"next: tfsparse run {out} --inputs X.npy")
    return EXIT_OK


def _is_class_vector(meta: dict) -> bool:
    """Outputs (1, C), C >= 2: scores of C classes, which --labels can be compared with."""
    out_shape = list(meta["output_shape"])
    return len(out_shape) == 2 and out_shape[1] >= 2


def _is_autoencoder(meta: dict) -> bool:
    return list(meta["output_shape"]) == list(meta["input_shape"])


def _reference_outputs(args, n: int, meta: dict, sparse):
    """--reference as float outputs (int8 references are dequantized with the model's output parameters)."""
    import numpy as np

    ref = _check_samples(_load_npy(args.reference, "--reference"), meta["output_shape"][1:], "--reference",
                         args.reference)
    if len(ref) != n:
        raise UsageError(f"--reference {args.reference!r} has {len(ref)} outputs; expected {n}, one per input")
    return sparse.dequantize_output(ref) if ref.dtype == np.int8 else ref.astype(np.float32)


def _error_line(what: str, outputs, reference) -> str:
    import numpy as np

    err = np.abs(outputs.astype(np.float64) - reference.reshape(outputs.shape).astype(np.float64))
    return (f"error vs {what} (dequantized output units): mean abs {err.mean():.6g}, max abs {err.max():.6g}, "
            f"RMS {np.sqrt((err ** 2).mean()):.6g}")


def _cmd_run(args, progress) -> int:
    import numpy as np

    import tfsparse

    out, meta = _project(args.dir)
    raw_inputs = _load_npy(args.inputs, "--inputs")
    inputs = _int8_inputs(raw_inputs, out, meta, args.inputs)
    labels = _load_npy(args.labels, "--labels") if args.labels else None
    if labels is not None and not _is_class_vector(meta):
        raise UsageError(
            f"--labels needs a classifier, but the model's output shape {tuple(meta['output_shape'])} is not a class "
            f"vector (input shape {tuple(meta['input_shape'])}); compare its outputs with --reference REF.npy instead")
    if labels is not None and (labels.ndim != 1 or len(labels) != len(inputs)):
        raise UsageError(f"--labels {args.labels!r} has shape {labels.shape}; expected ({len(inputs)},), one label per input")
    # Without --labels or --reference, a model whose output is shaped like its input is an autoencoder.
    autoencoder = labels is None and args.reference is None and _is_autoencoder(meta)
    sparse = tfsparse.convert(_export_tflite(out)) if args.reference or autoencoder else None
    reference = _reference_outputs(args, len(inputs), meta, sparse) if args.reference else None
    if args.out:
        if not args.out.endswith(".npy"):
            raise UsageError(f"--out {args.out!r} must end with .npy (the outputs are saved with numpy.save)")
        if pathlib.Path(args.out).exists() and not args.force:
            raise UsageError(f"--out {args.out!r} exists; choose a new file or pass --force to overwrite it")
    with progress.step(f"build {out} (if needed)"):
        tfsparse.build(out)
    bar = progress.bar(f"run on QEMU {meta.get('qemu_machine', '')}", len(inputs))
    outputs, instructions, layers = [], [], []
    for start in range(0, len(inputs), args.chunk):
        chunk = inputs[start:start + args.chunk]
        result = tfsparse.run(out, chunk)
        outputs.append(np.asarray(result.outputs))
        instructions.append(np.atleast_1d(np.asarray(result.instructions, dtype=np.float64)))
        layers.append(result.layer_instructions)
        bar.update(len(chunk))
    outputs = np.concatenate(outputs)
    per_inference = np.concatenate(instructions)
    print(f"inputs: {len(inputs)}")
    print(f"instructions per inference: {per_inference.mean():,.0f} (min {per_inference.min():,.0f}, "
          f"max {per_inference.max():,.0f})")
    if layers and layers[0] is not None:
        merged = tfsparse.RunResult(outputs=outputs, instructions=per_inference, ticks=per_inference,
                                    instructions_per_tick=result.instructions_per_tick, size=result.size,
                                    elf=result.elf, layer_instructions=np.concatenate(layers),
                                    layer_names=result.layer_names)
        print("per op (SysTick around each kernel call):")
        print(merged.layer_table())
    if labels is not None:
        acc = float((outputs.reshape(len(outputs), -1).argmax(axis=1) == labels).mean())
        print(f"accuracy: {acc:.4f}")
    if reference is not None:
        print(_error_line(f"--reference {args.reference}", sparse.dequantize_output(outputs), reference))
    elif autoencoder:  # its outputs are compared with the inputs it reconstructs
        q = sparse.input_tensor.quantization
        x = (np.float32(q.scale[0]) * (inputs.astype(np.int32) - int(q.zero_point[0]))).astype(np.float32)
        if raw_inputs.dtype != np.int8:
            x = raw_inputs.astype(np.float32)
        print(_error_line("the inputs (reconstruction)", sparse.dequantize_output(outputs), x))
    elif labels is None and not _is_class_vector(meta):
        print("(not a classifier: pass --reference REF.npy, the expected outputs, for an error measure)")
    if args.out:
        np.save(args.out, outputs)
        print(f"outputs ({outputs.dtype}, shape {outputs.shape}) written to {args.out}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------------
# report: the per-layer table.


def _keras_report(model):
    """(table text, JSON record) of a Keras model's prunable weights."""
    import tfsparse

    rep = tfsparse.sparsity_report(model)
    layers = [{"layer": r.layer, "weight": r.weight, "shape": list(r.shape), "nonzeros": r.nonzeros, "size": r.size,
               "sparsity": r.sparsity, "m_by_n": list(r.m_by_n) if getattr(r, "m_by_n", None) else None,
               "satisfies_m_by_n": getattr(r, "satisfies_m_by_n", None)} for r in rep]
    return str(rep), {"layers": layers, "total": {"nonzeros": rep.nonzeros, "size": rep.size, "sparsity": rep.sparsity}}


def _sparse_report(sparse):
    """(table text, JSON record) of a converted model: its summary and its cost profile."""
    import tfsparse

    lines = []
    record = sparse.summary(print_fn=lines.append)
    prof = tfsparse.profile(sparse, target=sparse.target or "cortex-m4")
    record["profile"] = prof.to_dict()
    return "\n".join(lines) + "\n\n" + str(prof), record


def _cmd_report(args, progress) -> int:
    path = _existing(args.target, "TARGET", kind="any")
    kind = _model_kind(path)
    import tfsparse

    if kind == "keras":
        source = _load_keras(path, progress)
        text, record = _keras_report(source)
    else:
        tflite = _export_tflite(_project(str(path))[0]) if kind == "dir" else path
        with progress.step(f"convert {tflite.name}"):
            kwargs = {} if args.encoding is None else {"encoding": args.encoding}
            source = tfsparse.convert(tflite, **kwargs)
        text, record = _sparse_report(source)
        if kind == "dir" and (path / "fw.elf").is_file():
            from .firmware import size

            fw = size(path)
            record["firmware"] = {"elf": str(path / "fw.elf"), "flash": fw["flash"], "ram": fw["ram"]}
            text += f"\nfirmware {path / 'fw.elf'}: flash {fw['flash']:,} bytes, RAM {fw['ram']:,} bytes"
    saved = _save_plots(pathlib.Path(args.plots), source, kind, args.force) if args.plots else []
    if args.json:
        json.dump({"source": str(path), "kind": kind, **record}, sys.stdout, indent=2, default=_json_default)
        sys.stdout.write("\n")
    else:
        print(text)
    for p in saved:
        print(f"plot written to {p}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _json_default(value):
    """NumPy scalars and tuples in report records become plain JSON numbers and lists."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _save_plots(plots_dir: pathlib.Path, source, kind, force: bool) -> list:
    """Write the report's PNGs; existing files are replaced only with --force."""
    from . import plot

    if plots_dir.exists() and not plots_dir.is_dir():
        raise UsageError(f"--plots {str(plots_dir)!r} is a file; give a directory")
    try:
        figures = {"layer_density": plot.layer_density(source)}
    except ImportError as e:
        raise UsageError(f"--plots needs matplotlib ({e}); install it with: pip install 'tfsparse[plot]'") from e
    if kind != "keras":
        figures["bytes_per_nonzero"] = plot.bytes_per_nonzero(source)
        for op in source.fully_connected:
            figures[f"spy_{op.name}"] = plot.spy(op)
    paths = {plots_dir / ("".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) + ".png"): fig
             for name, fig in figures.items()}
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(f"--plots would overwrite {', '.join(existing)}; choose another directory or pass --force")
    plots_dir.mkdir(parents=True, exist_ok=True)
    for path, fig in paths.items():
        fig.savefig(path, dpi=100)
    return list(paths)


# --------------------------------------------------------------------------------------------------
# Parser.


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _command(sub, name, func, summary, description, examples):
    """A subcommand with a wrapped description and an epilog of examples and exit codes."""
    import textwrap

    p = sub.add_parser(name, help=summary, formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=textwrap.fill(description, width=88),
                       epilog="examples:\n" + "".join(f"  {e}\n" for e in examples) + "\n" + _EXIT_CODES)
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The ``tfsparse`` argument parser (exposed for documentation tools and tests)."""
    from . import __version__
    from .converter.ir import ENCODINGS

    from .codegen.targets import PARTS, TARGETS

    encodings = ("smallest", "fastest") + ENCODINGS
    targets = tuple(sorted(TARGETS)) + tuple(sorted(PARTS))

    parser = argparse.ArgumentParser(
        prog="tfsparse",
        description="Pruned Keras model -> int8 CSR -> C firmware for Cortex-M, bit-exact with TFLite Micro.",
        epilog="typical use:\n"
               "  tfsparse export model.keras --calibration x_train.npy --out fw\n"
               "  tfsparse build fw\n"
               "  tfsparse run fw --inputs x_test.npy --out y.npy\n"
               "  tfsparse report model.keras\n\n" + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfsparse {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(sub, "export", _cmd_export, "quantize, convert and generate firmware sources",
                 "Quantize a Keras model to int8 (calibrated on --calibration), convert its weights to CSR and "
                 "generate a firmware project in --out. A .tflite that is already full-integer int8 skips "
                 "quantization.",
                 ["tfsparse export model.keras --calibration x_train.npy --out fw --target cortex-m4",
                  "tfsparse export model_int8.tflite --out fw --tflm"])
    p.add_argument("model", metavar="MODEL", help="a Keras model (.keras, pruned or stripped) or an int8 .tflite")
    p.add_argument("--calibration", metavar="DATA.npy",
                   help="calibration inputs: a .npy array (N, *input shape), e.g. a few hundred training samples")
    p.add_argument("--out", metavar="DIR", required=True, help="output directory (new or empty)")
    p.add_argument("--target", default="cortex-m4", choices=targets, metavar="TARGET",
                   help=f"firmware target: {', '.join(targets)} (default: cortex-m4)")
    p.add_argument("--encoding", default="smallest", choices=encodings, metavar="ENCODING",
                   help=f"weight encoding: {', '.join(encodings)} (default: smallest, per layer)")
    p.add_argument("--max-samples", type=_positive_int, default=500, metavar="N",
                   help="use at most N calibration samples (default 500)")
    p.add_argument("--tflm", action="store_true",
                   help="also write TFLM sources (tflm/: model array, TFSPARSE_FULLY_CONNECTED op, TfsparseAddOps) "
                        "and tflm.mk, for an existing TensorFlow Lite Micro application")
    p.add_argument("--force", action="store_true", help="replace a previous tfsparse export in --out")

    p = _command(sub, "build", _cmd_build, "compile a generated project with arm-none-eabi-gcc",
                 "Compile the firmware project that 'tfsparse export' generated; prints flash and RAM.",
                 ["tfsparse build fw"])
    p.add_argument("dir", metavar="DIR", help="a directory made by 'tfsparse export'")

    p = _command(sub, "run", _cmd_run, "run the built firmware on emulated Cortex-M (QEMU)",
                 "Run every input through the firmware on QEMU; prints instructions per inference, the accuracy "
                 "of a classifier with --labels, or the error (mean and max absolute, in dequantized output units) "
                 "against --reference outputs; an autoencoder (output shaped like its input) is compared with its "
                 "inputs. Saves the int8 outputs with --out. Float inputs are quantized like the model input; "
                 "int8 inputs are used as they are.",
                 ["tfsparse run fw --inputs x_test.npy --labels y_test.npy --out y.npy",
                  "tfsparse run fw --inputs x_test.npy --reference y_keras.npy"])
    p.add_argument("dir", metavar="DIR", help="a directory made by 'tfsparse export' (built or not)")
    p.add_argument("--inputs", metavar="X.npy", required=True, help="inputs: a .npy array (N, *input shape)")
    p.add_argument("--out", metavar="Y.npy", help="save the int8 outputs (N, *output shape) to this .npy file")
    p.add_argument("--labels", metavar="LABELS.npy", help="integer labels (N,) of a classifier: print the accuracy")
    p.add_argument("--reference", metavar="REF.npy",
                   help="expected outputs (N, *output shape), float or int8 (e.g. Keras' predictions): print the "
                        "mean and max absolute error")
    p.add_argument("--chunk", type=_positive_int, default=250, metavar="N",
                   help="inputs per emulator launch (progress granularity; default 250)")
    p.add_argument("--force", action="store_true", help="overwrite the --out file if it exists")

    p = _command(sub, "report", _cmd_report, "per-layer sparsity and size table",
                 "The per-layer table of a Keras model (nonzeros, sparsity), an int8 .tflite or an exported "
                 "directory (density, encoding, bytes vs dense int8; flash and RAM once built).",
                 ["tfsparse report model.keras", "tfsparse report fw --json",
                  "tfsparse report model_int8.tflite --plots plots/"])
    p.add_argument("target", metavar="MODEL.keras|MODEL.tflite|DIR", help="what to report on")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--encoding", default=None, choices=encodings, metavar="ENCODING",
                   help="encoding to report a .tflite or DIR with (default: smallest)")
    p.add_argument("--plots", metavar="DIR", help="also save PNG plots (density, spy per layer, bytes per nonzero)")
    p.add_argument("--force", action="store_true", help="overwrite PNGs of the same names in --plots")

    _command(sub, "targets", _cmd_targets, "list the boards and parts firmware can be built for",
             "The emulated boards (QEMU machines, one per core) and the preset parts: core, clock, flash and "
             "RAM regions, and the QEMU board that runs each part's code. Your own part: tfsparse.Target.",
             ["tfsparse targets"])
    return parser


def _cmd_targets(args, progress) -> int:
    from .codegen.targets import PARTS, TARGETS

    for title, table in (("boards (emulated on QEMU)", TARGETS), ("parts", PARTS)):
        print(f"{title}:")
        width = max(map(len, table))
        for name, target in table.items():
            note = f"  [{target.description}]" if table is PARTS and target.description else ""
            print(f"  {name:<{width}}  {target.describe()}{note}")
    print("your own part: tfsparse.Target(name, core, flash=MemoryRegion(...), ram=MemoryRegion(...), clock_hz=...)")
    return EXIT_OK


def main(argv=None) -> int:
    """Entry point of the ``tfsparse`` console script.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 success, 1 the work failed, 2 usage error, 130 interrupted.

    Example:
        >>> main(["report", "model.keras", "--json"])  # doctest: +SKIP
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    progress = _Progress(args.command, quiet=args.quiet)
    from .errors import TfsparseError

    try:
        return args.func(args, progress)
    except UsageError as e:
        print(f"tfsparse {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except TfsparseError as e:
        print(f"tfsparse {args.command}: failed: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"tfsparse {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
