"""`dialect_of` on real captured runs: Keras 3 on JAX or torch says `jax` / `torch` where the
backend's own paths or wording show, and a message Keras 3 raises before any op runs reads as
keras3 (it is word for word)."""

from __future__ import annotations

import pytest
from conftest import CAPTURED, read_fixture

from ktexplain.diagnose import dialect_of


def _dialect(fixture: str) -> str | None:
    failures = read_fixture(CAPTURED / fixture / "run.log")
    assert failures, f"no failure in {fixture}"
    return dialect_of(failures[0])


@pytest.mark.parametrize(
    "fixture",
    [
        "jax/shape-sequence-mse-targets",  # jax/_src/ frames, "got incompatible shapes"
        "jax/qa-rnn-shape-order",  # "dot_general requires contracting dimensions"
        "jax/shape-onehot-labels-sparse-loss",  # keras/src/backend/jax/nn.py
    ],
)
def test_jax_runs_say_jax(fixture):
    assert _dialect(fixture) == "jax"


@pytest.mark.parametrize(
    "fixture",
    [
        "torch/shape-sequence-mse-targets",  # "must match the size of tensor b"
        "torch/qa-rnn-shape-order",  # "mat1 and mat2 shapes cannot be multiplied"
        "torch/shape-labels-one-based",  # site-packages/torch/nn/functional.py
        "torch/shape-onehot-labels-sparse-loss",  # torch.Size([32, 10])
        # Keras's own input check, but every Keras layer is a torch Module: torch/nn/ frames
        "torch/shape-feature-count-equals-units",
    ],
)
def test_torch_runs_say_torch(fixture):
    assert _dialect(fixture) == "torch"


@pytest.mark.parametrize(
    ("fixture", "dialect"),
    [
        ("jax/layer-conv1d-kernel-too-large", "keras3"),  # Keras's own shape check, no JAX op
        ("keras3/layer-conv1d-kernel-too-large", "keras3"),
        ("keras2/shape-sequence-mse-targets", "keras2"),
    ],
)
def test_other_runs_keep_their_dialect(fixture, dialect):
    assert _dialect(fixture) == dialect
