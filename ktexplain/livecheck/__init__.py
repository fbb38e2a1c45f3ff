"""A live check of a search space before the search: build (and train one step) at its corners.

``ktexplain.check(tuner_or_hypermodel, x=None, y=None, max_builds=64)`` and
``ktexplain check train.py:build_model``. (The package is not named ``check``: that is the
public function ``ktexplain.check``, which a submodule of that name would shadow.)

1. The space is discovered the way keras-tuner's constructor does: a build with the defaults,
   then builds that activate each conditional scope never seen active. Every build may register
   new hyperparameters (``for i in range(hp.Int('num_blocks', ...))``); the space grows until no
   build adds to it.
2. Corners: each hyperparameter alone at each of its extremes, the others at their defaults —
   an Int/Float at its min and at the largest value its step really reaches, each Choice value,
   both Booleans. Then pairs of extremes, a greedy pairwise covering set (every pair of extremes
   of two hyperparameters appears in some build; not the full product).
3. With a sample of ``x``/``y``: one training step on it, one prediction, and the loss after the
   update (``test_on_batch``; a non-finite or thousandfold loss is a divergence risk).
4. Where a cause fails on one side of a numeric hyperparameter and not on the other, the boundary
   is found by bisection, so the region and the patched definition are exact
   (``num_blocks ≥ 4``, not ``num_blocks = 6``).

Each failure goes through the normal pipeline (``sources.live`` → ``pipeline.reports``) with the
configuration as the trial's values and the discovered space as its specs; every build, failed or
not, is a trial of the run, so each report says which region of the space fails.

The package: ``space`` (discovering the space; its corners and pairwise covering set),
``runner`` (building, training and bisecting), ``result`` (what was found, rendered),
``script`` (loading a script's function safely) and ``cli`` (the command line).
keras_tuner, Keras and TensorFlow are imported inside functions only.
"""

from ktexplain.livecheck.cli import build_parser, main
from ktexplain.livecheck.result import (
    EXIT_CLEAN,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Build,
    Change,
    CheckResult,
)
from ktexplain.livecheck.runner import DEFAULT_MAX_BUILDS, check
from ktexplain.livecheck.script import ScriptError, is_live_target, load_function
from ktexplain.livecheck.space import _levels as _levels

__all__ = [
    "DEFAULT_MAX_BUILDS",
    "EXIT_CLEAN",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "Build",
    "Change",
    "CheckResult",
    "ScriptError",
    "build_parser",
    "check",
    "is_live_target",
    "load_function",
    "main",
]
