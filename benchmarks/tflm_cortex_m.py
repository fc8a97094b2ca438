"""Real TFLM on an emulated Cortex-M4: the ``generate(..., tflm=True)`` sources run by tflite-micro.

Questions: do the generated TFLM sources (custom ops, resolver, model data) give the TFLM interpreter's
bytes when a Cortex-M build of real TFLM runs them, and is the header's arena hint
(``TFSPARSE_ARENA_BYTES``, ``tflm_arena_bytes(pointer_bytes=4)``) enough on a 32-bit target: what is
the smallest arena with which ``AllocateTensors`` succeeds and the outputs are right, and how much
slack does the hint leave? And how many instructions does one inference take in that firmware: TFLM's
interpreter with its reference kernels for the builtins and tfsparse's custom ops (their Cortex-M C
kernels) for the sparse layers -- not CMSIS-NN, so not the speed anchor of the README.

Method: tflite-micro's sources (``--tflm-dir``, never downloaded: the micro framework, the kernels of
``MICROLITE_CC_KERNEL_SRCS`` in ``tools/make/sources.inc`` = reference kernels, and the TFLite files
they need) cross-compiled with arm-none-eabi-g++ for Cortex-M4F (``-O2 -DTF_LITE_STATIC_MEMORY``,
no exceptions, no RTTI) into ``libtflm.a`` (or ``--lib``, a library built so before). Per model:
``tfsparse.convert`` -> ``tfsparse.generate(..., tflm=True)`` for cortex-m4, the project's ``make tflm``
(``-Wall -Wextra -Werror`` on tfsparse's files, TFLM's headers ``-isystem``) -> linked with
``tflm_cortex_m_fw/harness.cc`` (N inputs as C arrays, outputs printed over semihosting, newlib rdimon)
-> QEMU ``mps2-an386 -icount shift=0``. The firmware runs the N inputs with an arena of exactly the
hint (the whole buffer when that fails). The smallest arena is then bisected, one QEMU run per probe
(``tfs_probe_arena`` patched in the ELF; 16-byte aligned buffer filled with 0xA5; a probe passes when
AllocateTensors succeeds and the first output is unchanged), because TFLM can fault instead of failing
cleanly on a too-small arena; the result is re-checked on all N inputs. The outputs are compared byte for byte
with ``tflite_micro``'s Python interpreter on the .tflite before sparse conversion (the custom ops are
unknown to it). Instructions: SysTick ticks around ``Invoke()`` x 40 (25 MHz board clock).

Models: NAME.tflite + NAME_x.npy (float inputs) in ``--models-dir``; without it the script builds them
(needs TensorFlow): LeNet-300-100 on MNIST and the 8x8-digits MLP (3 epochs, 90% of the weights of each
Dense zeroed), mnist_cnn (1 epoch on MNIST), ds_cnn, resnet8 (untrained, synthetic inputs)
and branched_tanh (untrained: Conv2D, DepthwiseConv2D, ADD, PAD, both pools, CONCATENATION, a dilated
Conv2D, TANH, MEAN, Dense), each with 80% of every Conv2D / Dense kernel zeroed, quantized with
``tfsparse.quantize``.

    .venv/bin/python benchmarks/tflm_cortex_m.py --tflm-dir ~/tflite-micro [--lib libtflm.a]
        [--include DIR ...] [--models-dir DIR] [--inputs 20] [model[:encoding] ...]
    # writes results/tflm_cortex_m.{json,md}; not part of make test or make bench (needs tflite-micro)
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import markdown_table, write_results  # noqa: E402
from cnn import _patch_int32, _tflm  # noqa: E402  (ELF .data patch; the TFLM Python interpreter)

HERE = pathlib.Path(__file__).resolve().parent
FW = HERE / "tflm_cortex_m_fw"
#: model[:encoding]: the default policy (custom ops for the sparse layers), forced forms, and all-dense (only
#: TFLM builtins: CONV_2D, FULLY_CONNECTED, ... as TFLM's reference kernels run them).
MODELS = ("lenet", "lenet:csc8", "digits_mlp:rel4", "mnist_cnn", "ds_cnn", "resnet8", "branched_tanh", "lenet:dense",
          "digits_mlp:dense", "mnist_cnn:dense", "ds_cnn:dense", "resnet8:dense")
CPU_FLAGS = "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
CROSS = "arm-none-eabi-"
CXXFLAGS = (f"-std=c++17 -O2 {CPU_FLAGS} -fno-rtti -fno-exceptions -fno-threadsafe-statics -ffunction-sections "
            "-fdata-sections -DTF_LITE_STATIC_MEMORY")
INSTRUCTIONS_PER_TICK = 40  # -icount shift=0: 1 ns per instruction; SysTick at the MPS2 boards' 25 MHz
QEMU = ("qemu-system-arm -machine mps2-an386 -nographic -monitor none -serial none "
        "-semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off -kernel")


def _sh(cmd: str, cwd=None, timeout=None) -> str:
    p = subprocess.run(f"nice -n 10 {cmd}", shell=True, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    if p.returncode:
        raise SystemExit(f"failed ({p.returncode}): {cmd[:300]}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def tflm_sources(tflm_dir: pathlib.Path) -> list:
    """The .cc/.c files of a tflite-micro checkout that make up TFLM with its reference kernels: the micro
    framework directories, ``MICROLITE_CC_KERNEL_SRCS`` of ``tools/make/sources.inc`` and the TFLite
    (``tensorflow/lite`` outside ``micro``/``experimental``, and ``tensorflow/compiler``) files, no tests."""
    inc = tflm_dir / "tensorflow/lite/micro/tools/make/sources.inc"
    if not inc.is_file():
        raise SystemExit(f"--tflm-dir {tflm_dir}: no {inc.relative_to(tflm_dir)}; pass the root of a tflite-micro "
                         "checkout (the directory holding tensorflow/lite/micro)")
    m = re.search(r"^MICROLITE_CC_KERNEL_SRCS := \\\n(.*?)\n\n", inc.read_text(), re.S | re.M)
    kernels = [line.strip().rstrip("\\").strip().replace("$(TENSORFLOW_ROOT)", "") for line in m.group(1).splitlines()]
    base = []
    for d in ("micro", "micro/arena_allocator", "micro/memory_planner", "micro/tflite_bridge"):
        base += sorted(str(p.relative_to(tflm_dir)) for p in (tflm_dir / "tensorflow/lite" / d).glob("*.cc"))
    tflite = []
    for dirpath, dirnames, filenames in os.walk(tflm_dir / "tensorflow"):
        rel = pathlib.Path(dirpath).relative_to(tflm_dir).as_posix()
        if rel.startswith(("tensorflow/lite/experimental", "tensorflow/lite/micro")):
            dirnames[:] = []
            continue
        tflite += sorted(f"{rel}/{f}" for f in filenames if f.endswith((".cc", ".c")))
    tflite = [t for t in tflite if t != "tensorflow/lite/array.cc"]
    return [s for s in base + [k for k in kernels if k] + sorted(tflite) if not s.endswith("_test.cc")]


def build_tflm(tflm_dir: pathlib.Path, includes: str, work: pathlib.Path, jobs: int) -> pathlib.Path:
    """Cross-compile TFLM (reference kernels) into ``work/libtflm.a`` with make (incremental)."""
    srcs = tflm_sources(tflm_dir)
    objs = [re.sub(r"\.(cc|c)$", ".o", f"obj/{s}") for s in srcs]
    makefile = work / "Makefile"
    makefile.write_text(
        f"# written by benchmarks/tflm_cortex_m.py: TFLM {tflm_dir} for Cortex-M4F, reference kernels\n"
        f"FLAGS := {CPU_FLAGS} -O2 -DTF_LITE_STATIC_MEMORY -ffunction-sections -fdata-sections -I{tflm_dir} {includes}\n"
        f"libtflm.a: {' '.join(objs)}\n\trm -f $@\n\t{CROSS}ar rcs $@ $^\n"
        f"obj/%.o: {tflm_dir}/%.cc\n\t@mkdir -p $(dir $@)\n"
        f"\t{CROSS}g++ -std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics $(FLAGS) -c $< -o $@\n"
        f"obj/%.o: {tflm_dir}/%.c\n\t@mkdir -p $(dir $@)\n\t{CROSS}gcc -std=c11 $(FLAGS) -c $< -o $@\n")
    print(f"building TFLM ({len(srcs)} files, -j{jobs}) in {work} ...", flush=True)
    _sh(f"make -j{jobs} libtflm.a", cwd=work)
    return work / "libtflm.a"


def build_models(out: pathlib.Path) -> None:
    """NAME.tflite + NAME_x.npy for the default models (the recipe of the module docstring)."""
    import keras

    import tfsparse
    from tfsparse import datasets, models

    def zero(model, frac):
        for layer in model.layers:
            w = layer.get_weights()
            if type(layer).__name__ in ("Conv2D", "Dense") and w:
                w[0] = w[0] * (np.abs(w[0]) > np.quantile(np.abs(w[0]), frac))
                layer.set_weights(w)

    out.mkdir(parents=True, exist_ok=True)
    for name, factory, data in (("digits_mlp", models.digits_mlp, datasets.digits()),
                                ("lenet", models.lenet_300_100, datasets.mnist())):
        (xt, yt), (xs, _) = data
        keras.utils.set_random_seed(0)
        m = factory(seed=0)
        m.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(xt, yt, batch_size=64, epochs=3, verbose=0)
        zero(m, 0.9)
        (out / f"{name}.tflite").write_bytes(tfsparse.quantize(m, xt[:300]))
        np.save(out / f"{name}_x.npy", xs[:200].astype(np.float32))
    for name in ("mnist_cnn", "ds_cnn", "resnet8"):
        keras.utils.set_random_seed(0)
        m = getattr(models, name)(seed=0)
        x = np.random.default_rng(0).normal(size=(64,) + tuple(m.input_shape[1:])).astype(np.float32)
        if name == "mnist_cnn":
            (xt, yt), _ = datasets.mnist(image=True)
            x = xt[:300].astype(np.float32)
            m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            m.fit(xt[:3000], yt[:3000], epochs=1, verbose=0)
        zero(m, 0.8)
        (out / f"{name}.tflite").write_bytes(tfsparse.quantize(m, x[:64]))
        np.save(out / f"{name}_x.npy", x[:64])
    layers = keras.layers  # a branched graph with a TANH that only TFLM runs (a TFLM-only project)
    keras.utils.set_random_seed(7)
    inp = keras.Input((24, 24, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    y = layers.Conv2D(8, 1)(layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x))
    z = layers.ZeroPadding2D(((1, 0), (0, 1)))(layers.Add()([x, y]))
    c = layers.Concatenate()([layers.MaxPooling2D(2)(z), layers.AveragePooling2D(2)(z)])
    c = layers.Activation("tanh")(layers.Conv2D(12, 3, dilation_rate=2, padding="valid")(c))
    m = keras.Model(inp, layers.Dense(5)(layers.GlobalAveragePooling2D()(c)))
    zero(m, 0.8)
    x = np.random.default_rng(0).normal(size=(148, 24, 24, 3)).astype(np.float32)
    (out / "branched_tanh.tflite").write_bytes(tfsparse.quantize(m, x[:48]))
    np.save(out / "branched_tanh_x.npy", x[48:])


def _inputs_header(xq: np.ndarray, output_bytes: int) -> str:
    rows = ",\n".join("  {" + ",".join(str(int(v)) for v in x.reshape(-1)) + "}" for x in xq)
    n, k = len(xq), xq[0].size
    return ("// written by benchmarks/tflm_cortex_m.py\n#include <cstddef>\n#include <cstdint>\n"
            f"constexpr int kNumInputs = {n};\nconstexpr size_t kInputBytes = {k};\n"
            f"constexpr size_t kOutputBytes = {output_bytes};\n"
            f"static const int8_t kInputs[{n}][{k}] = {{\n{rows}\n}};\n")


def _parse(log: str) -> dict:
    """The firmware's lines: ``hint``, ``run`` (one per arena tried), ``out`` (the last run's outputs)."""
    runs, outs, hint = [], {}, None
    for line in log.splitlines():
        f = line.split()
        if f and f[0] == "hint":
            hint = int(f[1])
        elif f and f[0] == "run":
            runs.append(dict(arena=int(f[1]), status=int(f[2]), arena_used_bytes=int(f[3])))
        elif f and f[0] == "out" and len(f) == 4:
            outs[int(f[1])] = (int(f[2]), bytes.fromhex(f[3]))
    ordered = [outs[i] for i in sorted(outs)]
    return dict(hint=hint, runs=runs, ok=bool(runs) and runs[-1]["status"] == 0,
                ticks=np.array([t for t, _ in ordered], np.int64),
                outputs=np.array([np.frombuffer(o, np.int8) for _, o in ordered] or np.zeros((0, 0), np.int8)))


def _probe(elf: pathlib.Path, arena: int, inputs: int, reference: np.ndarray) -> str:
    """One QEMU run of ``elf`` patched to try ``arena`` bytes on the first ``inputs`` inputs: "ok" (outputs
    equal ``reference``), "allocate", "invoke", "wrong outputs" or "fault" (no result: TFLM crashed)."""
    probe = elf.with_name("tflm_probe.elf")
    probe.write_bytes(elf.read_bytes())
    _patch_int32(probe, "tfs_probe_arena", arena)
    _patch_int32(probe, "tfs_probe_inputs", inputs)
    p = subprocess.run(f"nice -n 10 {QEMU} {probe}", shell=True, capture_output=True, text=True, timeout=3600)
    got = _parse(p.stdout)
    if not got["runs"]:
        return "fault"
    if not got["ok"]:
        return {-1: "allocate", -2: "invoke"}.get(got["runs"][-1]["status"], "error")
    return "ok" if np.array_equal(got["outputs"], reference[:inputs]) else "wrong outputs"


def smallest_arena(elf: pathlib.Path, works: int, reference: np.ndarray) -> tuple:
    """Bisection between 0 and ``works`` bytes (probe: AllocateTensors succeeds and the first output is
    right), then the result checked on every input. Returns (bytes, its check, {failure kind: probes})."""
    lo, hi, failures = 0, works, {}
    while hi - lo > 1:
        mid = (lo + hi) // 2
        outcome = _probe(elf, mid, 1, reference)
        if outcome == "ok":
            hi = mid
        else:
            lo = mid
            failures[outcome] = failures.get(outcome, 0) + 1
    return hi, _probe(elf, hi, len(reference), reference), failures


def bench_model(spec: str, models_dir: pathlib.Path, lib: pathlib.Path, tflm_dir: pathlib.Path, includes: str,
                work: pathlib.Path, n_inputs: int) -> dict:
    import tfsparse
    from tfsparse.codegen.hostbuild import firmware_root
    from tfsparse.codegen.tflm import tflm_arena_bytes

    name, _, encoding = spec.partition(":")
    path = models_dir / f"{name}.tflite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = tfsparse.convert(path, **({"encoding": encoding} if encoding else {}))
    x = np.load(models_dir / f"{name}_x.npy")
    x = np.resize(x, (n_inputs,) + x.shape[1:]) if len(x) < n_inputs else x[:n_inputs]
    xq = sm.quantize_input(x)
    proj = work / spec.replace(":", "_")
    tfsparse.generate(sm, proj, target="cortex-m4", tflm=True)
    ref = _tflm(path, xq).reshape(len(xq), -1)
    (proj / "tflm_cortex_m_inputs.h").write_text(_inputs_header(xq, ref.shape[1]))
    _sh(f"make -C {proj} tflm TFLM_DIR={tflm_dir} CROSS={CROSS} "
        f"{shlex.quote('TFLM_INCLUDES=-isystem ' + str(tflm_dir) + ' ' + includes.replace('-I', '-isystem '))} "
        "EXTRA_CFLAGS=-Werror -j2")
    runtime = firmware_root() / "runtime"  # tfsparse's SysTick counter (a TFLM-only project has no runtime/)
    inc = f"-I{proj} -I{proj}/tflm -I{runtime} -isystem {tflm_dir} {includes.replace('-I', '-isystem ')}"
    elf = proj / "tflm_fw.elf"
    _sh(f"{CROSS}g++ {CXXFLAGS} -Wall -Wextra -Werror {inc} -c {FW / 'harness.cc'} -o {proj / 'harness.o'}")
    _sh(f"{CROSS}gcc -std=c11 -O2 {CPU_FLAGS} -Wall -Wextra -Werror -c {runtime / 'tfs_counter.c'} "
        f"-o {proj / 'tfs_counter.o'}")
    _sh(f"{CROSS}g++ {CPU_FLAGS} -nostartfiles --specs=rdimon.specs -Wl,--gc-sections -T {FW / 'linker.ld'} "
        f"{proj / 'harness.o'} {proj / 'tfs_counter.o'} -Wl,--start-group {proj / 'tflm/libtfsparse_tflm.a'} {lib} "
        f"-Wl,--end-group -o {elf}")
    size = _sh(f"{CROSS}size -A {elf}")
    flash = sum(int(line.split()[1]) for line in size.splitlines()
                if line.split() and line.split()[0] in (".text", ".ARM.exidx", ".ARM.extab", ".data"))
    got = _parse(_sh(f"{QEMU} {elf}", timeout=3600))
    if not got["ok"] or len(got["outputs"]) != len(xq):
        raise SystemExit(f"{spec}: the firmware did not run {len(xq)} inputs: {got['runs']}")
    data = sm.to_tflite()
    mismatches = int((got["outputs"] != ref).sum())
    instructions = got["ticks"] * INSTRUCTIONS_PER_TICK
    hint_works = got["runs"][0]["status"] == 0
    min_arena, min_check, failures = smallest_arena(elf, got["runs"][-1]["arena"], got["outputs"])
    result = dict(
        model=name, encoding=encoding or "default", inputs=len(xq), distinct_outputs=len({r.tobytes() for r in ref}),
        mismatching_bytes_vs_tflm_python=mismatches, oracle="tflite_micro Python interpreter on the .tflite before "
        "sparse conversion", ops=sorted({op.kind + ("/" + op.weights.encoding if hasattr(op, "weights") else "")
                                         for op in sm.ops}),
        arena_hint=got["hint"], arena_hint_python=tflm_arena_bytes(data, 4), hint_works=hint_works,
        arena_used_bytes=got["runs"][-1]["arena_used_bytes"], min_working_arena=min_arena,
        min_arena_check_all_inputs=min_check, too_small_probes=failures, slack_bytes=got["hint"] - min_arena,
        instructions_reference_kernels=dict(mean=float(instructions.mean()), min=int(instructions.min()),
                                            max=int(instructions.max())),
        firmware_flash_bytes=flash, model_bytes=len(data))
    print(name, json.dumps(result), flush=True)
    return result


def _markdown(results, lib_note) -> str:
    rows = [[f"{r['model']} ({r['encoding']})", r["inputs"], r["mismatching_bytes_vs_tflm_python"], f"{r['arena_hint']:,}",
             f"{r['min_working_arena']:,}", f"{r['slack_bytes']:+,}", f"{r['arena_used_bytes']:,}",
             "yes" if r["hint_works"] else "**no**", f"{r['instructions_reference_kernels']['mean']:,.0f}",
             f"{r['firmware_flash_bytes']:,}",
             ", ".join(f"{k} {v}" for k, v in sorted(r["too_small_probes"].items()))] for r in results]
    table = markdown_table(["model (encoding)", "inputs", "mismatching bytes", "arena hint (B)",
                            "smallest working arena (B)", "slack", "arena_used_bytes()", "hint works",
                            "instructions / inference (TFLM reference kernels + tfsparse custom ops)",
                            "firmware flash (B)", "too-small probes: how they failed"], rows)
    return ("# Real TFLM on Cortex-M4 (QEMU mps2-an386): outputs and the arena hint of generate(..., tflm=True)\n\n"
            f"{table}\n\nOracle: tflite_micro's Python interpreter on each .tflite before sparse conversion. "
            "Arena hint = TFSPARSE_ARENA_BYTES of the generated header (tflm_arena_bytes, 4-byte pointers); the "
            "smallest working arena is bisected on the target, one QEMU run per probe (16-byte aligned buffer "
            "filled with 0xA5; AllocateTensors succeeds and the outputs of all inputs are unchanged); a probe "
            "below it fails in AllocateTensors (allocate) or crashes TFLM (fault: HardFault, no error "
            "returned). Instructions: Invoke() entry to return (SysTick x 40 under -icount shift=0) "
            "with TFLM's **reference kernels** for the builtins and tfsparse's custom ops (Cortex-M C kernels) for "
            "the sparse layers; not the CMSIS-NN anchor. Firmware flash: "
            f"the harness + model + all of TFLM the linker keeps. {lib_note}\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", default=list(MODELS), help="model[:encoding] (default: %(default)s)")
    ap.add_argument("--tflm-dir", type=pathlib.Path, help="root of a tflite-micro checkout (required; never downloaded)")
    ap.add_argument("--include", action="append", default=[], metavar="DIR",
                    help="third-party include dirs (flatbuffers/include, gemmlowp, ruy); default: TFLM's "
                         "tools/make/downloads/{flatbuffers/include,gemmlowp,ruy}")
    ap.add_argument("--lib", type=pathlib.Path, help="an existing Cortex-M4F libtflm.a built from --tflm-dir the same "
                                                     "way (skips the build)")
    ap.add_argument("--tflm-rev", help="tflite-micro revision for the record (default: git rev-parse of --tflm-dir)")
    ap.add_argument("--work-dir", type=pathlib.Path, default=pathlib.Path("/tmp/tfsparse-tflm-cortex-m"))
    ap.add_argument("--models-dir", type=pathlib.Path, help="NAME.tflite + NAME_x.npy (default: build them)")
    ap.add_argument("--inputs", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    if args.tflm_dir is None:
        ap.error("pass --tflm-dir PATH: the root of a tflite-micro checkout (e.g. git clone "
                 "https://github.com/tensorflow/tflite-micro; this script never downloads), and --include DIR for "
                 "flatbuffers/include, gemmlowp and ruy unless TFLM's tools/make/downloads holds them")
    tflm_dir = args.tflm_dir.resolve()
    if not (tflm_dir / "tensorflow/lite/micro/micro_interpreter.h").is_file():
        ap.error(f"--tflm-dir {tflm_dir}: no tensorflow/lite/micro/micro_interpreter.h; pass the root of a "
                 "tflite-micro checkout")
    downloads = tflm_dir / "tensorflow/lite/micro/tools/make/downloads"
    include_dirs = args.include or [downloads / "flatbuffers/include", downloads / "gemmlowp", downloads / "ruy"]
    missing = [str(d) for d in include_dirs if not pathlib.Path(d).is_dir()]
    if missing:
        ap.error(f"include dirs not found: {', '.join(missing)}; pass --include DIR for flatbuffers/include, "
                 "gemmlowp and ruy")
    includes = " ".join(f"-I{pathlib.Path(d).resolve()}" for d in include_dirs)
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.lib:
        lib, lib_note = args.lib.resolve(), "libtflm.a given with --lib (built from --tflm-dir with these flags)."
    else:
        lib, lib_note = build_tflm(tflm_dir, includes, work, args.jobs), "libtflm.a built by this script."
    rev = args.tflm_rev
    if rev is None:
        sha = subprocess.run(["git", "-C", str(tflm_dir), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True)
        rev = sha.stdout.strip() if sha.returncode == 0 else "(revision unknown: pass --tflm-rev)"
    lib_note += f" tflite-micro {rev}; {CROSS}g++ {CXXFLAGS}."
    models_dir = args.models_dir
    if models_dir is None:
        models_dir = work / "models"
        build_models(models_dir)
    results = []
    for spec in args.models:
        results.append(bench_model(spec, models_dir.resolve(), lib, tflm_dir, includes, work, args.inputs))
        write_results("tflm_cortex_m", dict(target="cortex-m4", qemu="mps2-an386", note=lib_note, results=results),
                      _markdown(results, lib_note))
    short = [r["model"] for r in results if not r["hint_works"] or r["slack_bytes"] < 0]
    bad = [r["model"] for r in results if r["mismatching_bytes_vs_tflm_python"] or r["min_arena_check_all_inputs"] != "ok"]
    if short or bad:
        print(f"arena hint too small: {short}; outputs differ: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
