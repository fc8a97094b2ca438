"""Shared fixtures. TensorFlow is imported once per session, lazily, by the fixtures that need it."""

from __future__ import annotations

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def mnist_data():
    from tfsparse import datasets

    return datasets.mnist()


@pytest.fixture(scope="session")
def digits_data():
    from tfsparse import datasets

    return datasets.digits()
