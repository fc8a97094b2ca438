"""The Jinja2 environment of the code generator and its filters (numbers to C, names to C).

Templates come from the package data ``tfsparse._templates`` (works from an installed wheel), with
``StrictUndefined`` so a missing context field is an error, not an empty string.

Example:
    >>> c_array([1, -2, 3], per_line=2)
    '1, -2,\\n3'
    >>> c_identifier("dense_1/MatMul;bias")
    'dense_1_matmul_bias'
"""

from __future__ import annotations

import functools
import re

import jinja2
import numpy as np

__all__ = ["environment", "c_array", "c_initializer", "c_identifier", "unique_identifiers", "c_comment", "C_KEYWORDS"]

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert "
    "_Thread_local alignas alignof bool true false".split()
)


def c_array(values, per_line: int = 16, indent: str = "") -> str:
    """Format integers as the body of a C array initializer, ``per_line`` to a line.

    int32 minimum is written ``(-2147483647 - 1)`` (a bare ``-2147483648`` is not an int in C).
    """
    flat = np.asarray(values).reshape(-1).tolist()
    items = ["(-2147483647 - 1)" if v == -(1 << 31) else (f"{v}u" if v > 0x7FFFFFFF else str(v)) for v in flat]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return (",\n" + indent).join(lines)


def c_initializer(value, indent: str = "") -> str:
    """A C initializer for ``value``: a dict becomes designated fields (nested dicts nest), a list an
    array ``{a, b}``, an int a number, a string is written as is (a name or expression).

    >>> print(c_initializer({"a": 1, "b": {"c": "NULL"}, "d": [1, 2]}))
    {
        .a = 1,
        .b = {
            .c = NULL,
        },
        .d = {1, 2},
    }
    """
    if isinstance(value, dict):
        inner = indent + "    "
        body = "".join(f"{inner}.{k} = {c_initializer(v, inner)},\n" for k, v in value.items())
        return "{\n" + body + indent + "}"
    if isinstance(value, (list, tuple)):
        return "{" + c_array(value, per_line=1 << 30) + "}"
    if isinstance(value, str):
        return value
    return c_array([int(value)])


def c_identifier(name: str, prefix: str = "l_") -> str:
    """A valid, lower-case C identifier for ``name`` (a layer or model name).

    Runs of other characters become one ``_``; a leading digit, an empty result or a C keyword get
    ``prefix`` in front.
    """
    ident = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()
    if not ident or ident[0].isdigit() or ident in C_KEYWORDS:
        ident = prefix + ident
    return ident


def unique_identifiers(names, prefix: str = "l_") -> list:
    """:func:`c_identifier` of each name, with ``_2``, ``_3``... appended where two would collide."""
    seen, out = set(), []
    for name in names:
        base = c_identifier(name, prefix)
        ident, n = base, 1
        while ident in seen:
            n += 1
            ident = f"{base}_{n}"
        seen.add(ident)
        out.append(ident)
    return out


def c_comment(text) -> str:
    """Text safe inside a ``/* */`` comment on one line."""
    return " ".join(str(text).replace("*/", "* /").replace("/*", "/ *").split())


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment (package loader, StrictUndefined, trimmed blocks)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tfsparse._templates", "."),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["c_array"] = c_array
    env.filters["c_comment"] = c_comment
    env.filters["c_initializer"] = c_initializer
    env.filters["hex"] = lambda v, width=8: f"0x{int(v):0{width}X}"
    return env
