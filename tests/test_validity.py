from __future__ import annotations

import pytest

from ktexplain.failure import HyperParameterSpec
from ktexplain.validity import parse_valid, suggest

FILTERS = HyperParameterSpec("filters", "Int", {"min_value": 0, "max_value": 64, "step": 16})


def test_seed_filters_space_is_raised_to_the_next_step():
    assert suggest(FILTERS, parse_valid(">= 1")) == (
        "hp.Int('filters', min_value=16, max_value=64, step=16)"
    )


def test_dropout_rate_upper_bound_is_excluded():
    rate = HyperParameterSpec("rate", "Float", {"min_value": 0.0, "max_value": 1.0, "step": 0.25})
    assert suggest(rate, parse_valid("in [0, 1)")) == (
        "hp.Float('rate', min_value=0.0, max_value=0.75, step=0.25)"
    )


def test_choice_drops_bad_values_and_float_becomes_int():
    choice = HyperParameterSpec("units", "Choice", {"values": [0, 32, 64]})
    assert suggest(choice, parse_valid("> 0")) == "hp.Choice('units', values=[32, 64])"
    as_float = HyperParameterSpec("units", "Float", {"min_value": 8.0, "max_value": 64.0})
    assert suggest(as_float, parse_valid("int and >= 1")) == (
        "hp.Int('units', min_value=8, max_value=64)"
    )


def test_a_valid_space_needs_no_suggestion():
    assert suggest(FILTERS, parse_valid(">= 0")) is None


@pytest.mark.parametrize("text", ["", "between 1 and 2", ">= one", "in [1, 2"])
def test_unreadable_validity_is_an_error(text):
    with pytest.raises(ValueError):
        parse_valid(text)
