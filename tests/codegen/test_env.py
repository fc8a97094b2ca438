"""Filters that turn numbers and names into C, and the template environment."""

from __future__ import annotations

import jinja2
import numpy as np
import pytest

from tfsparse.codegen.env import c_array, c_comment, c_identifier, environment, unique_identifiers


def test_c_array_lines_and_int32_min():
    text = c_array(np.array([1, -2, 3, -(1 << 31), 7], dtype=np.int64), per_line=2, indent="  ")
    assert text == "1, -2,\n  3, (-2147483647 - 1),\n  7"


def test_c_array_unsigned_above_int32():
    assert c_array(np.array([4294967295], dtype=np.uint32)) == "4294967295u"


@pytest.mark.parametrize(
    "name, expected",
    [("dense_1/MatMul;bias", "dense_1_matmul_bias"), ("3x", "l_3x"), ("int", "l_int"), ("///", "l_"),
     ("Ünïcode layer", "n_code_layer")],
)
def test_c_identifier(name, expected):
    assert c_identifier(name) == expected


def test_unique_identifiers_disambiguate():
    assert unique_identifiers(["a/b", "a_b", "a-b"]) == ["a_b", "a_b_2", "a_b_3"]


def test_c_comment_cannot_close_the_comment():
    assert "*/" not in c_comment("evil */ name\nnext")


def test_environment_is_strict():
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()
