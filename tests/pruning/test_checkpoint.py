"""A .keras checkpoint saved mid-pruning resumes at the same step and masks and ends at the target."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.pruning.masks import num_kept

SCHEDULE = dict(initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=38, frequency=5)  # 8 steps/epoch


from tfsparse.pruning.callbacks import pruned_layers as _wrappers


def _fit(model, data, epochs, initial_epoch=0):
    (x, y), _ = data
    model.fit(
        x, y, batch_size=64, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0,
        callbacks=[tfsparse.UpdatePruningStep()],
    )


@pytest.mark.slow
@pytest.mark.parametrize("ranking", ["local", "global"])
def test_resume_from_keras_file(tf_keras3, small_data, compile_model, tmp_path, ranking):
    _, keras = tf_keras3

    def pruned():
        return compile_model(tfsparse.prune_low_magnitude(
            tfsparse.models.digits_mlp(seed=8), tfsparse.PolynomialDecay(**SCHEDULE), ranking=ranking))

    straight = pruned()
    _fit(straight, small_data, 5)

    first = pruned()
    _fit(first, small_data, 2)
    path = tmp_path / "mid.keras"
    first.save(path)
    with tfsparse.prune_scope():
        resumed = keras.models.load_model(path)
    plain = keras.models.load_model(path)  # classes are registered: no scope needed either
    for loaded in (resumed, plain):
        for a, b in zip(_wrappers(first), _wrappers(loaded)):
            assert int(b.pruning_step.numpy()) == int(a.pruning_step.numpy()) == 16
            kernel, mask, threshold = (v.numpy() for v in b.pruning_vars[0])
            np.testing.assert_array_equal(mask, a.pruning_vars[0][1].numpy())
            assert float(threshold) == float(a.pruning_vars[0][2].numpy())
            assert np.count_nonzero(kernel[mask == 0]) == 0  # the checkpoint holds exact zeros
            assert b.pruning_schedule == a.pruning_schedule
    _fit(resumed, small_data, 5, initial_epoch=2)
    kept = total = 0
    for a, b in zip(_wrappers(straight), _wrappers(resumed)):
        assert int(b.pruning_step.numpy()) == 40
        kernel = b.pruning_vars[0][0].numpy()
        kept, total = kept + np.count_nonzero(kernel), total + kernel.size
        if ranking == "local":
            assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.8))
        np.testing.assert_array_equal(b.pruning_vars[0][1].numpy(), a.pruning_vars[0][1].numpy())
        np.testing.assert_allclose(kernel, a.pruning_vars[0][0].numpy(), rtol=1e-5, atol=1e-6)
    if ranking == "global":
        assert kept == int(num_kept(total, 0.8))  # one threshold across the layers


def test_fresh_process_loads_right_after_import_tfsparse(tf_keras3, tmp_path):
    """`import tfsparse` (no TensorFlow yet), then keras.models.load_model: the classes are registered."""
    import subprocess
    import sys
    import textwrap

    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=1), tfsparse.PolynomialDecay(0.0, 0.5, 0, 10))
    path = tmp_path / "pruned.keras"
    pruned.save(path)
    code = textwrap.dedent(
        f"""
        import sys
        import tfsparse
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        import keras
        model = keras.models.load_model({str(path)!r})
        layer = model.get_layer("prune_low_magnitude_fc1")
        print(type(layer).__name__, type(layer.pruning_schedule).__name__)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["PruneLowMagnitude", "PolynomialDecay"]


@pytest.mark.parametrize(
    "content, says",
    [
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "is an HDF5 file.*load_model\\('model.h5'\\)"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n", "is a Git LFS pointer.*git lfs pull"),
        (b"", "is empty.*save the model again"),
        (b"PK\x03\x04 truncated", "is not a zip archive \\(14 bytes.*truncated or not a Keras model"),
    ],
)
def test_non_zip_keras_file_says_what_it_is(tf_keras3, tmp_path, content, says):
    _, keras = tf_keras3
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"model.keras exists but {says}"):
        with tfsparse.prune_scope():
            keras.models.load_model(path)
    assert path.read_bytes() == content  # the user's file is left alone
    with pytest.raises(ValueError, match="File not found"):  # a missing file keeps Keras' own message
        with tfsparse.prune_scope():
            keras.models.load_model(tmp_path / "missing.keras")
