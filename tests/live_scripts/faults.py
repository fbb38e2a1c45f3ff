"""Fault injection: ktexplain breaks while explaining; the original traceback must survive.

The hook is called exactly as the interpreter calls it for an uncaught exception
(``sys.excepthook(type, value, tb)``). Before each case the reference output of Python's own
hook is printed between markers, so the test can compare byte for byte.
"""

import io
import sys
from pathlib import Path

import keras
import keras_tuner as kt

import ktexplain
from ktexplain import hook, render


class Unprintable(ValueError):
    def __str__(self):
        raise RuntimeError("no str for you")


def build_conv(hp):
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(
                filters=hp.Int("filters", min_value=0, max_value=64, step=16), kernel_size=3
            ),
        ]
    )


def build_unprintable(hp):
    hp.Int("units", min_value=1, max_value=4)
    raise Unprintable("never shown")


def fail(build):
    try:
        kt.RandomSearch(
            build,
            objective="loss",
            max_trials=2,
            directory="tuner",
            project_name=build.__name__,
            overwrite=True,
        )
    except Exception:
        return sys.exc_info()
    raise AssertionError("the tuner was expected to fail")


def case(name, build, **options):
    exc_info = fail(build)
    marker = f"=== {name}"
    print(f"{marker} REFERENCE", file=sys.stderr, flush=True)
    sys.__excepthook__(*exc_info)
    print(f"{marker} HOOKED", file=sys.stderr, flush=True)
    ktexplain.install(**options)
    try:
        sys.excepthook(*exc_info)
    finally:
        ktexplain.uninstall()
    print(f"{marker} END", file=sys.stderr, flush=True)


broken = Path("broken-patterns")
broken.mkdir(exist_ok=True)
(broken / "mine.toml").write_text('category = "data-shape"\n[[pattern]\nid = "oops"\n')
case("broken-pattern-file", build_conv, patterns=broken)

original_render = render.render_reports


def exploding_render(*args, **kwargs):
    raise RuntimeError("render exploded")


render.render_reports = exploding_render
case("render-error", build_conv)
render.render_reports = original_render

closed = io.StringIO()
closed.close()
case("closed-stream", build_conv, file=closed)

case("unprintable-exception", build_unprintable)

original_database = hook.database


def exploding_database():
    raise OSError("patterns unreadable")


hook.database = exploding_database
case("database-error", build_conv)
hook.database = original_database
