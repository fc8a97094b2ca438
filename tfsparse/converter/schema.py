"""The TFLite flatbuffer schema, loaded without importing TensorFlow.

The generated schema module TensorFlow ships is loaded by file path, so ``tensorflow`` itself is not
imported (tflite-micro's copy is the fallback). Both the reader and the ``.tflite`` writer use it.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from ..errors import ConversionError

__all__ = ["schema", "enum_names", "TENSOR_TYPES"]

#: TFLite TensorType name -> numpy dtype name (the types tfsparse reads).
TENSOR_TYPES = {
    "FLOAT32": "float32", "FLOAT16": "float16", "INT32": "int32", "UINT8": "uint8", "INT64": "int64",
    "BOOL": "bool", "INT16": "int16", "INT8": "int8", "FLOAT64": "float64", "UINT64": "uint64",
    "UINT32": "uint32", "UINT16": "uint16",
}

_SCHEMA_FILES = (
    ("tensorflow", ("lite", "python", "schema_py_generated.py")),
    ("tflite_micro", ("tensorflow", "lite", "micro", "python", "schema_py_generated.py")),
)


@functools.lru_cache(maxsize=1)
def schema():
    """The generated TFLite schema module (object API included)."""
    for package, parts in _SCHEMA_FILES:
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec else []:
            path = os.path.join(root, *parts)
            if os.path.exists(path):
                file_spec = importlib.util.spec_from_file_location("tfsparse_tflite_schema", path)
                module = importlib.util.module_from_spec(file_spec)
                file_spec.loader.exec_module(module)
                return module
    raise ConversionError("cannot find the TFLite schema module: install tensorflow (pip install tensorflow)")


@functools.lru_cache(maxsize=1)
def enum_names():
    """(BuiltinOperator code -> name, TensorType code -> name, BuiltinOptions code -> name)."""
    s = schema()

    def names(enum):
        return {v: k for k, v in vars(enum).items() if not k.startswith("_")}

    return names(s.BuiltinOperator), names(s.TensorType), names(s.BuiltinOptions)
