"""tfsparse.converter: int8 ``.tflite`` -> CSR-encoded :class:`~tfsparse.converter.model.SparseModel`.

The public entry points are ``tfsparse.quantize`` (:mod:`.quantize`) and ``tfsparse.convert``
(:mod:`.api`); this package holds the IR, the CSR encodings, the flatbuffer reader/writer and the
NumPy reference ops.
"""
