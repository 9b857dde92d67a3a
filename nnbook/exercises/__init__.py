"""Exercise checks: instant feedback in the notebook, and the grader's verdicts.

Every exercise is an :class:`Exercise`: the name the learner defines, the inputs
it is tried on, and a reference (or, for answers that are values, a judge).
Checking happens in two steps so that grading never trusts the learner's code:

1. :func:`probe` runs in the learner's process. It calls the learner's function
   on each case and turns what comes back into plain, JSON-ready data
   (numbers, strings, arrays as nested lists). Objects of any other type are
   described by their type name, never kept.
2. :func:`judge` runs wherever the verdict is needed (the notebook's own kernel
   for instant feedback, the grader's process when grading). It rebuilds
   numbers from that plain data and compares them with the reference's output.

In a notebook, ``check("1.1")`` does both, prints the result and, when the
exercise is not passed, raises :class:`ExerciseNotPassed` (so nbgrader scores it 0).

The probe never holds the reference: it gets the cases' *inputs* only, as plain
data (:func:`inputs`). The grader sends those to its worker, which has no
reference, no expected value and no ``nnbook.nn`` at all; in a learner's own
kernel, an answer that reaches the course's implementation (``nnbook.nn`` or
``nnbook.exercises``) while it is probed scores 0, with a message saying so.
"""

from __future__ import annotations

import copy
import functools
import importlib
import math
import os
import pkgutil
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_ELEMENTS = 100_000  # larger answers are not needed by any exercise
MAX_DEPTH = 8
MAX_TEXT = 300


@dataclass(frozen=True)
class Case:
    """One input to try: the positional arguments of the learner's function."""

    args: tuple


@dataclass(frozen=True)
class Diagnosis:
    """A likely mistake: if the output equals ``wrong(*args)``, say ``hint``."""

    hint: str
    wrong: Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    A *function* exercise has ``cases`` and a ``reference`` function; the learner's
    function must return what the reference returns on every case. A *value*
    exercise has no cases and a ``judge_value(value) -> (passed, message)`` that
    decides whether the learner's value is acceptable (many answers may be right).
    """

    number: str
    title: str
    points: int
    answer: str
    arg_names: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()
    reference: Callable[..., Any] | None = None
    judge_value: Callable[[Any], tuple[bool, str]] | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    rtol: float = 1e-6
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if self.cases and self.reference is None:
            raise ValueError(f"exercise {self.number} has cases but no reference")
        if not self.cases and self.judge_value is None:
            raise ValueError(f"exercise {self.number} needs cases or a judge_value")

    @property
    def is_function(self) -> bool:
        return bool(self.cases)


@dataclass
class Verdict:
    """The outcome of checking one exercise."""

    number: str
    title: str
    status: str  # "passed", "failed" or "not attempted"
    points: int
    max_points: int
    lines: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def report(self) -> str:
        """The feedback a learner reads: a headline, then what went wrong."""
        mark = {
            "passed": "PASSED",
            "failed": "NOT YET",
            "not attempted": "NOT ATTEMPTED",
        }
        head = (
            f"Exercise {self.number} ({self.title}): {mark[self.status]} "
            f"- {self.points}/{self.max_points} points"
        )
        return "\n".join([head, *("  " + line for line in self.lines)])


# ---------------------------------------------------------------------------
# Plain data: what may cross from the learner's process to the judge.


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a learner's value into JSON-ready data, keeping only plain types.

    Exact types are required (``type(v) is float``, not ``isinstance``), so a
    subclass with a doctored ``__eq__`` or ``__float__`` is reported by name
    instead of being trusted.
    """
    kind = type(value)
    if depth > MAX_DEPTH:
        return {"unsupported": "a structure nested too deeply"}
    if value is None or kind in (bool, str):
        return value[:MAX_TEXT] if kind is str else value
    if kind is int:
        return value if abs(value) < 2**63 else float(value)
    if kind is float:
        return _encode_float(value)
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        if kind is np.bool_:
            return bool(value)
        if np.issubdtype(kind, np.integer):
            return int(value)
        if np.issubdtype(kind, np.floating):
            return _encode_float(float(value))
        return {"unsupported": f"numpy {kind.__name__}"}
    if kind is np.ndarray:
        if value.dtype.kind not in "biuf":
            return {"unsupported": f"an array of dtype {value.dtype}"}
        if value.size > MAX_ELEMENTS:
            return {"unsupported": f"an array with {value.size} elements"}
        flat = [_encode_float(float(v)) for v in value.ravel().tolist()]
        return {"array": flat, "shape": list(value.shape)}
    if kind in (list, tuple):
        if len(value) > MAX_ELEMENTS:
            return {"unsupported": f"a {kind.__name__} of {len(value)} items"}
        return {kind.__name__: [encode(v, depth + 1) for v in value]}
    return {"unsupported": f"an object of type {kind.__name__}"}


def _encode_float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"float": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


class BadAnswer(ValueError):
    """Plain data that does not describe a value the judge can compare."""


def decode(data: Any, depth: int = 0) -> Any:
    """Rebuild a value from :func:`encode`'s output, rejecting anything else."""
    if depth > MAX_DEPTH:
        raise BadAnswer("nested too deeply")
    if data is None or type(data) in (bool, str):
        return data
    if type(data) in (int, float):
        return data
    if type(data) is dict and len(data) == 1:
        ((tag, body),) = data.items()
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("list", "tuple") and type(body) is list:
            if len(body) > MAX_ELEMENTS:
                raise BadAnswer("too many items")
            items = [decode(v, depth + 1) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "unsupported" and type(body) is str:
            return Unsupported(plain_text(body))
    if type(data) is dict and set(data) == {"array", "shape"}:
        shape, flat = data["shape"], data["array"]
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise BadAnswer("malformed array shape")
        if (
            type(flat) is not list
            or len(flat) != math.prod(shape)
            or len(flat) > MAX_ELEMENTS
        ):
            raise BadAnswer("malformed array")
        numbers = [decode(v, depth + 1) for v in flat]
        if not all(type(v) in (int, float) for v in numbers):
            raise BadAnswer("array holds something other than numbers")
        return np.array(numbers, dtype=float).reshape(shape)
    raise BadAnswer(f"unexpected data of type {type(data).__name__}")


@dataclass(frozen=True)
class Unsupported:
    """Stands for a learner's value of a type the checks do not accept."""

    description: str


# ---------------------------------------------------------------------------
# The cases' inputs as plain data: what the grader's worker receives.

NOT_PLAIN = "case arguments must be plain data (numbers, strings, arrays, lists)"


def encode_input(value: Any, depth: int = 0) -> Any:
    """A case argument as JSON-ready data that :func:`decode_input` rebuilds
    exactly (type, dtype and shape included). Raises ``TypeError`` for anything
    else: the grader's worker must receive inputs, never code."""
    kind = type(value)
    if depth > MAX_DEPTH:
        raise TypeError(NOT_PLAIN + " (nested too deeply)")
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if kind in (list, tuple):
        return {kind.__name__: [encode_input(v, depth + 1) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"dict": [[k, encode_input(v, depth + 1)] for k, v in value.items()]}
    if kind is np.ndarray and value.dtype.kind in "biuf":
        flat = [encode_input(v) for v in value.ravel().tolist()]
        return {"ndarray": flat, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"scalar": encode_input(value.item()), "dtype": value.dtype.str}
    raise TypeError(f"{NOT_PLAIN}, not {kind.__name__}")


def decode_input(data: Any) -> Any:
    """Rebuild a case argument from :func:`encode_input`'s output (a fresh copy
    every time, so a learner's function that modifies its inputs changes nothing)."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    ((tag, body),) = ((k, v) for k, v in data.items() if k not in ("dtype", "shape"))
    if tag == "float":
        return float(body)
    if tag in ("list", "tuple"):
        items = [decode_input(v) for v in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        return {k: decode_input(v) for k, v in body}
    if tag == "ndarray":
        flat = [decode_input(v) for v in body]
        return np.array(flat, dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if tag == "scalar":
        return np.dtype(data["dtype"]).type(decode_input(body))
    raise ValueError(f"not an encoded input: {tag!r}")


def inputs(exercise: Exercise) -> dict:
    """What probing ``exercise`` needs, and nothing more: the answer's name and,
    for a function exercise, each case's arguments as plain data. No reference,
    no judge, no expected value (``nnbook grade`` sends this to its worker)."""
    try:
        cases = [encode_input(case.args) for case in exercise.cases]
    except TypeError as error:
        raise TypeError(f"exercise {exercise.number}: {error}") from None
    return {
        "number": exercise.number,
        "answer": exercise.answer,
        "function": exercise.is_function,
        "cases": cases,
    }


@functools.cache
def _inputs_of(number: str) -> tuple[str, str, bool, tuple[str, ...]]:
    import json

    spec = inputs(get(number))
    cases = tuple(json.dumps(case) for case in spec["cases"])
    return spec["number"], spec["answer"], spec["function"], cases


def inputs_for(number: str) -> dict:
    """:func:`inputs` of exercise ``number`` (a fresh copy; cached encoding)."""
    import json

    number, answer, function, cases = _inputs_of(number)
    return {
        "number": number,
        "answer": answer,
        "function": function,
        "cases": [json.loads(case) for case in cases],
    }


# ---------------------------------------------------------------------------
# The course's own implementation: out of bounds for an answer.

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXERCISES = os.path.join(_PACKAGE, "exercises")


def is_course_module(name: object) -> bool:
    """``nnbook.nn`` or ``nnbook.exercises`` (and its chapter modules)."""
    return type(name) is str and (
        name in ("nnbook.nn", "nnbook.exercises")
        or name.startswith(("nnbook.nn.", "nnbook.exercises."))
    )


@functools.lru_cache(maxsize=256)
def _course_file(filename: str) -> str | None:
    """The module name when ``filename`` is course code (nn.py or exercises/)."""
    path = os.path.abspath(filename)
    if path == os.path.join(_PACKAGE, "nn.py"):
        return "nnbook.nn"
    if os.path.dirname(path) == _EXERCISES and path.endswith(".py"):
        stem = os.path.basename(path)[:-3]
        return "nnbook.exercises" + ("" if stem == "__init__" else "." + stem)
    return None


def _code_names(code: types.CodeType) -> set[str]:
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return names


def course_code_in(value: Any, depth: int = 0, seen: set | None = None) -> str | None:
    """The course function or module ``value`` reaches, or ``None``.

    Follows what a function can call: its code's file, its closure, its defaults
    and the globals its code names (recursively, a few levels), through bound
    methods, ``functools.partial`` and callable objects.
    """
    seen = set() if seen is None else seen
    if depth > 5 or id(value) in seen:
        return None
    seen.add(id(value))
    reach = functools.partial(course_code_in, depth=depth + 1, seen=seen)
    if isinstance(value, types.ModuleType):
        return value.__name__ if is_course_module(value.__name__) else None
    if isinstance(value, functools.partial):
        return reach(value.func) or next(
            filter(None, map(reach, (*value.args, *value.keywords.values()))), None
        )
    if isinstance(value, types.MethodType):
        return reach(value.__func__) or reach(value.__self__)
    if isinstance(value, types.FunctionType):
        code = value.__code__
        module = _course_file(code.co_filename)
        if module is not None or is_course_module(getattr(value, "__module__", None)):
            return f"{module or value.__module__}.{value.__qualname__}"
        found = [c.cell_contents for c in value.__closure__ or () if _filled(c)]
        found += list(value.__defaults__ or ())
        found += list((value.__kwdefaults__ or {}).values())
        names = _code_names(code)
        scope = value.__globals__
        for name in sorted(names):
            if name in scope:
                found.append(scope[name])
                member = scope[name]
                if isinstance(member, types.ModuleType) and member.__name__ == "nnbook":
                    found += [getattr(member, n, None) for n in sorted(names)]
        return next(filter(None, map(reach, found)), None)
    if isinstance(value, type):
        return None
    if isinstance(value, (types.BuiltinFunctionType, np.ufunc)):
        module = getattr(value, "__module__", None)
        return f"{module}.{value.__name__}" if is_course_module(module) else None
    call = getattr(type(value), "__call__", None)  # noqa: B004 (the method itself)
    if isinstance(call, types.FunctionType):
        return reach(call)
    return None


def _filled(cell: types.CellType) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


class _Guard:
    """Watches one call of a learner's function (in the learner's own kernel):
    a call into the course's code, or an import of it, is recorded."""

    active: _Guard | None = None
    installed = False

    def __init__(self) -> None:
        self.found: str | None = None
        self.own = False

    def profile(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call" and self.found is None:
            module = _course_file(frame.f_code.co_filename)
            if module is not None:
                self.found = f"{module}.{frame.f_code.co_qualname}"

    @staticmethod
    def audit(event: str, args: tuple) -> None:
        guard = _Guard.active
        if guard is None:
            return
        if event == "import" and args and is_course_module(args[0]):
            guard.found = guard.found or str(args[0])
        elif event == "sys.setprofile" and not guard.own:
            guard.found = guard.found or "a change to the checker (sys.setprofile)"

    def call(self, answer: Callable[..., Any], args: tuple) -> Any:
        if not _Guard.installed:
            sys.addaudithook(_Guard.audit)
            _Guard.installed = True
        before, before_threads = sys.getprofile(), threading.getprofile()
        _Guard.active = self
        self.own = True
        threading.setprofile(self.profile)
        sys.setprofile(self.profile)
        self.own = False
        try:
            return answer(*args)
        finally:
            self.own = True
            if sys.getprofile() != self.profile:
                self.found = self.found or "a change to the checker (sys.setprofile)"
            sys.setprofile(before)
            threading.setprofile(before_threads)
            _Guard.active = None


# ---------------------------------------------------------------------------
# Step 1: probe (in the learner's process).


def probe(exercise: Exercise, namespace: dict) -> dict:
    """Run the learner's answer for ``exercise`` and return plain data about it.

    ``namespace`` is the learner's global namespace. Only the cases' inputs are
    kept while the learner's code runs (see :func:`run_probe`).
    """
    spec = inputs(exercise)
    del exercise  # nothing the learner's code can reach holds the reference
    return run_probe(spec, namespace)


def run_probe(spec: dict, namespace: dict, guard: bool = False) -> dict:
    """Run the learner's answer on the inputs of ``spec`` (from :func:`inputs`).

    Returns plain data for :func:`judge`. With ``guard`` (the learner's own
    kernel), an answer that reaches the course's implementation, or imports it
    while it runs, gives ``{"status": "course code", "what": ...}``.
    """
    name = spec["answer"]
    if name not in namespace:
        return {"status": "missing"}
    answer = namespace[name]
    if not spec["function"]:
        return {"status": "ran", "value": encode(answer)}
    if not callable(answer):
        return {"status": "not callable", "type": type(answer).__name__}
    if guard:
        found = course_code_in(answer)
        if found is not None:
            return {"status": "course code", "what": found}
    outcomes = []
    for case in spec["cases"]:
        args = decode_input(case)
        watch = _Guard() if guard else None
        try:
            value = watch.call(answer, args) if watch else answer(*args)
        except NotImplementedError:
            return {"status": "not attempted"}
        except Exception as error:  # the learner's bug is feedback, not a crash
            outcomes.append({"error": describe_error(error)})
        else:
            outcomes.append({"value": encode(value)})
        if watch is not None and watch.found is not None:
            return {"status": "course code", "what": watch.found}
    return {"status": "ran", "outcomes": outcomes}


def describe_error(error: BaseException) -> str:
    """``Type: message`` on one line, at most ``MAX_TEXT`` characters."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:
        text = f"{type(error).__name__}: (message cannot be shown)"
    return plain_text(text)


def plain_text(text: object, limit: int = MAX_TEXT) -> str:
    """Untrusted text made safe to show: one line, no control characters, no
    lone surrogates, at most ``limit`` characters."""
    text = str(text)[: limit * 4]
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())[:limit]


# ---------------------------------------------------------------------------
# Step 2: judge (in the grader's process or the notebook's kernel).


def judge(exercise: Exercise, probed: Any) -> Verdict:
    """Compare probed plain data with the reference and return a :class:`Verdict`.

    ``probed`` may come from an untrusted process: anything malformed fails.
    """
    verdict = Verdict(exercise.number, exercise.title, "failed", 0, exercise.points)
    if type(probed) is not dict:
        verdict.lines.append("The answer could not be read.")
        return verdict
    status = probed.get("status")
    if status in ("missing", "not attempted"):
        verdict.status = "not attempted"
        verdict.lines.append(
            f"`{exercise.answer}` is not defined or still raises NotImplementedError. "
            "Write your answer in the cell above, run it, then run this check again."
        )
        return verdict
    if status == "course code":
        verdict.lines.append(course_code_message(exercise.answer, probed.get("what")))
        return verdict
    if status == "not callable":
        verdict.lines.append(
            f"`{exercise.answer}` should be a function, but it is a "
            f"{plain_text(probed.get('type', 'value'), 80)}."
        )
        return verdict
    if status != "ran":
        verdict.lines.append("The answer could not be read.")
        return verdict
    try:
        if exercise.is_function:
            ok = _judge_function(exercise, probed.get("outcomes"), verdict.lines)
        else:
            ok = _judge_value(exercise, decode(probed.get("value")), verdict.lines)
    except BadAnswer as error:
        verdict.lines.append(f"The answer could not be read ({error}).")
        ok = False
    if ok:
        verdict.status, verdict.points = "passed", exercise.points
    return verdict


def course_code_message(answer: str, what: object) -> str:
    """The verdict line for an answer that uses the course's implementation."""
    return (
        f"`{answer}` uses the course's own implementation "
        f"({plain_text(what or 'nnbook.nn / nnbook.exercises', 120)}); "
        "write your own."
    )


def _judge_function(exercise: Exercise, outcomes: Any, lines: list[str]) -> bool:
    if type(outcomes) is not list or len(outcomes) != len(exercise.cases):
        raise BadAnswer("wrong number of results")
    failures = 0
    shown = 3  # a few failing cases teach more than a wall of them
    for index, (case, outcome) in enumerate(
        zip(exercise.cases, outcomes, strict=False), start=1
    ):
        if type(outcome) is not dict:
            raise BadAnswer("malformed result")
        call = f"{exercise.answer}({describe_args(exercise, case.args)})"
        if "error" in outcome:
            failures += 1
            if failures > shown:
                continue
            lines.append(f"Case {index}: {call}")
            lines.append(f"  raised {plain_text(outcome['error'])}")
            continue
        obtained = decode(outcome.get("value"))
        expected = exercise.reference(*copy.deepcopy(case.args))
        problem = compare(expected, obtained, exercise.rtol, exercise.atol)
        if problem is None:
            continue
        failures += 1
        if failures > shown:
            continue
        lines.append(f"Case {index}: {call}")
        lines.append(f"  expected {describe(expected)}")
        lines.append(f"  obtained {describe(obtained)}")
        if problem:
            lines.append(f"  ({problem})")
        for diagnosis in exercise.diagnoses:
            try:
                wrong = diagnosis.wrong(*copy.deepcopy(case.args))
            except Exception:
                continue
            if (
                compare(expected, wrong, 0, 1e-12) is not None
                and compare(wrong, obtained, exercise.rtol, exercise.atol) is None
            ):
                lines.append(f"  Hint: {diagnosis.hint}")
                break
    if failures:
        lines.insert(
            0, f"{failures} of {len(exercise.cases)} cases gave a wrong result."
        )
    if failures > shown:
        lines.append(f"({failures - shown} more wrong cases not shown.)")
    return failures == 0


def _judge_value(exercise: Exercise, value: Any, lines: list[str]) -> bool:
    if isinstance(value, Unsupported):
        lines.append(
            f"`{exercise.answer}` is {value.description}; it cannot be checked."
        )
        return False
    passed, message = exercise.judge_value(value)
    if message:
        lines.extend(message.splitlines())
    return bool(passed)


def compare(expected: Any, obtained: Any, rtol: float, atol: float) -> str | None:
    """``None`` if ``obtained`` matches ``expected``, else a short reason ('' if none).

    Numbers and arrays match within ``rtol``/``atol`` and must have the expected
    shape; a learner's scalar may be a 0-d array.
    """
    if isinstance(obtained, Unsupported):
        return f"the result is {obtained.description}"
    if isinstance(expected, str) or isinstance(obtained, str):
        return None if expected == obtained else ""
    if isinstance(expected, (tuple, list)):
        if not isinstance(obtained, (tuple, list)) or len(obtained) != len(expected):
            return f"expected a sequence of {len(expected)} items"
        for e, o in zip(expected, obtained, strict=False):
            problem = compare(e, o, rtol, atol)
            if problem is not None:
                return problem
        return None
    try:
        expected_array = np.asarray(expected, dtype=float)
        obtained_array = np.asarray(obtained, dtype=float)
    except (TypeError, ValueError):
        return "the result is not a number or an array of numbers"
    if expected_array.shape != obtained_array.shape:
        want = (
            "a single number"
            if expected_array.ndim == 0
            else (f"an array of shape {expected_array.shape}")
        )
        got = (
            "a single number"
            if obtained_array.ndim == 0
            else (f"an array of shape {obtained_array.shape}")
        )
        return f"expected {want}, got {got}"
    if np.allclose(
        obtained_array, expected_array, rtol=rtol, atol=atol, equal_nan=True
    ):
        return None
    return ""


def describe(value: Any) -> str:
    """A short, readable rendering of a value for feedback."""
    if isinstance(value, Unsupported):
        return value.description
    if isinstance(value, str):
        return repr(value[:MAX_TEXT])
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v) for v in value[:10])
        more = ", ..." if len(value) > 10 else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    if array.size > 20:
        return f"an array of shape {array.shape}"
    return _nested(array.tolist())


def _nested(items: Any) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(v) for v in items) + "]"
    return f"{items:.6g}"


def describe_args(exercise: Exercise, args: tuple) -> str:
    names = exercise.arg_names or tuple(f"arg{i}" for i in range(len(args)))
    return ", ".join(f"{n}={describe(a)}" for n, a in zip(names, args, strict=False))


# ---------------------------------------------------------------------------
# The registry and the learner-facing check.


def registry() -> dict[str, Exercise]:
    """Every exercise by number ("1.1", ...), from the modules ``exercises/chNN.py``."""
    exercises: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("ch"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for exercise in module.EXERCISES:
            if exercise.number in exercises:
                raise ValueError(f"exercise number {exercise.number} is defined twice")
            exercises[exercise.number] = exercise
    return exercises


# Set by the grader's worker: told when graded code asks for the exercises.
unavailable_hook: Callable[[str], None] | None = None


def get(number: str) -> Exercise:
    """The exercise with this number, or a ``KeyError`` that lists the known ones."""
    exercises = registry()
    if not exercises:  # the grader's worker: the chapters' code is not there
        if unavailable_hook is not None:
            unavailable_hook("nnbook.exercises.get")
        raise LookupError(
            "the exercises' reference code is not available to graded code "
            "(it is the course's own implementation); write your own"
        )
    if number not in exercises:
        raise KeyError(
            f"no exercise numbered {number!r}; known exercises: {', '.join(exercises)}"
        )
    return exercises[number]


def evaluate(number: str, namespace: dict, guard: bool = False) -> Verdict:
    """Probe and judge exercise ``number`` against ``namespace`` in one process.

    The learner's code runs while only the cases' inputs are held; the reference
    is looked up after it has returned. With ``guard`` (as :func:`check` does),
    an answer that uses the course's own implementation scores 0.
    """
    data = run_probe(inputs_for(number), namespace, guard=guard)
    return judge(get(number), data)


class ExerciseNotPassed(AssertionError):
    """Raised by :func:`check` after its feedback when an exercise is not passed,
    so that a notebook grader (nbgrader) scores the check cell 0."""


def check(number: str, namespace: dict | None = None) -> None:
    """Check exercise ``number``, print the feedback, and raise
    :class:`ExerciseNotPassed` unless it passed (every exercise notebook).

    Looks up the learner's answer in the calling notebook's globals unless
    ``namespace`` is given.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    verdict = evaluate(number, namespace, guard=True)
    print(verdict.report(), flush=True)
    if not verdict.passed:
        mark = "not attempted" if verdict.status == "not attempted" else "not yet"
        raise ExerciseNotPassed(
            f"Exercise {number}: {mark} ({verdict.points}/{verdict.max_points} "
            "points); see the feedback above."
        ) from None
