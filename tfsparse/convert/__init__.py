"""tfsparse.convert: int8 ``.tflite`` -> CSR-encoded :class:`~tfsparse.convert.ir.SparseModel`.

``tfsparse.convert`` is both this package and the public function :func:`tfsparse.convert.api.convert`.
Python binds a package's submodule to its parent's attribute on import (``import
tfsparse.convert.quantize`` sets ``tfsparse.convert`` to this package), so the package itself is made
callable: ``tfsparse.convert(tflite, encoding=...)`` calls the function whichever object the name holds.
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, tflite, *, encoding="smallest"):
        from .api import convert

        return convert(tflite, encoding=encoding)


sys.modules[__name__].__class__ = _CallablePackage
