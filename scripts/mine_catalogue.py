"""Mine the versioned message catalogue from the released packages themselves.

Walks the Python sources of Keras, tf.keras (inside TensorFlow), tf-keras, Keras 3 and
keras-tuner wheels with `ast`, finds `raise SomeError(<message>)` sites and warning/log calls in
the modules that matter for building, fitting and tuning a model, and turns each message into a
template (literal text with `{name}` holes for the formatted parts). From TensorFlow's shared
libraries it keeps the printf-style op-kernel messages (a `strings`-like scan of the binary).
Templates are grouped across versions into families keyed by their invariant literal phrase and
written to catalogue/messages.jsonl.

Standard library only. Wheels live outside the repository, by default in /work/wheels as
`<name>-<version>/<file>.whl` (what `pip download -d /work/wheels/<name>-<version>` makes);
`--download` fetches the ones missing. TensorFlow wheels are large: the first run extracts what
it needs into `<name>-<version>/extracted/` (the relevant .py files and the binary's strings)
and `--delete-wheels` then removes the wheel; later runs read the extracted copy.

    python scripts/mine_catalogue.py [--wheels DIR] [--download] [--delete-wheels]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "catalogue" / "messages.jsonl"
DEFAULT_WHEELS = Path("/work/wheels")

# (pip name, version, extra pip-download arguments). Old TensorFlow wheels need an old Python
# tag; TensorFlow is sampled, not exhaustive (300-600 MB a wheel).
_TF_OLD = ["--platform", "manylinux2010_x86_64"]
_TF_NEW = ["--platform", "manylinux2014_x86_64"]
VERSIONS: list[tuple[str, str, list[str]]] = [
    *[
        ("keras", v, [])
        for v in [
            "2.2.4",
            "2.3.1",
            "2.6.0",
            "2.7.0",
            "2.8.0",
            "2.9.0",
            "2.10.0",
            "2.11.0",
            "2.12.0",
            "2.13.1",
            "2.14.0",
            "2.15.0",
            "3.0.0",
            "3.0.5",
            "3.1.1",
            "3.2.1",
            "3.3.3",
            "3.4.1",
            "3.5.0",
            "3.6.0",
            "3.7.0",
            "3.8.0",
            "3.9.2",
            "3.10.0",
            "3.11.3",
            "3.12.4",
            "3.13.2",
            "3.14.1",
            "3.15.1",
        ]
    ],
    *[
        ("keras-tuner", v, [])
        for v in [
            "1.0.0",
            "1.0.1",
            "1.0.2",
            "1.0.3",
            "1.0.4",
            "1.1.0",
            "1.1.3",
            "1.2.1",
            "1.3.5",
            "1.4.0",
            "1.4.8",
        ]
    ],
    *[("tf-keras", v, []) for v in ["2.15.0", "2.17.0", "2.21.0"]],
    ("tensorflow", "1.15.5", ["--python-version", "3.7", *_TF_OLD]),
    ("tensorflow", "2.0.4", ["--python-version", "3.7", *_TF_OLD]),
    ("tensorflow", "2.1.4", ["--python-version", "3.7", *_TF_OLD]),
    ("tensorflow", "2.2.3", ["--python-version", "3.8", *_TF_OLD]),
    ("tensorflow", "2.3.4", ["--python-version", "3.8", *_TF_OLD]),
    ("tensorflow", "2.4.4", ["--python-version", "3.8", *_TF_OLD]),
    ("tensorflow", "2.5.3", ["--python-version", "3.8", *_TF_OLD]),
    ("tensorflow", "2.10.1", ["--python-version", "3.10", *_TF_NEW]),
    ("tensorflow", "2.15.1", ["--python-version", "3.11", *_TF_NEW]),
    ("tensorflow", "2.21.0", []),  # this machine's own platform tags
]

# --------------------------------------------------------------------------------------------
# Which modules are read. Paths are normalised first: the package prefix (keras/, keras/src/,
# tf_keras/src/, tensorflow/python/keras/, keras_tuner/src/, kerastuner/) is stripped and the
# rest is matched against these.
# --------------------------------------------------------------------------------------------
_PREFIXES = [
    ("tensorflow/python/keras/", "keras"),
    ("tensorflow/python/", "tf"),
    ("keras/src/", "keras"),
    ("keras/", "keras"),
    ("tf_keras/src/", "keras"),
    ("tf_keras/", "keras"),
    ("keras_tuner/src/", "tuner"),
    ("keras_tuner/", "tuner"),
    ("kerastuner/", "tuner"),
]
# Every layer module (Keras 3 `layers/<group>/<layer>.py`, Keras 2 / tf-keras
# `layers/<group>/…` and the older flat `layers/*.py`: attention, convolutional incl.
# transpose / separable / depthwise, core, merging, normalization, pooling, the preprocessing
# layers users put in models, regularization, reshaping, rnn incl. wrappers, activations), the
# learning-rate schedules (`optimizers/schedules/`, `optimizer_v2/learning_rate_schedule.py`),
# all of `trainers/` (Keras 3's compile/fit structure checks, y_true vs y_pred) and `losses`.
KERAS_AREAS = re.compile(
    r"^(engine/(training|input_spec|functional|sequential|data_adapter|compile_utils|base_layer"
    r"|input_layer|network)|models/(functional|sequential|model)\.py"
    r"|trainers/.+\.py"
    r"|layers/.+\.py"
    r"|losses(\.py|/)|activations(\.py|/)|optimizers?(\.py|/)|optimizer_v[12]"
    r"|optimizer_experimental/|backend(\.py|/tensorflow/(nn|trainer)\.py)"
    r"|backend/tensorflow_backend\.py|ops/(nn|operation_utils)\.py"
    r"|utils/(conv_utils|generic_utils|argument_validation|np_utils|numerical_utils)\.py"
    r"|saving/(serialization_lib|legacy/serialization)\.py)"
)
# Skipped inside those areas: tests, benchmarks, distribution / dtensor internals, the
# `experimental/` API re-export folders, Keras 3's `legacy/` (the tf.keras compatibility
# shims), and the tf.compat.v1 RNN cells (`layers/legacy_rnn/`, `layers/rnn/legacy_cell*`:
# `tf.nn.rnn_cell`, not layers users put in a Keras model). Preprocessing layers and
# learning-rate schedules used to be skipped; they are read now.
KERAS_SKIP = re.compile(
    r"(^|/)(tests?|testing|.*_test\.py$|benchmarks?/|distribute/|dtensor/|experimental/"
    r"|legacy_rnn/|legacy_cell)|^legacy/"
)
TUNER_AREAS = re.compile(r"^(engine/|tuners/|oracle)")
TF_AREAS = re.compile(
    r"^(ops/(nn_ops|array_ops|nn_impl|math_ops)\.py|framework/(tensor_shape|common_shapes)\.py)"
)


def area_of(path: str) -> tuple[str, str] | None:
    """(kind, module path relative to the package) for a file worth reading, else None."""
    path = path.replace("tensorflow_core/", "tensorflow/", 1)
    if not path.endswith(".py"):
        return None
    for prefix, kind in _PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if KERAS_SKIP.search(rest):
                return None
            areas = {"keras": KERAS_AREAS, "tuner": TUNER_AREAS, "tf": TF_AREAS}[kind]
            return (kind, rest) if areas.match(rest) else None
    return None


# --------------------------------------------------------------------------------------------
# Python sources → templates
# --------------------------------------------------------------------------------------------
WARN_FUNCS = {"warn", "warning", "warn_once", "log_first_n", "error"}
_PCT = re.compile(
    r"%(\((?P<key>\w+)\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
_FMT = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}!:]*)(![rsa])?(:[^{}]*)?\}")


def _esc(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _hole_name(node: ast.AST | None, conv: str = "") -> str:
    """A short readable name for what fills a hole: `units`, `input_shape`, `len_shape`."""
    if node is None:
        return {"d": "int", "i": "int", "f": "float", "g": "float", "e": "float"}.get(conv, "value")
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _hole_name(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "value")
        wrappers = {"str", "repr", "type", "list", "tuple", "int", "float", "format", "getattr"}
        if fname in wrappers and node.args:
            inner = _hole_name(node.args[0])
            return f"type_{inner}" if fname == "type" else inner
        if fname == "len" and node.args:
            return "len_" + _hole_name(node.args[0])
        return fname
    if isinstance(node, ast.Constant):
        return "value"
    return "value"


class Templater:
    """Turns a message expression into a template string, or None when it has no literal text."""

    def __init__(self, assigns: dict[str, ast.AST]):
        self.assigns = assigns
        self.depth = 0

    def render(self, node: ast.AST) -> str | None:
        self.depth += 1
        try:
            if self.depth > 12:
                return None
            return self._render(node)
        finally:
            self.depth -= 1

    def hole(self, node: ast.AST | None, conv: str = "") -> str:
        return "{" + _hole_name(node, conv) + "}"

    def _part(self, node: ast.AST) -> str:
        out = self.render(node)
        return out if out is not None else self.hole(node)

    def _render(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant):
            return _esc(node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(_esc(str(value.value)))
                elif isinstance(value, ast.FormattedValue):
                    parts.append(self.hole(value.value))
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.render(node.left), self.render(node.right)
            if left is None and right is None:
                return None
            return (left if left is not None else self.hole(node.left)) + (
                right if right is not None else self.hole(node.right)
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            fmt = self._literal(node.left)
            if fmt is None:
                return None
            args: list[ast.AST] = []
            keyed: dict[str, ast.AST] = {}
            if isinstance(node.right, ast.Tuple):
                args = list(node.right.elts)
            elif isinstance(node.right, ast.Dict):
                keyed = {
                    k.value: v
                    for k, v in zip(node.right.keys, node.right.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                }
            else:
                args = [node.right]
            return self._percent(fmt, args, keyed)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        ):
            fmt = self._literal(node.func.value)
            if fmt is None:
                return None
            keyed = {kw.arg: kw.value for kw in node.keywords if kw.arg}
            return self._format(fmt, list(node.args), keyed)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and node.args
        ):
            return None
        if isinstance(node, ast.Name) and node.id in self.assigns:
            value = self.assigns.pop(node.id)  # no cycles
            try:
                return self.render(value)
            finally:
                self.assigns[node.id] = value
        is_str = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if is_str and node.func.id == "str" and node.args:  # type: ignore[attr-defined]
            return self.render(node.args[0])  # type: ignore[attr-defined]
        return None

    def _literal(self, node: ast.AST) -> str | None:
        """The raw (unescaped) literal of a format string: a constant or a concatenation."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._literal(node.left), self._literal(node.right)
            if left is not None and right is not None:
                return left + right
        if isinstance(node, ast.Name) and node.id in self.assigns:
            value = self.assigns.pop(node.id)
            try:
                return self._literal(value)
            finally:
                self.assigns[node.id] = value
        return None

    def _percent(self, fmt: str, args: list[ast.AST], keyed: dict[str, ast.AST]) -> str:
        out, pos, index = [], 0, 0
        for m in _PCT.finditer(fmt):
            out.append(_esc(fmt[pos : m.start()]))
            pos = m.end()
            if m["conv"] == "%":
                out.append("%")
                continue
            if m["key"]:
                out.append(self.hole(keyed.get(m["key"]) or ast.Name(m["key"]), m["conv"]))
            else:
                out.append(self.hole(args[index] if index < len(args) else None, m["conv"]))
                index += 1
        out.append(_esc(fmt[pos:]))
        return "".join(out)

    def _format(self, fmt: str, args: list[ast.AST], keyed: dict[str, ast.AST]) -> str:
        out, pos, auto = [], 0, 0
        for m in _FMT.finditer(fmt):
            out.append(_esc(fmt[pos : m.start()]))
            pos = m.end()
            if m.group(0) in ("{{", "}}"):
                out.append(m.group(0))
                continue
            field = m["field"].split(".")[0].split("[")[0]
            if field == "":
                node = args[auto] if auto < len(args) else None
                auto += 1
            elif field.isdigit():
                node = args[int(field)] if int(field) < len(args) else None
            else:
                node = keyed.get(field) or ast.Name(field)
            out.append(self.hole(node))
        out.append(_esc(fmt[pos:]))
        return "".join(out)


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _function_assigns(func: ast.AST) -> dict[str, ast.AST]:
    """Simple `msg = ...` / `msg += ...` assignments in a function, for `raise X(msg)`."""
    assigns: dict[str, ast.AST] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id not in assigns:
                assigns[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            assigns.setdefault(node.target.id, node.value)
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.op, ast.Add)
            and node.target.id in assigns
        ):
            assigns[node.target.id] = ast.BinOp(assigns[node.target.id], ast.Add(), node.value)
    return assigns


def python_messages(source: str) -> Iterator[tuple[str, str, str]]:
    """(kind, exception type, template) for every raise / warning in one module."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # Keras 2.2.4 is Python 2 compatible but parses; anything that doesn't is skipped.
        return
    scopes: list[ast.AST] = [tree] + [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    seen: set[int] = set()
    for scope in scopes:
        assigns = _function_assigns(scope) if scope is not tree else {}
        for node in ast.walk(scope):
            if id(node) in seen:
                continue
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                exc_name = _call_name(node.exc.func)
                if not re.search(r"(Error|Exception|Warning)$", exc_name):
                    continue
                args = node.exc.args
                if exc_name.endswith("InvalidArgumentError") and len(args) >= 3:
                    msg = args[2]
                elif args:
                    msg = args[0]
                else:
                    continue
                seen.add(id(node))
                text = Templater(dict(assigns)).render(msg)
                if text and len(args) > 1 and msg is args[0]:
                    # str(ValueError("msg:", x)) is the tuple: ('msg:', 'x')
                    extra = ", ".join("'" + Templater({}).hole(a) + "'" for a in args[1:])
                    text = "('" + text + "', " + extra + ")"
                if text:
                    yield "raise", exc_name, text
            elif isinstance(node, ast.Call) and _call_name(node.func) in WARN_FUNCS:
                owner = node.func.value if isinstance(node.func, ast.Attribute) else None
                owner_name = _call_name(owner) if owner is not None else ""
                if owner_name not in {
                    "warnings",
                    "logging",
                    "tf_logging",
                    "absl_logging",
                    "io_utils",
                }:
                    continue
                args = node.args
                if _call_name(node.func) == "log_first_n" and len(args) >= 2:
                    msg = args[1]
                elif args:
                    msg = args[0]
                else:
                    continue
                seen.add(id(node))
                templater = Templater(dict(assigns))
                text = templater.render(msg)
                if owner_name != "warnings":
                    # logging.warning("%s is deprecated ...", name): the arguments fill the
                    # printf holes at log time.
                    extra = args[args.index(msg) + 1 :]
                    if _call_name(node.func) == "log_first_n":
                        extra = extra[1:]  # (level, msg, n, *args)
                    fmt = templater._literal(msg)
                    if fmt is not None and _PCT.search(fmt):
                        text = templater._percent(fmt, list(extra), {})
                if not text:
                    continue
                if owner_name == "warnings":
                    category = "UserWarning"
                    if len(args) >= 2:
                        category = _call_name(args[1]) or category
                    for kw in node.keywords:
                        if kw.arg == "category":
                            category = _call_name(kw.value) or category
                    yield "warning", category, text
                else:
                    yield "log", "WARNING", text


# --------------------------------------------------------------------------------------------
# Shared libraries → printf-style op-kernel templates
# --------------------------------------------------------------------------------------------
SO_NAME = re.compile(
    r"(_pywrap_tensorflow_internal\.so|libtensorflow_framework\.so|libtensorflow_cc\.so)"
)
_PRINTABLE = re.compile(rb"[\x20-\x7e]{12,400}")
# The five causes' op messages: the binary has hundreds of thousands of strings; these
# keywords decide which are worth looking at, the text itself always comes from the binary.
SO_KEEP = re.compile(
    r"(label value|logits and labels|labels must be|Negative dimension size|Computed output size"
    r"|Matrix size-incompatible|Incompatible shapes|ConcatOp|must be broadcastable"
    r"|Dimensions must be equal|Shape must be rank|Shapes must be equal rank|must be at least rank"
    r"|Input to reshape is a tensor|input depth must be evenly divisible|input and filter must have"
    r"|must be 4-dimensional|must be 5-dimensional"
    r"|Current implementation does not yet support strides"
    r"|Sliding window ksize|Sliding window strides|Depth of output|Depth of input"
    r"|is not in \[0, |Received a label|filter must be|input must be|logits must be"
    r"|labels and logits|rank of logits|Dimension size must be evenly divisible)",
)
SO_DROP = re.compile(
    r"(\.cc|\.h:|::|/|\btest\b|^[a-z_]+$|^[A-Z][A-Za-z]+$|%\{|@|<|>|\bDEBUG\b|^\s|\\|XLA|HLO"
    r"|IrEmitter|[Ff]us(ed|ing)|gc\.relocate|AddrSpaceCast|Eigen|json_object|Quantized|_Scoped"
    r"|TF_STRING|example|feature|dataset|Fragment|cuDNN padding|TensorFlow padding|Window"
    r"|padding_(low|high|interior|value)|explicit_paddings|GetWindowed|statepoint|Folding|\{mode"
    r"|structures|query|tensor_names|Dynamic|Malformed|Args index|RetVal|HandleElement"
    r"|ValidateInput|Subshape|Offset|backprop|Backprop|_grad|gradient|original_image|tensor_out"
    r"|tensor_in|seq_lens|sizes input|crops|selector|Tile|Transpose|libxsmm|Unhandled|paddings"
    r"|padding entries|padding must be a matrix|Pad operation|Mismatched type|Interior|uneven"
    r"|interior|Convolution %s|Concatenate dimension|GetDimensionSize|Broadcast dimension"
    r"|index out of bounds$|number of elements$|Bad padding|Nonzero|Only SAM|Invalid padding"
    r"|Eager|summary|^\$|^'|^\)|^\]|^\?|^: (out|filter must be $|input must be $)|^[a-z]+ must"
    r"(?! be (broadcastable|4-dimensional|3-dimensional|5-dimensional))|shape of tensor describing"
    r"|^padding:|trivial dimensions|padding configuration|add tensor to the batch|Indices are not"
    r"|Scalar input|second input must be a scalar|output_shape has|(1D|2D) input|First dimension of"
    r"|at least rank 1, got 0|padding values)"
)


def so_strings(stream: io.BufferedIOBase) -> Iterator[str]:
    tail = b""
    while True:
        chunk = stream.read(1 << 26)
        if not chunk:
            break
        data = tail + chunk
        last = 0
        for m in _PRINTABLE.finditer(data):
            if m.end() >= len(data) - 1:
                break
            last = m.end()
            yield m.group().decode("ascii")
        tail = data[max(last, len(data) - 4096) :]
    for m in _PRINTABLE.finditer(tail):
        yield m.group().decode("ascii")


# Of the candidates above, only the op messages that carry one of the five causes' invariant
# phrase and that a Keras model actually runs into are kept as families. Generic kernel
# checks (`Shape must be rank 0 but is rank`, `min_filter must be rank 0`, MKL / MLIR verifier
# texts, `PartialTensorShape: Incompatible shapes during merge`, …) are dropped: they say
# nothing a pattern could explain.
SO_FAMILIES = re.compile(
    r"^(Negative dimension size caused by subtracting|Computed output size would be negative"
    r"|Received a label value of|Matrix size-incompatible|Incompatible shapes: "
    r"|logits and labels must (be broadcastable|have the same first dimension"
    r"|be either 2-dimensional)|Input to reshape is a tensor with"
    r"|(_Mkl)?ConcatOp : (Dimensions of inputs|Ranks of all input tensors) should match"
    r"|Input batch dimensions must be broadcastable|Dimensions must be equal, but are"
    r"|input depth must be evenly divisible by filter depth"
    r"|Depth of input must be a multiple of depth of filter"
    r"|Current implementation does not yet support strides in the batch and depth"
    r"|Sliding window ksize must be positive)"
)


def keep_so(text: str) -> bool:
    return bool(
        SO_KEEP.search(text)
        and not SO_DROP.search(text)
        and re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", text)
        and len(text) < 300
        and SO_FAMILIES.search(text.lstrip(": "))
    )


def so_is_fragment(text: str) -> bool:
    """A `StrCat` piece (TensorFlow appends the values at run time), not a whole message."""
    return text != text.rstrip() or text.rstrip()[-1:] in (":", "(", "[", "=", ",")


_SO_SPEC = re.compile(r"%(?:[-#0 +]*\d*(?:\.\d+)?(?:l{0,2}|z|j)?[dius]|%)")


def so_template(text: str) -> str:
    """printf holes → `{int}` / `{str}`, the rest escaped."""
    out, pos = [], 0
    for m in _SO_SPEC.finditer(text):
        out.append(_esc(text[pos : m.start()]))
        spec = m.group()
        out.append("%" if spec == "%%" else "{str}" if spec.endswith("s") else "{int}")
        pos = m.end()
    out.append(_esc(text[pos:]))
    return "".join(out).strip()


# --------------------------------------------------------------------------------------------
# Reading wheels (and the extracted copy of a big TensorFlow wheel)
# --------------------------------------------------------------------------------------------
def package_dir_files(pkgdir: Path) -> Iterator[tuple[str, str]]:
    """(member path, source) of the relevant Python files; also 'SO-STRINGS' → strings text."""
    extracted = pkgdir / "extracted"
    if (extracted / ".complete").exists():
        for path in sorted(extracted.rglob("*")):
            if path.is_file() and path.name != ".complete":
                rel = path.relative_to(extracted).as_posix()
                yield rel, path.read_text(encoding="utf-8", errors="replace")
        return
    archives = sorted(pkgdir.glob("*.whl")) + sorted(pkgdir.glob("*.tar.gz"))
    if not archives:
        return
    archive = archives[0]
    big = archive.stat().st_size > 50_000_000
    collected: list[tuple[str, str]] = []
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            so_lines: list[str] = []
            for info in zf.infolist():
                name = info.filename
                if area_of(name):
                    collected.append((name, zf.read(info).decode("utf-8", errors="replace")))
                elif SO_NAME.search(name.rsplit("/", 1)[-1]):
                    with zf.open(info) as stream:
                        so_lines.extend(sorted({s for s in so_strings(stream) if keep_so(s)}))
            if so_lines:
                collected.append(("SO-STRINGS", "\n".join(sorted(set(so_lines))) + "\n"))
    else:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                name = member.name.split("/", 1)[1] if "/" in member.name else member.name
                if member.isfile() and area_of(name):
                    handle = tf.extractfile(member)
                    if handle is not None:
                        collected.append((name, handle.read().decode("utf-8", errors="replace")))
    if big:
        extracted.mkdir(exist_ok=True)
        for name, text in collected:
            target = extracted / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (extracted / ".complete").write_text("")
    yield from collected


def download(wheels: Path) -> None:
    for name, version, extra in VERSIONS:
        pkgdir = wheels / f"{name}-{version}"
        if (pkgdir / "extracted" / ".complete").exists() or list(pkgdir.glob("*.whl")):
            continue
        names = ["tensorflow-cpu", "tensorflow"] if name == "tensorflow" else [name]
        for pip_name in names:
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
            cmd += ["--only-binary=:all:", "-d", str(pkgdir), f"{pip_name}=={version}", *extra]
            if subprocess.run(cmd, check=False).returncode == 0:
                break
        else:
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:"]
            subprocess.run([*cmd, "-d", str(pkgdir), f"{name}=={version}"], check=False)


# --------------------------------------------------------------------------------------------
# Families
# --------------------------------------------------------------------------------------------
_HOLE = re.compile(r"\{\{|\}\}|\{[^{}]*\}")


def literal_runs(template: str) -> list[str]:
    runs, pos = [], 0
    for m in _HOLE.finditer(template):
        if m.group() in ("{{", "}}"):
            continue
        runs.append(template[pos : m.start()])
        pos = m.end()
    runs.append(template[pos:])
    return [r.replace("{{", "{").replace("}}", "}") for r in runs]


def normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"[`'\"]", "'", text)
    return text.strip(" .,:;-=(['\n")


def invariant_of(template: str) -> str:
    runs = [normalise(r) for r in literal_runs(template)]
    return max(runs, key=lambda r: (len(re.findall(r"[A-Za-z]+", r)), len(r)))


def kebab(text: str, words: int = 8) -> str:
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(tokens[:words]) or "message"


# --------------------------------------------------------------------------------------------
# Grouping templates into families
# --------------------------------------------------------------------------------------------
_MODULE_ALIASES = re.compile(
    r"\b(?:tensorflow\.python\.keras|tensorflow\.keras|tf\.keras|tf_keras|TF-Keras|tf-keras)\b"
)
_WORD = re.compile(r"[A-Za-z0-9_]+")


def canon_words(text: str) -> list[str]:
    """The words of a message with module paths, quoting and punctuation normalised away:
    `from keras.src.utils import x`, `from tf_keras.src.utils import x` and `from keras.utils
    import x` give the same words; so do backticks, quotes, trailing dots and spacing."""
    text = _MODULE_ALIASES.sub("keras", text)
    text = re.sub(r"\.(?:src|python)\.", ".", text)
    return _WORD.findall(text)


HOLE_WORD = "#"


def skeleton(template: str) -> list[str]:
    """Lower-case words of the literal text, `#` for each hole (leading/trailing holes dropped)."""
    words: list[str] = []
    runs = literal_runs(printf_to_holes(template))
    for index, run in enumerate(runs):
        if index:
            words.append(HOLE_WORD)
        words.extend(w.lower() for w in canon_words(run))
    while words and words[0] == HOLE_WORD:
        words.pop(0)
    while words and words[-1] == HOLE_WORD:
        words.pop()
    return words


# The same fault worded differently across versions, where the wordings share too short a
# leading phrase to be grouped automatically: (family key, regex over the skeleton text).
MERGES: list[tuple[str, str]] = [
    ("expected-ndim", r"incompatible with (the )?layer (# )?expected ndim # found ndim"),
    ("expected-min-ndim", r"incompatible with (the )?layer (# )?expected min_ndim # found ndim"),
    ("expected-max-ndim", r"incompatible with (the )?layer (# )?expected max_ndim # found ndim"),
    (
        "expected-axis-value",
        r"incompatible with (the )?layer (# )?expected axis # of input shape"
        r" to have value",
    ),
    (
        "expected-shape",
        r"^input # (with name # )?(of layer # is|is) incompatible with (the )?layer (# )?expected"
        r" shape",
    ),
    (
        "expects-n-inputs",
        r"^layer # expects # (named )?input(s)? (s )?(with keys # )?but it received"
        r"|^layer # expected # input s received # instead",
    ),
    ("channel-dimension-undefined", r"^the channel dimension of the inputs"),
    ("concatop-dimensions-should-match", r"^_?(mkl)?concatop dimensions of inputs should match"),
    ("concatop-ranks-should-match", r"^_?(mkl)?concatop ranks of all input tensors should match"),
    ("state-expected-shape", r"^state # is incompatible with layer # expected shape"),
    ("could-not-interpret-loss", r"^could not interpret loss (function )?identifier"),
    (
        "no-loss-to-optimize",
        r"^the model cannot be (compiled|trained|run) because it has no loss"
        r" to optimize",
    ),
    ("lr-deprecated", r"^(the )?lr (argument )?is deprecated"),
    (
        "clipnorm-global-clipnorm",
        r"(at most|only) one of clipnorm (clipvalue )?and global_clipnorm"
        r"|cannot accept both clipnorm and global_clipnorm",
    ),
    ("kwarg-deprecated-new-optimizer", r"^# is deprecated in the new (tf )?keras optimizer"),
    (
        "units-positive-integer",
        r"^received an invalid value for (argument )?units expected a"
        r" positive integer",
    ),
    ("relu-max-value-negative", r"^max_value of (a )?relu layer cannot be"),
    ("relu-negative-slope-negative", r"^negative_slope of (a )?relu layer cannot be"),
    ("relu-threshold-negative", r"^threshold of a relu layer cannot be"),
    (
        "dropout-rate-range",
        r"^(rate|invalid value # received for rate|invalid value received for"
        r" argument rate) .*(range 0 1|between 0 and 1)",
    ),
    (
        "padding-valid-same",
        r"^(argument )?padding must be (either )?(one of )?(valid or same|same"
        r" or valid)",
    ),
    (
        "data-format-channels",
        r"data_format must be (in )?(channels_last or channels_first"
        r"|channels_first or channels_last)|^invalid data_format # expected",
    ),
    ("decay-negative", r"^decay cannot be less than 0"),
    ("optimizer-cannot-recognize-variable", r"optimizer cannot recognize variable"),
    ("must-be-an-int", r"^# must be an int (found|received)"),
    ("sampling-greater-than-max", r"min_value # is greater than the max_value"),
    # layer modules read since the areas were widened
    (
        "bidirectional-merge-mode",
        r"^(invalid merge mode|unrecognized value for (argument )?merge_mode)",
    ),
    ("permute-dims-consecutive", r"dims must be consecutive and start from 1"),
    (
        "output-padding-vs-strides",
        r"must be greater than output padding|output_padding must be strictly less than",
    ),
    ("merge-different-batch-sizes", r"^can ?not merge tensors with different batch sizes"),
]
_MERGES = [(key, re.compile(rx)) for key, rx in MERGES]


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def group_skeletons(
    skeletons: list[tuple[str, ...]],
) -> tuple[dict[tuple[str, ...], int], dict[int, str]]:
    """skeleton → family number. Equal skeletons are one family; so are the ones an entry of
    MERGES names, and two wordings that share a leading phrase of at least six words covering
    three quarters of the shorter one (`… expected a positive integer, got 0` and `… expected
    a positive integer. Received: units=0`)."""
    unique = sorted(set(skeletons))
    parent = list(range(len(unique)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    merged: dict[str, int] = {}
    forced: set[int] = set()
    for i, sk in enumerate(unique):
        text = " ".join(sk)
        for key, rx in _MERGES:
            if rx.search(text):
                forced.add(i)
                if key in merged:
                    union(i, merged[key])
                else:
                    merged[key] = i
                break
    for i, a in enumerate(unique):
        if i in forced:
            continue
        for j in range(i + 1, len(unique)):
            b = unique[j]
            if j in forced:
                continue
            n = _common_prefix(a, b)
            if n >= 6 and n >= 0.75 * min(len(a), len(b)):
                union(i, j)
    names = {find(i): key for key, i in merged.items()}
    return {sk: find(i) for i, sk in enumerate(unique)}, names


def common_phrase(texts: list[str]) -> str:
    """The longest run of words (no hole inside) that every template contains, in the words
    and case of the first one."""
    runs_of = []
    for text in texts:
        runs = [canon_words(r) for r in literal_runs(printf_to_holes(text))]
        runs_of.append([" " + " ".join(w.lower() for w in run) + " " for run in runs if run])
    best: list[str] = []
    for run in (canon_words(r) for r in literal_runs(printf_to_holes(texts[0]))):
        for size in range(len(run), len(best), -1):
            for start in range(len(run) - size + 1):
                gram = " " + " ".join(w.lower() for w in run[start : start + size]) + " "
                if all(any(gram in r for r in runs) for runs in runs_of):
                    best = run[start : start + size]
                    break
            else:
                continue
            break
    return " ".join(best) if best else invariant_of(texts[0])


# Relevance. The catalogue keeps a few hundred families, not every raise in Keras: a message is
# kept when the category rules put it in one of the five causes, or it is a keras-tuner
# message (tuner usage), or a clear environment problem. IRRELEVANT drops internals first.
# Made precise when the areas were widened to every layer module (changes marked `was:`):
# - `merge_mode` dropped Bidirectional's `Invalid merge mode` / `Unrecognized value for
#   merge_mode` (an invalid enum-like value, hyperparameter-value): removed.
# - `go_backwards` dropped Bidirectional's forward/backward `go_backwards` rule (an
#   unsupported argument combination, layer-constraint): removed.
# - `structures` dropped `y_true and y_pred have different structures` (data-shape); the only
#   other message with it (`sample_weight` per output) is dropped by `sample_weight`: removed.
# - `image` dropped the image preprocessing layers' rank checks (`Expected the input image to
#   be rank 3 or 4`, layer-constraint); now only the bounding-box converters' `image_shape` /
#   `convert_format` internals are dropped.
# - `fully defined` dropped Flatten's `The shape of the input to "Flatten" is not fully
#   defined` and RandomCrop's static height/width rule (layer-constraint): removed.
# - `fft` dropped the STFT/Mel spectrogram layers' `fft_length` rules; now only a bare
#   `fft` / `rfft` (the ops) is dropped.
# - `iterations` dropped SpectralNormalization's `power_iterations should be greater than
#   zero` (hyperparameter-value); now only the optimizer's own `iterations` counter.
# - `tpu` matched inside "ou*tpu*t": every message with the word `output` was dropped (the
#   output_padding rules, `A target array with shape … for an output of shape`, the
#   from_logits warnings, Keras 3's `Computed output size would be negative`, …); now `tpu`
#   not after a letter. Likewise `fused` (in "con*fused*"), `lora` (in "exp*lora*tion"),
#   `grain`, `slot` and `enum` are now whole words.
# - `Vocabulary file … does not exist` (a lookup layer's missing file: environment / file
#   errors are `other`) is dropped; it would otherwise take the id `does-not-exist` from
#   keras-tuner's `hp.get()` family.
IRRELEVANT = re.compile(
    r"((?<![a-z])tpu|distribut|strategy|mixed.?precision|dtensor|checkpoint|h5py|hdf5|saved.?model"
    r"|serializ(?!ed)|get_config|from_config|jit_compile|xla|ragged|sparse ?tensor|keras_?tensor"
    r"|tensorboard|profil|autograph|run_eagerly|steps_per_execution|\bjax\b|torch|openvino"
    r"|\bmask(ing|s)?\b|quantiz|\blora\b|dtype policy|int8|float8|not implemented|abstract"
    r"|must implement|must be implemented|stateless|variable (creation|scope)|tf\.function"
    r"|symbolic|eager|graph\b|MultiOptimizer|LossScale|loss scale|\bslots?\b|(?<!power_)iterations"
    r"|super\(\)"
    r"|gradient_transformers|ema_overwrite|exclude_from_weight_decay|M1/M2|sparse variable"
    r"|apply_gradients|optimizer_variables|\bvariables? (must|should|of)|inbound node|node_index"
    r"|_keras_history|weights? (file|for model)|load_weights|set_weights|internal error"
    r"|callback|PyDataset|\bgrain\b|generator|Sequence\b|steps_per_epoch|validation_steps|sample_weight"
    r"|class_weight|initial_epoch|workers|multiprocessing|dataset iterator|ran out of data"
    r"|unroll|stateful|reset_states|initial_state|constants|cudnn|time_major"
    r"|return_state|recurrent_dropout|implementation|state_size|state_spec|cell\b|cells\b"
    r"|trainable|non_trainable|\bbuilt\b|build\(\) (method|was)|call\(\) (method|was)|rank of the"
    r" inputs to bidirectional|functional api|subclass|__init__|kwargs\b.*call"
    r"|layer\.(add_|get_)|add_loss|add_metric|add_weight|activity_regularizer|regularizer"
    r"|initializer|constraint|layout|sharding|device|seed|will be removed|predict_classes"
    r"|batch_dims|NCHW_VECT_C|'NWC'|\benum\b|\bmax_filter|spatial partition"
    r"|virtual_batch_size|replicas|\bfused|vocabulary file"
    r"|block_size|validation_freq|shuffle|OptimizerMap|optimizer_map|default_optimizer"
    r"|convert_to_legacy|compiled_metrics|deprecated\. Instead|dataset you passed|`dynamic`"
    r"|input_spec attribute|Layer input_spec|`condition`|batch_dot|bias dimensions|muon"
    r"|weight list|weight shape|Multiple optimizers|Optimizer for variable|batch_shape"
    r"|input_tensor|dtype|bounding|image_shape|convert_format|cdist|einsum|\b[ir]*fft\d?\b"
    r"|segment_ids|top_k)",
    re.I,
)

# tensorflow/python/ops and framework: only the shape checks a Keras model runs into.
TF_RELEVANT = re.compile(
    r"(Negative dimension|Computed output|logits|labels|Dimensions must be equal|Shapes .* are"
    r" incompatible|Shape must be|must have the same|broadcastable|\brate\b|dropout|filter"
    r"|strides|dilation|padding|num_spatial_dims|Incompatible shapes|incompatible)",
    re.I,
)

CATEGORY_RULES: list[tuple[str, str]] = [
    # Order matters: the first rule that matches wins. Specific phrases first.
    (
        "environment",
        r"(no module named|pip install|is not installed|please install|requires? "
        r"(tensorflow|keras|scipy|the .* package)|CUDA|cuDNN|\bGPU\b|out of memory|\bOOM\b)",
    ),
    (
        "data-shape",
        r"(Negative dimension size|Computed output size would be negative|Error when checking"
        r"|A target array with shape|Arguments `?target`? and `?output`? must have the same"
        r"|logits and labels must|labels must be|Received a label value|Incompatible shapes"
        r"|Matrix size-incompatible|ConcatOp|expected axis|to have value .* but received"
        r"|expected shape=|found shape=|Shapes .* are incompatible|Dimensions must be equal"
        r"|Input to reshape|must be broadcastable|same first dimension|Data cardinality"
        r"|same number of samples|labels\.shape|logits\.shape|shape of labels|target\.shape"
        r"|y_true|y_pred|the target shape|input shape .* (mismatch|incompatible)"
        r"|but got array with shape|have the same shape|rank \(ndim\) `target\.ndim)",
    ),
    (
        "layer-constraint",
        r"(ndim|min_ndim|max_ndim|expected \d*-?D|to be \d-?D|kernel_size"
        r"|pool_size|strides|padding|dilation|Kernel shape|data_format|input depth|depth of input"
        r"|should be called on a list|called on a list|input_spec|Keyword argument not understood"
        r"|not a valid argument|unexpected keyword|must have the same length as input|rank \d"
        r"|dimensions? of the inputs|last dimension of the inputs|fully-?defined|should be defined"
        r"|input_dim|input_length|concatenat|merge layer|\baxis\b)",
    ),
    (
        "activation",
        r"(activation|Received a label value|outside the valid range|from_logits|softmax"
        r"|sigmoid|probabilit|loss function|Unknown loss|Could not interpret loss|loss identifier"
        r"|no loss to optimize)",
    ),
    (
        "optimizer",
        r"(optimizer|learning.?rate|\blr\b|\bdecay\b|clipnorm|clipvalue|momentum"
        r"|nesterov|beta_1|beta_2|amsgrad|\brho\b|epsilon|ema_momentum|weight_decay"
        r"|initial_accumulator|l[12]_regularization_strength|Allowed kwargs)",
    ),
    (
        "hyperparameter-value",
        r"(hyperparameter|min_value|max_value|\bstep\b|sampling|Choice"
        r"|Boolean|Fixed|default (value )?(must|should)|parent_name|conditional_scope"
        r"|(positive|non-negative|nonnegative) (integer|value|float|int)|strictly positive"
        r"|must be (>|greater|positive|non-negative|in the range|between)|between 0 and 1"
        r"|in the range|Invalid value|must be an? (int|integer|float)|cannot be (a )?negative"
        r"|must be > ?0|must be >= ?[01]|\brate\b|\bunits\b|\bfilters\b)",
    ),
    (
        "tuner-usage",
        r"(objective|trial|tuner|oracle|max_trials|max_epochs|executions_per_trial"
        r"|hypermodel|search|metric|HyperParameters?)",
    ),
]
_CATEGORY_RULES = [(cat, re.compile(rx, re.I)) for cat, rx in CATEGORY_RULES]

# Families the keyword rules get wrong: (regex over the family's invariant phrase, category,
# reason). Each reason cites the labelling conventions of /work/shared/corpus/README.md
# ("conventions"): a family is one of the five only when its cause is the data's shape, an
# invalid hyperparameter value, a layer's own rule, an activation / loss / output mismatch, or
# optimizer parameters. Setup, bookkeeping and API misuse are `other` (`tuner-usage` for
# keras-tuner's own), missing packages or files `environment`.
OVERRIDES: list[tuple[str, str, str]] = [
    # --- said to be a loss/activation problem because the text says "loss"
    (
        r"^no loss to optimize|has no loss to optimize",
        "other",
        "compile() was called without a loss (or fit() before compile): setup, not a loss/output"
        " mismatch (conventions: other)",
    ),
    (
        r"^Could not interpret loss_weights argument",
        "other",
        "a malformed compile(loss_weights=…) argument is API misuse, not a loss/output mismatch",
    ),
    (
        r"^in the loss argument but they can t be found",
        "other",
        "dict keys of compile(loss=…) that name no output: output-name bookkeeping (conventions:"
        " other)",
    ),
    (
        r"^Invalid value for argument reduction",
        "other",
        "a misspelt `reduction` of a loss object is a typo that is none of the five",
    ),
    # --- the label/loss rows the conventions name explicitly
    (
        r"^Received a label value of",
        "activation",
        "conventions, activation: `Received a label value of X which is outside the valid range"
        " of [0, N)` (the output layer has fewer units than classes)",
    ),
    (
        r"^expected y_pred shape to be batch_size num_classes|expected y_pred shape to be",
        "activation",
        "a one-unit output with a categorical loss (`Consider using binary_crossentropy and a"
        " sigmoid`): a loss/output mismatch",
    ),
    (
        r"This axis has size 1 The softmax operation",
        "activation",
        "softmax over a one-unit output always gives 1: an activation/output mismatch",
    ),
    (
        r"^while using as loss",
        "data-shape",
        "integer labels with categorical_crossentropy (`expects targets to be binary matrices`):"
        " the label shape vs the loss, the mirror of `one-hot labels with a sparse loss`",
    ),
    (
        r"should equal rank of logits minus 1",
        "data-shape",
        "labels' rank vs logits' rank: conventions, data-shape `label shape vs output shape` /"
        " one-hot labels with a sparse loss",
    ),
    # --- optimizer parameters that the rules put elsewhere
    (
        r"^Unexpected keyword argument passed to optimizer",
        "optimizer",
        "an argument the optimizer does not take (`lr`, `decay`, …): conventions, optimizer"
        " (deprecated `lr` and `decay` arguments)",
    ),
    (
        r"is not a valid argument kwargs should be empty",
        "optimizer",
        "an argument the new optimizer does not take (`decay`, …): conventions, optimizer",
    ),
    (
        r"^gradient_accumulation_steps must be an integer",
        "optimizer",
        "an optimizer constructor argument out of range: optimizer parameters",
    ),
    # --- optimizer bookkeeping and setup, not its parameters
    (
        r"optimizer-cannot-recognize-variable",
        "other",
        "one optimizer reused across models (built outside the model-building function): setup,"
        " not an optimizer parameter",
    ),
    (
        r"^to override does not match the length of",
        "other",
        "optimizer state vs model variables when loading/overriding: bookkeeping",
    ),
    (
        r"^Cannot add duplicate optimizer variable",
        "other",
        "optimizer variable bookkeeping under sharding: not a parameter",
    ),
    (
        r"but is being saved in TensorFlow format",
        "other",
        "saving a model's weights with its optimizer: file/saving, not a parameter",
    ),
    (
        r"^Learning rate schedule must override",
        "other",
        "a custom LearningRateSchedule subclass without __call__: API misuse",
    ),
    (
        r"^Missing learning rate please set self learning_rate",
        "other",
        "a custom optimizer subclass that sets no learning rate: API misuse",
    ),
    (
        r"^keras compat v1 keras Optimizer|compat v1 keras Optimizer",
        "other",
        "a TF1 optimizer object in eager mode: environment/API, not a parameter value",
    ),
    (
        r"^You must compile (a|your) model before",
        "other",
        "fit() before compile(): setup (conventions: other)",
    ),
    # --- keras-tuner search-space definitions the rules call tuner usage
    (
        r"^Can contain only int float str or bool|^A Choice can contain only int float str or bool",
        "hyperparameter-value",
        "conventions, hyperparameter-value: a Choice of values of an unsupported type",
    ),
    (
        r"^ordered must be False for non numeric types",
        "hyperparameter-value",
        "an invalid hp.Choice definition (ordered=True on strings)",
    ),
    (
        r"^values must be provided$",
        "hyperparameter-value",
        "hp.Choice without values: an invalid hp definition",
    ),
    (
        r"^does not exist$",
        "hyperparameter-value",
        "hp.get() of a name never defined: conventions, `an undefined hyperparameter name`",
    ),
    (
        r"^is currently inactive$|^is not currently active$",
        "hyperparameter-value",
        "hp.get() of a conditional hyperparameter outside its condition: an invalid hp use",
    ),
    (
        r"^sampling can only be set on an Int when step 1",
        "tuner-usage",
        "the real corpus item nb-062 (labelled other): keras-tuner 1.0-1.1 replaying a project"
        " saved by a newer keras-tuner (sampling='linear' with a step), a stale directory /"
        " version mismatch, not a value invalid in itself; real labels win over keywords",
    ),
    (
        r"HyperParameter type not recognized|^Unrecognized HyperParameter type",
        "tuner-usage",
        "deserialising a hyperparameter config of an unknown class: tuner bookkeeping",
    ),
    (
        r"^If you set (allow|tune)_new_entries False",
        "tuner-usage",
        "tuner arguments that contradict each other: tuner setup",
    ),
    (
        r"^The filters argument must be a regex string",
        "other",
        "`filters` of a weight-selection API (regex strings), not Conv filters",
    ),
    # --- TensorFlow conv internals: the input's rank / channels, not a hyperparameter
    (
        r"n was estimated as len filters shape 2|filters shape rank|^input shape rank must be"
        r"|When num_spatial_dims is not set",
        "layer-constraint",
        "tf.nn.convolution's rank checks: the input's ndim vs the kernel (conventions,"
        " layer-constraint: expected ndim)",
    ),
    (
        r"channel count must be compatible with filters|input channels does not match filters",
        "data-shape",
        "the input's channel count vs the kernel's: conventions, data-shape (input feature count)",
    ),
    (
        r"input depth must be evenly divisible by filter depth"
        r"|Depth of input must be a multiple of depth of filter",
        "data-shape",
        "the input's channel count vs the kernel's: conventions, data-shape (input feature count)",
    ),
    (
        r"cropping must be greater than the input|must be greater than the input length"
        r"|cropping parameter of Cropping",
        "data-shape",
        "cropping larger than the input: like too much downsampling for the image size"
        " (conventions, data-shape)",
    ),
    (
        r"^A Concatenate layer requires inputs with matching shapes except for the concat axis",
        "data-shape",
        "the older wording (Keras 2.2/2.3, tf.keras 1.15/2.0) of the Concatenate mismatch the"
        " captured scenario shape-concatenate-branches labels data-shape: branches whose spatial"
        " sizes disagree",
    ),
    (
        r"with dimension 0 at reduction axis",
        "data-shape",
        "a GlobalPooling input with a dimension of 0: too much downsampling for the image size"
        " (conventions, data-shape)",
    ),
    (
        r"^axis must be of type int Received axis|^Only axis 1 is currently supported Received",
        "other",
        "a loss function's `axis` argument misused (a bool passed as axis, or a channels-first"
        " axis to sparse_categorical_crossentropy): API misuse, not an activation / loss / output"
        " mismatch (conventions: other)",
    ),
    (
        r"^axis size must be divisible by 2 Received",
        "activation",
        "the GLU activation on an axis of odd size: the activation does not fit the layer's"
        " output (conventions, activation: an activation / output mismatch)",
    ),
    # --- a zero / negative size is a value invalid in itself; the rules say layer-constraint
    (
        r"^The argument (kernel_size|strides) cannot contain|^all values of (strides|dilation_rate)"
        r" must be positive|^dilation_rate must be positive",
        "hyperparameter-value",
        "a size of 0 or below is a value invalid in itself (conventions, hyperparameter-value:"
        " `filters or units of 0`); layer-constraint is the tuple's length",
    ),
    (
        r"^input_dim must be a positive integer",
        "hyperparameter-value",
        "Embedding input_dim ≤ 0: a value invalid in itself (conventions, hyperparameter-value)",
    ),
    # --- a combination of valid values: the layer's rule, not an invalid value
    (
        r"^The number of filters must be evenly divisible by the number of groups",
        "layer-constraint",
        "filters and groups are each valid, their combination is not: conventions,"
        " layer-constraint `an unsupported argument combination`",
    ),
    (
        r"^Inputs have incompatible shapes Received shapes",
        "layer-constraint",
        "Add/Multiply/… inputs of different widths: the merge layer's own rule (as the captured"
        " scenario layer-residual-add-width is labelled)",
    ),
    # --- not a failure, or tf.nn internals a Keras layer never reaches
    (
        r"In TensorFlow 2 x dropout uses dropout rate instead of keep_prob",
        "other",
        "a warning for a valid rate above 0.5 (keep_prob confusion): nothing is invalid",
    ),
    (
        r"^rate must have known shape|^rate must be rank 1|^dilation_rate shape rank must be 1"
        r"|^filter_shape must be specified for|^Cannot estimate num_spatial_dims",
        "other",
        "tf.nn argument checks (tensor-valued rate, with_space_to_batch) that Keras layers never"
        " trigger: API misuse",
    ),
    # --- data the model does not expect
    (
        r"^expects-n-inputs$",
        "data-shape",
        "more/fewer arrays than the model has inputs: the data disagrees with the model",
    ),
    (
        r"^but received input has shape",
        "data-shape",
        "Embedding input_length vs the data's sequence length: the data's shape",
    ),
    (
        r"^When passing a dataset to a Keras model the arrays must be at least rank 1",
        "data-shape",
        "scalar arrays passed as data: the data's shape",
    ),
    (
        r"^Unable to concatenate|^Attempted to concatenate unsupported object|^The inner dense"
        r" shapes",
        "other",
        "concatenating predict() batch outputs (training_utils_v1): an internal aggregation error",
    ),
    (
        r"^Unknown parameter$",
        "hyperparameter-value",
        "kerastuner 1.0's hp lookup of a name never defined: conventions, `an undefined"
        " hyperparameter name`",
    ),
    (
        r"keras optimizers legacy is not supported in Keras 3",
        "environment",
        "a tf.keras legacy optimizer with Keras 3 installed: a version mismatch (conventions:"
        " environment and import errors), not an optimizer parameter",
    ),
    (
        r"must be a vector of length x shape axis",
        "other",
        "ops.batch_normalization's own argument check: not a Keras layer's rule users hit",
    ),
]
# --- the layer modules, learning-rate schedules and trainers read since the areas were
#     widened (conventions of the brief: values vs rules vs data vs usage)
OVERRIDES += [
    (
        r"^bidirectional-merge-mode$",
        "hyperparameter-value",
        "Bidirectional(merge_mode=…) not one of sum/mul/ave/concat/None: an invalid enum-like"
        " string value for an argument (conventions, hyperparameter-value: merge_mode)",
    ),
    (
        r"^permute-dims-consecutive$",
        "hyperparameter-value",
        "Permute(dims=…) that is not a permutation of 1..n: a value invalid in itself",
    ),
    (
        r"^output-padding-vs-strides$",
        "layer-constraint",
        "Conv*Transpose output_padding ≥ strides: each value is valid, their combination is not"
        " (conventions, layer-constraint: output_padding vs strides)",
    ),
    (
        r"must be a multiple of the number of channels|cannot be more than the number of channels"
        r"|number of input channels must be evenly divisible by the number of groups"
        r"|num_query_heads must be divisible by num_key_value_heads",
        "layer-constraint",
        "groups (or query heads) that do not divide the channels (or key/value heads): an"
        " unsupported argument combination (conventions, layer-constraint: groups not dividing"
        " channels)",
    ),
    (
        r"^The length of boundaries should be 1 less than the length of values"
        r"|^Argument (first_)?decay_steps must be",
        "optimizer",
        "learning-rate schedule arguments (PiecewiseConstantDecay boundaries/values,"
        " decay_steps): conventions, optimizer",
    ),
    (
        r"must override __call__ self step",
        "other",
        "a custom LearningRateSchedule subclass without __call__: API misuse",
    ),
    (
        r"^Forward layer and backward layer (should have different go_backwards"
        r"|are expected to have the same value for attribute)",
        "layer-constraint",
        "Bidirectional with a backward_layer whose go_backwards / config does not fit the forward"
        " layer: an unsupported argument combination",
    ),
    (
        r"layer should be called on exactly 2 inputs|layer accepts inputs list of length 2 or 3"
        r"|HashedCrossing should be called on at least two inputs"
        r"|^Expected as input a list tuple of 2 tensors",
        "layer-constraint",
        "a layer called on the wrong number of inputs (conventions, layer-constraint)",
    ),
    (
        r"Make sure to pass a complete input_shape or batch_input_shape argument"
        r"|RandomCrop requires the input to have a fully defined height and width"
        r"|CenterCrop can only process images with a static spatial shape"
        r"|ConvLSTM layers only support static input shapes",
        "layer-constraint",
        "the layer needs static (fully defined) input dimensions: the layer's own rule on its"
        " input shape",
    ),
    (
        r"^Values in cropping argument should be (greater|smaller) than the corresponding",
        "data-shape",
        "cropping larger than the input: like too much downsampling for the image size"
        " (conventions, data-shape)",
    ),
    (
        r"^cropping should have (two|3) elements|^cropping should be either an int a tuple",
        "layer-constraint",
        "a Cropping tuple of the wrong length (conventions, layer-constraint: tuple length)",
    ),
    (
        r"(Alpha|alpha value|Theta|theta value|negative_slope value) of an? (Leaky ReLU|ELU"
        r"|Thresholded ReLU) layer|^threshold of Relu layer cannot be None"
        r"|^power_iterations should be greater than zero",
        "hyperparameter-value",
        "an activation layer's alpha/theta/negative_slope of None or below 0, or"
        " SpectralNormalization power_iterations ≤ 0: a value invalid in itself",
    ),
    (
        r"All dimensions of value and key except the last one must be equal"
        r"|The last dimension of query_shape and value_shape must be equal"
        r"|^merge-different-batch-sizes$|^Operands could not be broadcast together with shapes"
        r"|^Dimension incompatibility$",
        "layer-constraint",
        "the inputs of a merge / attention layer do not fit each other: the layer's own rule"
        " (as Add inputs of different widths, the captured scenario layer-residual-add-width)",
    ),
    (
        r"^(height_|width_)?factor (argument )?(cannot|must) have|^Factor cannot have negative"
        r"|^(height_|width_)factor must have values",
        "hyperparameter-value",
        "an image augmentation layer's factor out of range: a value invalid in itself",
    ),
    (
        r"^Expected of one$|^Only nearest and bilinear are supported"
        r"|^Only reflect wrap constant and nearest are supported|Value not recognized for"
        r" interpolation|^interpolation (argument )?should be one of|received an unknown mode"
        r" argument|is not a supported (splitting|standardization)|^ngrams must be None",
        "hyperparameter-value",
        "an invalid enum-like string value for an argument (interpolation, fill_mode, RandomFlip"
        " mode, TextVectorization split/standardize/ngrams): conventions, hyperparameter-value",
    ),
    (
        r"^Expected an integer value for (n|size) got",
        "hyperparameter-value",
        "a float where an int is needed (RepeatVector n, UpSampling size): a value invalid in"
        " itself",
    ),
    (
        r"^Can only specify one unknown dimension|^The target_shape argument must not contain more"
        r" than one|^There must be at most one unknown dimension",
        "layer-constraint",
        "a Reshape target_shape with two -1: Reshape's own rule (it infers one axis), like an"
        " invalid padding string; rarely a value from a search space",
    ),
    (
        r"^Both num_bins and bin_boundaries should not be set|^You need to set either num_bins or"
        r" bin_boundaries",
        "layer-constraint",
        "Discretization given both (or neither of) num_bins and bin_boundaries: an unsupported"
        " argument combination",
    ),
    (
        r"^Input images must have 3 channels but received images with",
        "data-shape",
        "grayscale images into a colour augmentation layer: the data's channel count"
        " (conventions, data-shape: feature count)",
    ),
    (
        r"When using TextVectorization to tokenize strings the (innermost dimension|input rank)",
        "layer-constraint",
        "TextVectorization's rule on its input's rank / last dimension (expected ndim)",
    ),
    (
        r"^Unrecognized keyword arguments passed to$",
        "layer-constraint",
        "a keyword argument the layer does not take (the rules' `Keyword argument not"
        " understood`, its Keras 3 wording)",
    ),
    (
        r"^You passed a data dictionary with keys$|corresponding arrays in each batch must have"
        r" the same rank|^adapt yielded a batch with incompatible shape",
        "data-shape",
        "the data's structure/rank disagrees with the model's inputs (or the adapted layer's"
        " shape): conventions, data-shape",
    ),
    (
        r"^Computed output size would be zero or negative|^This can happen if the input is too"
        r" small for the given kernel size|which would produce output shape with a zero or"
        r" negative value",
        "data-shape",
        "too much downsampling for the input size (conventions, data-shape)",
    ),
    (
        r"input channels is not divisible by the corresponding number of output filters",
        "data-shape",
        "the input's channel count vs the kernel's: conventions, data-shape (input feature count)",
    ),
    (
        r"^Argument output must be at least rank 1",
        "data-shape",
        "a scalar y_pred given to a loss: the output's shape vs the labels (conventions,"
        " data-shape)",
    ),
    (
        r"Cannot compute sparse categorical crossentropy with axis",
        "other",
        "an output of unknown rank in sparse_categorical_crossentropy: a graph internal, not a"
        " shape users choose",
    ),
    (
        r"^Both input_dim and output_dim should be positive",
        "hyperparameter-value",
        "Embedding input_dim/output_dim ≤ 0: a value invalid in itself (as `input_dim must be a"
        " positive integer`)",
    ),
    (
        r"but has no corresponding dim in the input|did not have a match in either the input"
        r" spec",
        "other",
        "an EinsumDense equation that does not fit its own specs: usage of an advanced layer,"
        " not one of the five",
    ),
    (
        r"^dilation_rate shape must be fully defined",
        "other",
        "tf.nn argument checks that Keras layers never trigger: API misuse",
    ),
    (
        r"^Do not pass an input_shape input_dim argument to a layer",
        "other",
        "a Keras 3 warning about passing input_shape to a layer: valid code, nothing is invalid",
    ),
    (
        r"in the loss argument can t be found",
        "other",
        "dict/path keys of compile(loss=…) that name no output: output-name bookkeeping (as"
        " `in the loss argument but they can t be found`)",
    ),
    (
        r"argument as a list it should have as many entries as the model has outputs"
        r"|each (dict|list) entry should be a callable the loss function",
        "other",
        "compile(loss=[…] / loss_weights=[…]) not matching the number of outputs or not callable:"
        " compile() API misuse, not the data's shape",
    ),
    (
        r"^max_values is deprecated use max_tokens instead"
        r"|^(Parameter )?must be between 0 and 1( Received)?$|^output_size must be an integer$",
        "other",
        "a deprecated-argument warning, a tf.nn cell wrapper's keep_prob, a custom cell's"
        " output_size attribute: not a value from a search space",
    ),
    (
        r"When setting values directly mean and variance must have the same shape",
        "layer-constraint",
        "Normalization(mean=…, variance=…) of different shapes: an unsupported argument"
        " combination",
    ),
    (
        r"^fft_length must be greater than or equal to sequence_length",
        "layer-constraint",
        "MelSpectrogram fft_length below sequence_length: arguments that do not fit each other"
        " (an unsupported argument combination). StftSpectrogram's `frame_step should be a"
        " positive integer not greater than frame_length` stays hyperparameter-value (the rules"
        " and the argument-not-positive fallback): its first clause is a non-positive size",
    ),
    (
        r"^Invalid value for axis argument expected an int or a list",
        "hyperparameter-value",
        "an axis of the wrong type (a float where an int is needed): a value invalid in itself",
    ),
]
_OVERRIDES = [(re.compile(rx, re.I), category, reason) for rx, category, reason in OVERRIDES]
USED_OVERRIDES: set[str] = set()


def classify(
    invariant: str, templates: list[str], kinds: set[str], merge_key: str = ""
) -> tuple[str, str | None]:
    """(category, reason): the OVERRIDES entry matching the invariant (or the MERGES key of a
    merged family), else the keyword rules."""
    for rx, category, reason in _OVERRIDES:
        if rx.search(invariant) or (merge_key and rx.search(merge_key)):
            USED_OVERRIDES.add(rx.pattern)
            return category, reason
    text = " ".join(templates)
    for category, crx in _CATEGORY_RULES:
        if category == "tuner-usage" and "tuner" not in kinds:
            continue
        if crx.search(text):
            return category, None
    return ("tuner-usage" if "tuner" in kinds else "other"), None


def relevant(kind: str, template: str, invariant: str) -> bool:
    words = re.findall(r"[A-Za-z]{2,}", invariant)
    if len(words) < 2 or len(invariant) < 12:
        return False
    if kind == "tf" and not TF_RELEVANT.search(template):
        return False
    if kind in ("so", "tuner"):
        return kind == "so" or not re.search(
            # `tpu` not after a letter: "output" is not about TPUs
            r"((?<![a-z])tpu|distribut|deprecated|must be implemented)",
            template,
            re.I,
        )
    return not IRRELEVANT.search(template)


# --------------------------------------------------------------------------------------------
# Examples: fill the holes with realistic values
# --------------------------------------------------------------------------------------------
# Each rule: (regex over the hole's name, regex over the literal text just before the hole,
# values used in turn for the first, second, … hole the rule fills). The first rule whose two
# regexes match wins; context decides where the name alone says little (`{value}`, `{x}`).
HOLE_RULES: list[tuple[str, str, list[str]]] = [
    # what the text right before the hole says it is
    (r"", r"(loss( function)? identifier|as loss|loss=)\W*$", ["sparse_categorical_crossentropyy"]),
    (r"", r"activation( function)? identifier\W*$", ["LeakyReLU"]),
    (r"", r"optimizer identifier\W*$", ["radam"]),
    (r"", r"HyperParameters\.$", ["Int"]),
    (r"", r"optimizers\.legacy\.$", ["Adam"]),
    (r"", r"(layer|such as|names?=) ?['\"]?$", ["dense_1", "dense_2"]),
    (r"", r"([Mm]etric|metric:)\W*$", ["val_acc"]),
    (r"", r"(^|\W)(input|state) $", ["0", "1"]),
    (r"", r"array shapes:\s*$", ["[(1000, 20), (800, 20)]"]),
    (r"", r"y_pred\.shape=$", ["(None, 1)"]),
    (
        r"",
        r"(shape|shapes|shape:|shape=|input_shape=|shape received:|inputs\.shape=)\s*[(\[]?$",
        ["(None, 20)", "(None, 10)", "(None, 5)"],
    ),
    (r"", r"(ndim=|rank |rank=|have rank |of rank )$", ["3", "2"]),
    (r"", r"(data_format|Data format)\W*$", ["channels_middle"]),
    (r"", r"(padding|padding=|padding mode:)\W*$", ["same_"]),
    (r"", r"(axis|axis=|axis:)\s*$", ["3", "-1"]),
    (r"", r"(sampling=|sampling:|sampling)\W*$", ["logarithmic"]),
    (r"", r"(objective|expected:)\W*$", ["val_accuracy"]),
    # the hole's name
    (r"^(input_index|index|i|idx)$", r"", ["0", "1"]),
    (r"(scope|parent_name|full_name|full_cond_name)", r"", ["units"]),
    (
        r"^(len_|ndim|rank|min_ndim|max_ndim|expected_ndim|spec_ndim|filters_rank|inputs_rank"
        r"|num_spatial_dims|stride_dims|in_dims|kernel_dims|conv_dims|expected_length)",
        r"",
        ["3", "2", "4"],
    ),
    (
        r"(shape|^shapes?$|dense_shape|as_list|^self$|^other$|^target$|^to_append$)",
        r"",
        ["(None, 20)", "(None, 10)", "(None, 5)"],
    ),
    (r"(kernel_size|pool_size|strides|dilation)", r"", ["(2, 2)", "(3, 3)"]),
    (
        r"(layer_name|^name1?2?$|^names$|class_name|^layer$|^cls$|__name__|^path$)",
        r"",
        ["dense_1", "dense_2"],
    ),
    (r"^type_|^type$", r"", ["<class 'str'>", "<class 'float'>"]),
    (r"newshape_arg_name", r"", ["target_shape"]),
    (
        r"^message$",
        r"",
        ["ValueError: Received an invalid value for `units`, expected a positive integer, got 0."],
    ),
    (r"^allowed$", r"", ["{'sum_over_batch_size', 'sum', 'none'}"]),
    (r"^kind$", r"", ["Parent"]),
    (r"^oracle$", r"", ["'bayesian'"]),
    (r"^arg$", r"", ["max_value"]),
    (r"^val$", r"", ["32.5"]),
    (r"^(types|unsupported_types)$", r"", ["{<class 'float'>, <class 'int'>}"]),
    (
        r"^(values|sampling_values|allowed_values|_sampling_values)$",
        r"",
        ["[0, 0.25, 0.5]", "['linear', 'log', 'reverse_log']"],
    ),
    (r"^k$|^kwarg$", r"", ["decay", "lr"]),
    (r"allowed_kwargs", r"", ["{'clipnorm', 'clipvalue', 'decay', 'global_clipnorm', 'lr'}"]),
    (r"activation", r"", ["relu6x"]),
    (r"(optimizer)", r"", ["'adamw'"]),
    (r"(loss)", r"", ["'categorical_crossentropy'"]),
    (r"^(learning_rate|lr)$", r"", ["'0.001'"]),
    (r"(units|^filters$|depth_multiplier|groups)", r"", ["0", "-1"]),
    (
        r"(rate|dropout|momentum|^float$|epsilon|beta|decay|clip|threshold|negative_slope"
        r"|strength|accumulator|power)",
        r"",
        ["1.5", "2.0"],
    ),
    (r"(padding)", r"", ["'same_'"]),
    (r"(data_format|^mode$|^status$|^reduction$)", r"", ["'channels_middle'"]),
    (r"(objective|^keys$|results)", r"", ["['loss', 'accuracy']"]),
    (r"(^hp$|hyperparameter|new_hps)", r"", ["units"]),
    (r"(func_name)", r"", ["HyperModel.fit()"]),
    (r"(^model$|^val$|^data$|^x$|^identifier$)", r"", ["None"]),
    (r"(callbacks)", r"", ["[<keras.callbacks.EarlyStopping object at 0x7f3a2c1d5e50>]"]),
    (r"(project_dir)", r"", ["./untitled_project"]),
    (r"(exception_prefix)", r"", ["input"]),
    (
        r"^inputs$",
        r"",
        [
            "[<tf.Tensor 'IteratorGetNext:0' shape=(None, 20) dtype=float32>, <tf.Tensor"
            " 'IteratorGetNext:1' shape=(None, 1) dtype=float32>]"
        ],
    ),
    (
        r"(^int$|num_|^n_|size|count|dim|steps|^axis|depth|^value$|cropping|step|order"
        r"|max_value|min_value|^default$|input_length|trial|failed|^str$)",
        r"",
        ["3", "5", "7"],
    ),
]
_HOLE_RULES = [(re.compile(n, re.I), re.compile(c), v) for n, c, v in HOLE_RULES]
# printf holes left in a template (a message logged or formatted at run time): `%s`, `%d`,
# `%r`, `%g`, `%(name)s`
_PRINTF = re.compile(r"%(\((?P<key>\w+)\))?[-#0 +]*\d*(\.\d+)?[hlL]?(?P<conv>[diouxXeEfFgGcrs])")


def printf_to_holes(template: str) -> str:
    def hole(m: re.Match[str]) -> str:
        if m["key"]:
            return "{" + m["key"] + "}"
        return (
            "{"
            + {"d": "int", "i": "int", "u": "int", "s": "str", "r": "str"}.get(m["conv"], "float")
            + "}"
        )

    return _PRINTF.sub(hole, template)


def instantiate(template: str) -> str:
    """The template with every hole filled with a value that reads like a real message."""
    template = printf_to_holes(template)
    used: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    for m in _HOLE.finditer(template):
        out.append(template[pos : m.start()].replace("{{", "{").replace("}}", "}"))
        pos = m.end()
        text = m.group()
        if text in ("{{", "}}"):
            out.append(text[0])
            continue
        name = text[1:-1]
        before = "".join(out)[-40:]
        value = "3"
        for name_rx, context_rx, values in _HOLE_RULES:
            if name_rx.search(name) and context_rx.search(before):
                turn = used.get(values[0], 0)  # rules with the same values share the turn
                used[values[0]] = turn + 1
                value = values[min(turn, len(values) - 1)]
                break
        if before[-1:] in ("'", '"', "`"):
            value = value.strip("'")  # the template quotes it already
        out.append(value)
    out.append(template[pos:].replace("{{", "{").replace("}}", "}"))
    return "".join(out)


# Real examples: where a captured fixture log or the shared corpus has an instance of a
# template, that real line is the family's example (values and all); otherwise the newest
# template is instantiated with the values above.
CORPUS = Path("/work/shared/corpus/real_errors.jsonl")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TYPED = re.compile(r"(?:^|\s)((?:[\w.]+\.)?(\w+(?:Error|Exception|Warning))): (.*)$")


def _unify(text: str) -> str:
    return re.sub(r"[`'\"]", "'", re.sub(r"\s+", " ", text))


def real_lines() -> list[tuple[str, str, str, str]]:
    """(source, exception type or '', message line, its unified lower-case form)."""
    texts: list[tuple[str, str]] = []
    for log in sorted((ROOT / "fixtures" / "captured").glob("*/*/run.log")):
        texts.append((log.relative_to(ROOT).as_posix(), log.read_text(errors="replace")))
    if CORPUS.exists():
        for line in CORPUS.read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                texts.append((f"corpus:{item['id']}", item.get("text") or ""))
    out = []
    for source, text in texts:
        for line in _ANSI.sub("", text).splitlines():
            line = line.strip()
            if len(line) < 12 or re.search(
                r"(\braise |\bf[\"']|\.format\(|^\d+\s|^-+>|^File )", line
            ):
                continue  # a traceback's code line quotes the source, not the message
            m = _TYPED.search(line)
            exc, message = (m.group(2), m.group(3)) if m else ("", line)
            out.append((source, exc, message, _unify(message).lower()))
    return out


def template_regex(template: str) -> re.Pattern[str]:
    runs = [re.escape(_unify(r)) for r in literal_runs(template)]
    return re.compile(r".+?".join(runs))


def real_example(
    templates: list[dict[str, object]], lines: list[tuple[str, str, str, str]], invariant: str
) -> tuple[str, str, str] | None:
    """(message, exception type, source) of the first real line that instantiates a template."""
    key = " " + " ".join(canon_words(invariant)).lower() + " "
    candidates = [
        line for line in lines if key in " " + " ".join(canon_words(line[2])).lower() + " "
    ]
    if not candidates:
        return None
    for template in templates:
        rx = template_regex(str(template["template"]))
        for source, exc, message, _unified in candidates:
            if rx.search(_unify(message)):
                return message, exc or str(template["exception"]), source
    return None


# --------------------------------------------------------------------------------------------
def version_key(label: str) -> tuple[str, tuple[int, ...]]:
    name, version = label.split("==")
    return name, tuple(int(p) for p in re.findall(r"\d+", version))


Found = dict[tuple[str, str, str], dict[str, list[str]]]


def scan(
    wheels: Path, delete_wheels: bool, only: str | None = None
) -> tuple[Found, set[tuple[str, str, str]]]:
    """Every message template of every version: (kind, exception, template) → {source → versions},
    and the keys that are .so `StrCat` fragments."""
    # template key (kind, exception, template) → {source path → [versions]}
    found: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    kinds_of: dict[tuple[str, str, str], str] = {}
    so_fragments: set[tuple[str, str, str]] = set()
    for name, version, _ in VERSIONS:
        pkgdir = wheels / f"{name}-{version}"
        label = f"{name}=={version}"
        if only and not re.search(only, label):
            continue
        count = 0
        for member, text in package_dir_files(pkgdir):
            if member == "SO-STRINGS":
                for line in text.splitlines():
                    if not keep_so(line):
                        continue
                    key = ("so", "InvalidArgumentError", so_template(line.lstrip(": ")))
                    if so_is_fragment(line):
                        so_fragments.add(key)
                    found.setdefault(key, {}).setdefault("<op kernels (.so)>", []).append(label)
                    kinds_of[key] = "so"
                    count += 1
                continue
            area = area_of(member)
            if area is None:
                continue
            kind, _rel = area
            for _how, exc, template in python_messages(text):
                key = (kind, exc, template)
                path = member.replace("tensorflow_core/", "tensorflow/", 1)
                versions = found.setdefault(key, {}).setdefault(path, [])
                if label not in versions:
                    versions.append(label)
                kinds_of[key] = kind
                count += 1
        print(f"{label:24} {count:6} messages", file=sys.stderr)
        if delete_wheels and (pkgdir / "extracted" / ".complete").exists():
            for archive in pkgdir.glob("*.whl"):
                archive.unlink()
    return found, so_fragments


def mine(wheels: Path, delete_wheels: bool, only: str | None = None) -> list[dict[str, object]]:
    found, so_fragments = scan(wheels, delete_wheels, only)
    return build_records(found, so_fragments)


def build_records(found: Found, so_fragments: set[tuple[str, str, str]]) -> list[dict[str, object]]:
    # 1. relevant templates, each with its word skeleton
    entries: list[dict[str, object]] = []
    for key, paths in found.items():
        kind, exc, template = key
        if not relevant(kind, template, invariant_of(template)):
            continue
        for path, versions in paths.items():
            entries.append(
                {
                    "kind": kind,
                    "fragment": key in so_fragments,
                    "skeleton": skeleton(template),
                    "t": {
                        "template": template,
                        "exception": exc,
                        "source": path,
                        "versions": sorted(set(versions), key=version_key),
                    },
                }
            )
    # 2. families: same skeleton (module paths, quotes, punctuation and whitespace normalised),
    #    then the explicit MERGES, then wordings that share most of their leading phrase
    groups, merge_names = group_skeletons(
        [tuple(e["skeleton"]) for e in entries]  # type: ignore[misc]
    )
    by_group: dict[int, list[dict[str, object]]] = {}
    for entry in entries:
        by_group.setdefault(groups[tuple(entry["skeleton"])], []).append(entry)  # type: ignore[arg-type]

    previous = {}
    if OUT.exists():
        for line in OUT.read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                previous[entry["family"]] = entry.get("pattern")
    lines = real_lines()
    pending = []
    for number, members in by_group.items():
        merge_key = merge_names.get(number, "")
        templates = sorted(
            (m["t"] for m in members),  # type: ignore[misc]
            key=lambda t: (t["template"], t["source"]),
        )
        kinds = {str(m["kind"]) for m in members}
        texts = [str(t["template"]) for t in templates]
        newest = max(templates, key=lambda t: max(version_key(v) for v in t["versions"]))
        invariant = common_phrase([str(newest["template"]), *texts])
        category, reason = classify(invariant, texts, kinds, merge_key)
        if category == "other" and reason is None:
            continue  # not about building, fitting or tuning a model
        pending.append((invariant, templates, merge_key, category, reason, newest, members))

    records: list[dict[str, object]] = []
    used: set[str] = set()
    for invariant, templates, merge_key, category, reason, newest, members in sorted(
        pending, key=lambda p: (str(p[0]).lower(), str(p[1][0]["template"]))
    ):
        base = merge_key or kebab(invariant)
        family_id, n = base, 2
        while family_id in used:
            family_id, n = f"{base}-{n}", n + 1
        used.add(family_id)
        real = real_example(templates, lines, invariant)
        if real is not None:
            example, example_exception, example_source = real
        else:
            example = instantiate(str(newest["template"]))
            example_exception, example_source = newest["exception"], "instantiated"
        record: dict[str, object] = {
            "family": family_id,
            "invariant": invariant,
            "category": category,
        }
        if reason:
            record["reason"] = reason
        if all(m["fragment"] for m in members):
            record["fragment"] = True
            record["note"] = (
                "a string of TensorFlow's op kernels (.so); TensorFlow composes the full message"
                " at run time, so the template is a fragment of it"
            )
        record.update(
            {
                "templates": templates,
                "example": example,
                "example_exception": example_exception,
                "example_source": example_source,
                "pattern": previous.get(family_id),
            }
        )
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS)
    parser.add_argument("--download", action="store_true", help="pip download missing wheels")
    parser.add_argument("--delete-wheels", action="store_true", help="remove extracted TF wheels")
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument("--only", help="regex over `name==version`: mine only those (for testing)")
    parser.add_argument(
        "--scan-cache",
        type=Path,
        help="JSON file of the scanned templates: read it if it exists, else write it (to"
        " iterate on grouping and classification without re-reading the wheels)",
    )
    args = parser.parse_args(argv)
    if args.download:
        download(args.wheels)
    if args.scan_cache and args.scan_cache.exists():
        cached = json.loads(args.scan_cache.read_text())
        found = {tuple(k): v for k, v in cached["found"]}
        fragments = {tuple(k) for k in cached["fragments"]}
    else:
        found, fragments = scan(args.wheels, args.delete_wheels, args.only)
        if args.scan_cache:
            args.scan_cache.write_text(
                json.dumps(
                    {
                        "found": [[list(k), v] for k, v in found.items()],
                        "fragments": [list(k) for k in fragments],
                    }
                )
            )
    records = build_records(found, fragments)  # type: ignore[arg-type]
    unused = [rx for rx, _, _ in OVERRIDES if re.compile(rx, re.I).pattern not in USED_OVERRIDES]
    for rx in unused:
        print(f"warning: override matches no family: {rx}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for record in records:
        counts[str(record["category"])] = counts.get(str(record["category"]), 0) + 1
    print(f"{len(records)} families → {args.output}", file=sys.stderr)
    for category, n in sorted(counts.items()):
        print(f"  {category:22} {n}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
