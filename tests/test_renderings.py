"""Each rendering's recogniser, on real samples: the reader makes the same records from them.

The IPython / Jupyter samples under fixtures/renderings/ are real output, recaptured by
``.venv/bin/python fixtures/renderings/capture.py --ipython7 /tmp/ipy7/bin/python``; the
``corpus-*`` ones are copied from /work/shared/corpus/real_errors.jsonl (id and source below).
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from ktexplain.failure import Failure
from ktexplain.sources.notebook import failures_from_notebook
from ktexplain.sources.renderings import Chain
from ktexplain.sources.renderings.tflog import error_type
from ktexplain.sources.terminal import clean_line
from ktexplain.sources.text import failures_from_text

RENDERINGS = FIXTURES / "renderings"
FILTERS_ZERO = (
    "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=0."
)
AXIS_MISMATCH = (
    "Input 0 with name 'None' of layer 'dense' is incompatible with the layer: expected axis "
    "-1 of input shape to have value 10, but received input with shape (2, 3)"
)


def failures(text: str) -> list[Failure]:
    """The reader's real failures (no warnings, no candidate paragraphs)."""
    return [f for f in failures_from_text(text) if not f.warning and not f.candidate]


def first_line(failure: Failure) -> str:
    return failure.exception.message.splitlines()[0] if failure.exception.message else ""


def frames(failure: Failure, index: int = -1) -> list[tuple[str, int | None, str]]:
    return [(f.filename, f.lineno, f.function) for f in failure.chain[index].frames]


def sample(name: str) -> str:
    return (RENDERINGS / name).read_text(encoding="utf-8")


# -- IPython / Jupyter / Colab ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["ipython9-nocolor.txt", "ipython9-color.txt", "nbclient-output.txt"]
)
def test_ipython8_and_later_cells_give_python_records(name):
    found = failures(sample(name))
    # cells 3, 4, 5 (a chain: ValueError, then the RuntimeError raised from it) and 6
    assert [[r.type for r in f.chain] for f in found] == [
        ["ValueError"],
        ["ValueError"],
        ["ValueError", "RuntimeError"],
        ["ValueError"],
    ]
    conv, dense, chained, hidden = found
    assert first_line(conv) == FILTERS_ZERO
    assert frames(conv)[:2] == [("<cell In[3]>", 1, "<module>"), ("<cell In[2]>", 4, "build_model")]
    assert frames(conv)[2][1:] == (118, "__init__")
    assert frames(conv)[2][0].endswith("keras/src/layers/convolutional/conv2d.py")
    assert conv.exception.frames[0].line == "model = build_model(0)"  # the ----> line's code
    assert conv.exception.frames[-1].line == "raise ValueError("
    assert conv.user_frame() is not None and conv.user_frame().function == "build_model"
    # Keras 3's generic first line, the real message below it (ANSI bold gone)
    assert first_line(dense) == "Exception encountered when calling Sequential.call()."
    assert AXIS_MISMATCH in dense.exception.message
    assert frames(dense)[-1][2] == "assert_input_compatibility"
    assert chained.exception.message == "Too many failed attempts to build model."
    assert frames(chained)[0][:2] == ("<cell In[5]>", 4)
    assert chained.chain[0].message == FILTERS_ZERO
    # "[... skipping hidden 1 frame]" is dropped, not read as a frame or a message
    assert [f[2] for f in frames(hidden)][:2] == ["<module>", "build_model"]
    assert "skipping" not in hidden.traceback_text


def test_colour_is_only_decoration():
    plain, colour = failures(sample("ipython9-nocolor.txt")), failures(sample("ipython9-color.txt"))
    assert [f.chain for f in plain] == [f.chain for f in colour]
    plain7 = failures(sample("ipython7-nocolor.txt"))
    assert [f.chain for f in plain7] == [f.chain for f in failures(sample("ipython7-color.txt"))]


@pytest.mark.parametrize("name", ["ipython7-nocolor.txt", "ipython7-color.txt"])
def test_ipython7_frames_take_their_line_from_the_arrow(name):
    found = failures(sample(name))
    assert [f.exception.type for f in found] == ["ValueError"] * 2 + ["RuntimeError", "ValueError"]
    conv = found[0]
    cell, function = frames(conv)[:2]
    assert cell[0].startswith("<ipython-input-3-") and cell[1:] == (1, "<cell line: 0>")
    assert function[0].startswith("<ipython-input-2-") and function[1:] == (4, "build_model")
    assert conv.exception.frames[1].line == "layers.Conv2D(filters=filters, kernel_size=3),"
    assert frames(conv)[2][1:] == (118, "__init__")
    assert first_line(conv) == FILTERS_ZERO
    assert AXIS_MISMATCH in found[1].exception.message
    assert [r.type for r in found[2].chain] == ["ValueError", "RuntimeError"]


# HANDWRITTEN_EDGE_CASE: Colab collapses library frames behind "5 frames"; no real Colab
# capture is at hand, so the marker is put into the real IPython 7 capture where Colab puts it.
HANDWRITTEN_EDGE_CASE_COLAB_COLLAPSED = re.sub(
    r"\n(?=\S+/conv2d\.py in )", "\n5 frames\n", sample("ipython7-nocolor.txt"), count=1
)


def test_colab_collapse_marker_is_dropped():
    assert "\n5 frames\n" in HANDWRITTEN_EDGE_CASE_COLAB_COLLAPSED
    found = failures(HANDWRITTEN_EDGE_CASE_COLAB_COLLAPSED)
    assert len(frames(found[0])) == 4 and first_line(found[0]) == FILTERS_ZERO
    assert "5 frames" not in found[0].exception.message


def test_corpus_ipython7_paste_with_cell_line_function():
    # corpus id nb-001, source Ashi743/deep-learning-/keras_tuner.ipynb (ANSI kept)
    (found,) = failures(sample("corpus-nb-001.txt"))
    assert found.exception.type == "ValueError"
    assert first_line(found).startswith("A total of 3 objects could not be loaded.")
    assert frames(found)[0] == ("<ipython-input-41-250277557bbc>", 1, "<cell line: 1>")
    assert frames(found)[-1] == (
        "/usr/local/lib/python3.10/dist-packages/keras/src/saving/saving_lib.py",
        456,
        "_raise_loading_failure",
    )
    assert "List of objects that could not be loaded:" in found.exception.message


def test_corpus_ipython8_windows_paths_without_function():
    # corpus id nb-002, source Bharatgwl/Deep-learning/Customer_churn.ipynb
    (found,) = failures(sample("corpus-nb-002.txt"))
    assert found.exception.type == "TypeError"
    assert frames(found)[0] == ("<cell In[3]>", 1, "<module>")
    assert frames(found)[1] == (
        r"c:\Users\bhara\anaconda3\envs\myenv\lib\site-packages\tensorflow\__init__.py",
        37,
        "<module>",
    )
    assert found.exception.frames[1].line == (
        "from tensorflow.python.tools import module_util as _module_util"
    )


def test_corpus_ipython7_module_frame_and_root_errors_message():
    # corpus id nb-035, source bakerv/tf-hyperparameter-tuning/fashion_mnist_cnn_ht.ipynb
    (found,) = failures(sample("corpus-nb-035.txt"))
    assert found.exception.type == "ResourceExhaustedError"
    assert first_line(found) == "2 root error(s) found."
    assert "(0) Resource exhausted:  OOM when allocating tensor" in found.exception.message
    assert frames(found)[0] == ("<ipython-input-22-b7145afd8c6d>", 1, "<module>")
    assert frames(found)[1][1:] == (1214, "fit")
    assert frames(found)[1][0].startswith("~\\anaconda3\\lib\\site-packages\\tensorflow")


def test_notebook_error_outputs_go_through_the_same_recogniser():
    from_notebook = [f for f in failures_from_notebook(RENDERINGS / "nbclient-output.ipynb")]
    from_text = failures(sample("nbclient-output.txt"))
    assert [f.chain for f in from_notebook if not f.warning] == [f.chain for f in from_text]


def test_plain_python_tracebacks_pass_through_untouched():
    chain = Chain()
    lines = sample("tflog-tf.txt").splitlines()
    python_part = lines[lines.index("Traceback (most recent call last):") :]
    assert [out for line in python_part for out in chain.feed(clean_line(line))] == python_part


# -- quoted -----------------------------------------------------------------------------------
# The messages are real (fixtures/renderings/ipython9-nocolor.txt); the quoting is
# hand-written: parser edge cases of how people paste.

HANDWRITTEN_EDGE_CASE_MARKDOWN_QUOTE = f"""I get this when building the tuner:

> Traceback (most recent call last):
>   File "/home/me/search.py", line 11, in build_model
>     keras.layers.Conv2D(
> ValueError: {FILTERS_ZERO}

What am I doing wrong?
"""

HANDWRITTEN_EDGE_CASE_NESTED_QUOTE_AND_FENCE = f"""> > ```python
> > Traceback (most recent call last):
> >   File "/home/me/search.py", line 11, in build_model
> >     keras.layers.Conv2D(
> > ValueError: {FILTERS_ZERO}
> > ```
"""

HANDWRITTEN_EDGE_CASE_PYTEST = f"""    def test_build():
>       build_model(0)

tests/test_model.py:8:
E   ValueError: {FILTERS_ZERO}
"""


@pytest.mark.parametrize(
    "text",
    [HANDWRITTEN_EDGE_CASE_MARKDOWN_QUOTE, HANDWRITTEN_EDGE_CASE_NESTED_QUOTE_AND_FENCE],
)
def test_quoted_traceback_is_read_inside_its_quote(text):
    (found,) = failures(text)
    assert found.exception.type == "ValueError"
    # (prose after the quote runs on into the message, as after any pasted message)
    assert first_line(found) == FILTERS_ZERO
    assert frames(found) == [("/home/me/search.py", 11, "build_model")]
    assert found.exception.frames[0].line == "keras.layers.Conv2D("


def test_pytest_e_prefix_is_stripped():
    (found,) = failures(HANDWRITTEN_EDGE_CASE_PYTEST)
    assert (found.exception.type, found.exception.message) == ("ValueError", FILTERS_ZERO)


@pytest.mark.parametrize(
    "wrapped",
    [
        f"`ValueError: {FILTERS_ZERO}`",  # HANDWRITTEN_EDGE_CASE_BACKTICKS
        f"**ValueError: {FILTERS_ZERO}**",  # HANDWRITTEN_EDGE_CASE_BOLD
        f"_ValueError: {FILTERS_ZERO}_",  # HANDWRITTEN_EDGE_CASE_ITALIC
        f"> `ValueError: {FILTERS_ZERO}`",  # HANDWRITTEN_EDGE_CASE_QUOTED_BACKTICKS
    ],
)
def test_a_wrapped_exception_line_is_unwrapped(wrapped):
    (found,) = failures(wrapped)
    assert (found.exception.type, found.exception.message) == ("ValueError", FILTERS_ZERO)


def test_a_trailing_italic_mark_is_dropped():
    # HANDWRITTEN_EDGE_CASE_ITALIC_OVER_TWO_LINES
    (found,) = failures(f"_ValueError: {FILTERS_ZERO[:40]}\n{FILTERS_ZERO[40:]}_")
    assert found.exception.message == f"{FILTERS_ZERO[:40]}\n{FILTERS_ZERO[40:]}"


@pytest.mark.parametrize(
    "line",
    [
        "`filters` must be a positive integer, got `0`",  # a message's own backticks
        ">>> model.fit(x, y)",  # Python's prompt is not a quote
        "Epoch 1/10",
        "__init__",
        "E0000 00:00:1796047476.831262   14288 op_kernel.cc:1858] failed",
    ],
)
def test_lines_that_are_not_wrapped_are_left_alone(line):
    assert Chain().feed(line) == (line,)


def test_a_message_keeps_its_own_backticks():
    (found,) = failures(f"ValueError: {FILTERS_ZERO}")
    assert found.exception.message == FILTERS_ZERO


# -- TensorFlow's C++ log ---------------------------------------------------------------------


def test_tf_log_line_followed_by_its_traceback_is_one_failure():
    # real: stderr of TensorFlow 2.21 (fixtures/renderings/capture.py, TF_OP_FAILURE)
    (found,) = failures(sample("tflog-tf.txt"))
    assert found.exception.type == "tensorflow.python.framework.errors_impl.InvalidArgumentError"
    assert "Received a label value of 10" in found.exception.message
    assert frames(found)[0] == ("<string>", 2, "<module>")


def test_tf_log_line_alone_becomes_the_exception():
    # real: the W0000 line of the same capture, pasted without the traceback
    lines = [line for line in sample("tflog-tf.txt").splitlines() if line.startswith("W0000")]
    (found,) = failures("\n".join(lines))
    assert found.exception.type == "InvalidArgumentError"
    assert first_line(found) == (
        "Received a label value of 10 which is outside the valid range of [0, 2).  Label values: 10"
    )
    assert found.exception.frames == ()


# HANDWRITTEN_EDGE_CASE: TF 1.x / early 2.x format (date prefix, status in words), with the
# older [[Node: …]] line that must stay in the message.
HANDWRITTEN_EDGE_CASE_TF1_LOG = """\
2019-03-01 12:00:00.123456: W tensorflow/core/framework/op_kernel.cc:1401] OP_REQUIRES failed \
at sparse_xent_op.cc:103 : Invalid argument: Received a label value of 10 which is outside the \
valid range of [0, 10).  Label values: 10 3 5
\t [[Node: loss/dense_loss/SparseSoftmaxCrossEntropyWithLogits = \
SparseSoftmaxCrossEntropyWithLogits[T=DT_FLOAT]]]
Epoch 2/10
"""


def test_tf1_log_line_keeps_its_node_line():
    (found,) = failures(HANDWRITTEN_EDGE_CASE_TF1_LOG)
    assert found.exception.type == "InvalidArgumentError"
    assert first_line(found).startswith("Received a label value of 10")
    assert "[[Node: loss/dense_loss/SparseSoftmaxCrossEntropyWithLogits" in (
        found.exception.message
    )
    assert "Epoch 2/10" not in found.exception.message


def test_root_errors_without_their_type_get_the_first_errors_type():
    # corpus id nb-035 (bakerv/tf-hyperparameter-tuning/fashion_mnist_cnn_ht.ipynb): the
    # message pasted from "2 root error(s) found." on, its type line cut off
    text = sample("corpus-nb-035.txt")
    cut = text[text.index("2 root error(s) found.") :]
    (found,) = failures(cut)
    assert found.exception.type == "ResourceExhaustedError"
    assert first_line(found) == "2 root error(s) found."
    assert "(0) Resource exhausted:  OOM when allocating tensor" in found.exception.message
    assert "[[{{node GatherV2}}]]" in found.exception.message


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("Invalid argument", "InvalidArgumentError"),
        ("INVALID_ARGUMENT", "InvalidArgumentError"),
        ("Resource exhausted", "ResourceExhaustedError"),
        ("FAILED_PRECONDITION", "FailedPreconditionError"),
        ("Out of range", "OutOfRangeError"),
        ("Not found", "NotFoundError"),
        ("Unimplemented", "UnimplementedError"),
        ("Internal", "InternalError"),
        ("Unknown", "UnknownError"),
        ("Sunny", None),
    ],
)
def test_status_words_map_to_tensorflow_errors(status, error):
    assert error_type(status) == error


# -- keras-tuner 1.0 / 1.1 --------------------------------------------------------------------
# The lines are keras-tuner's own strings: 1.0.0 / 1.0.1 kerastuner/engine/hypermodel.py
# (display.warning → "[Warning] …"), 1.1.0 keras_tuner/engine/tuner.py (print). The sequence
# is the one KerasHyperModel.build prints; the trailing traceback is Python's own shape.

KERAS_TUNER_1_0_BUILD_FAILS = "\n".join(
    [f"[Warning] Invalid model {i}/5" for i in range(6)]
    + [
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.6/dist-packages/kerastuner/engine/hypermodel.py", '
        "line 115, in build",
        "    'Too many failed attempts to build model.')",
        "RuntimeError: Too many failed attempts to build model.",
    ]
)


def test_keras_tuner_1_0_failed_builds_then_its_runtime_error_is_one_failure():
    (found,) = failures(KERAS_TUNER_1_0_BUILD_FAILS)
    assert (found.exception.type, found.exception.message) == (
        "RuntimeError",
        "Too many failed attempts to build model.",
    )
    assert frames(found)[0][1:] == (115, "build")


def test_keras_tuner_1_1_last_invalid_model_alone_means_the_runtime_error():
    # keras-tuner 1.1.0 prints "Invalid model %s/%s"; a log cut before the traceback
    (found,) = failures("\n".join(f"Invalid model {i}/5" for i in range(6)))
    assert (found.exception.type, found.exception.message) == (
        "RuntimeError",
        "Too many failed attempts to build model.",
    )


def test_keras_tuner_invalid_models_that_recover_are_not_a_failure():
    assert failures("[Warning] Invalid model 0/5\n[Warning] Invalid model 1/5\nEpoch 1/10") == []


@pytest.mark.parametrize(
    "line",
    ["Too many failed attempts to build model.", "Too many consecutive oversized models."],
)
def test_keras_tuner_message_without_its_type_gets_runtime_error(line):
    (found,) = failures(line)
    assert (found.exception.type, found.exception.message) == ("RuntimeError", line)


def test_a_run_of_oversized_models_is_one_failure():
    # keras-tuner 1.0.0: display.warning('Oversized model: %s parameters -- skipping' % size)
    text = "\n".join(
        f"[Warning] Oversized model: {size} parameters -- skipping" for size in (180376, 240500)
    )
    (found,) = failures(text + "\nEpoch 1/10")
    assert found.exception.type == "RuntimeError"
    assert found.exception.message == "Oversized model: 180376 parameters -- skipping"


def test_oversized_models_ending_in_the_runtime_error_are_that_error():
    text = "\n".join(
        [f"[Warning] Oversized model: {180376 + i} parameters -- skipping" for i in range(6)]
        + ["RuntimeError: Too many consecutive oversized models."]
    )
    (found,) = failures(text)
    assert found.exception.message == "Too many consecutive oversized models."


def test_tf_log_line_in_a_long_log_is_emitted_when_no_traceback_comes():
    # real W0000 line (fixtures/renderings/tflog-tf.txt); the Epoch lines stand for a log going on
    (line,) = [line for line in sample("tflog-tf.txt").splitlines() if "OP_REQUIRES" in line]
    epochs = [f"Epoch {i}/200" for i in range(1, 201)]
    (found,) = failures("\n".join([line, *epochs]))
    assert found.exception.type == "InvalidArgumentError"
    assert "Epoch" not in found.exception.message


# -- the chain ----------------------------------------------------------------------------------


def test_held_lines_come_back_in_order():
    chain = Chain()
    rule = "-" * 75  # IPython's rule, or just a line of dashes in a log
    out = [*chain.feed(rule), *chain.feed("just text"), *chain.feed(rule)]
    assert out == [rule, "just text"]
    assert chain.close() == [rule]
    assert chain.feed("plain") == ("plain",)
