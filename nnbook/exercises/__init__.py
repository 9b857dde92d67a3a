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

In a notebook, ``check("1.1")`` does both and prints the result.
"""

from __future__ import annotations

import copy
import importlib
import math
import pkgutil
import sys
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
            return Unsupported(body[:MAX_TEXT])
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
# Step 1: probe (in the learner's process).


def probe(exercise: Exercise, namespace: dict) -> dict:
    """Run the learner's answer for ``exercise`` and return plain data about it.

    ``namespace`` is the learner's global namespace. Runs in the learner's
    process; its output is meant to be serialised as JSON and judged elsewhere.
    """
    if exercise.answer not in namespace:
        return {"status": "missing"}
    answer = namespace[exercise.answer]
    if not exercise.is_function:
        return {"status": "ran", "value": encode(answer)}
    if not callable(answer):
        return {"status": "not callable", "type": type(answer).__name__}
    outcomes = []
    for case in exercise.cases:
        args = copy.deepcopy(case.args)  # a learner's function may modify its inputs
        try:
            value = answer(*args)
        except NotImplementedError:
            return {"status": "not attempted"}
        except Exception as error:  # the learner's bug is feedback, not a crash
            outcomes.append({"error": f"{type(error).__name__}: {error}"[:MAX_TEXT]})
        else:
            outcomes.append({"value": encode(value)})
    return {"status": "ran", "outcomes": outcomes}


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
    if status == "not callable":
        verdict.lines.append(
            f"`{exercise.answer}` should be a function, but it is a "
            f"{str(probed.get('type', 'value'))[:MAX_TEXT]}."
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
            lines.append(f"  raised {str(outcome['error'])[:MAX_TEXT]}")
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


def get(number: str) -> Exercise:
    """The exercise with this number, or a ``KeyError`` that lists the known ones."""
    exercises = registry()
    if number not in exercises:
        raise KeyError(
            f"no exercise numbered {number!r}; known exercises: {', '.join(exercises)}"
        )
    return exercises[number]


def evaluate(number: str, namespace: dict) -> Verdict:
    """Probe and judge exercise ``number`` against ``namespace`` in one process."""
    exercise = get(number)
    return judge(exercise, probe(exercise, namespace))


def check(number: str, namespace: dict | None = None) -> None:
    """Check exercise ``number`` and print the feedback (every exercise notebook).

    Looks up the learner's answer in the calling notebook's globals unless
    ``namespace`` is given.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    print(evaluate(number, namespace).report())
