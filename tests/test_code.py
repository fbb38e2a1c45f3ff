"""The search space read from the user's source with `ast` (nothing executed)."""

from __future__ import annotations

from ktexplain.sources.code import source_specs, spec_on_line

SOURCE = """
import keras_tuner as kt

def build_model(hp):
    model = keras.Sequential()
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(keras.layers.Dense(hp.Int(f"units_{i}", min_value=0, max_value=256, step=32)))
    model.add(keras.layers.Dropout(hp.Float("rate", 0.0, 0.5, step=0.1, default=0.2)))
    lr = hp.Choice("learning_rate", [1e-2, 1e-3])
    n = hp.Int("computed", 1, x.shape[1] // 2)   # max_value is not a literal
    return model

def broken(
"""


def test_literal_definitions_and_loop_names_are_read_from_source():
    assert source_specs(SOURCE) == ()  # a file that does not parse yields nothing
    specs = {s.spec.name: s for s in source_specs(SOURCE.replace("def broken(\n", ""))}
    assert specs["num_layers"].spec.describe() == "hp.Int('num_layers', min_value=1, max_value=3)"
    units = specs["units_0"]  # f"units_{i}" in `for i in range(...)`: the first name is units_0
    assert units.name_pattern is not None and units.name_pattern.match("units_2")
    assert units.spec.default() == 0
    assert specs["rate"].spec.default() == 0.2
    assert "default=0.2" in specs["rate"].spec.describe()
    assert specs["learning_rate"].spec.default() == 1e-2
    assert specs["computed"].spec.config == {"min_value": 1}  # the non-literal bound is left out


def test_the_definition_on_a_traceback_line():
    line = 'keras.layers.Dropout(hp.Choice("dropout", [0, 0.25, 0.5])),'
    spec = spec_on_line(line)
    assert spec is not None and spec.describe() == "hp.Choice('dropout', values=[0, 0.25, 0.5])"
    assert spec_on_line('Dense(hp.Int("a", 1, 2), hp.Int("b", 1, 2))') is None  # ambiguous
    assert spec_on_line("keras.layers.Conv2D(") is None
