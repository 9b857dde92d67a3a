"""Plain-data transport and judging: what crosses from a learner's process is data."""

from __future__ import annotations

import functools
import gc
import json
import sys

import numpy as np
import pytest

import nnbook.nn as course_nn
from nnbook.exercises import (
    BadAnswer,
    ExerciseNotPassed,
    Unsupported,
    check,
    decode,
    decode_input,
    encode,
    encode_input,
    evaluate,
    get,
    inputs,
    judge,
    probe,
    registry,
)


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


def test_numbers_arrays_and_sequences_survive_json():
    assert roundtrip(1.5) == 1.5
    assert roundtrip(np.float32(2.0)) == 2.0
    assert roundtrip((1, 2.0)) == (1, 2.0)
    array = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(roundtrip(array), array)
    assert np.isnan(roundtrip(float("nan")))


def test_a_float_subclass_with_a_lying_eq_is_not_trusted():
    class Liar(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    decoded = roundtrip(Liar(0.0))
    assert isinstance(decoded, Unsupported) and "Liar" in decoded.description
    verdict = evaluate("1.1", {"neuron": lambda x, w, b, a: Liar(0.0)})
    assert verdict.status == "failed"
    assert "the result is an object of type Liar" in verdict.report()


def test_an_object_with_eq_always_true_cannot_pass_a_value_exercise():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    verdict = evaluate("1.3", {"or_weights": AlwaysEqual()})
    assert verdict.status == "failed" and verdict.points == 0


@pytest.mark.parametrize(
    "data",
    [
        {"array": [1, 2], "shape": [3]},
        {"array": ["x"], "shape": [1]},
        {"array": [1], "shape": ["1"]},
        {"something": 1},
        [1, 2],
    ],
)
def test_malformed_plain_data_is_rejected(data):
    with pytest.raises(BadAnswer):
        decode(data)


@pytest.mark.parametrize(
    "probed",
    [
        None,
        "passed",
        {"status": "passed"},
        {"status": "ran"},
        {"status": "ran", "outcomes": [{"value": 0.68}]},
        {"status": "ran", "outcomes": ["x"] * 8},
    ],
)
def test_judge_fails_closed_on_forged_or_malformed_probe_data(probed):
    verdict = judge(get("1.1"), probed)
    assert verdict.points == 0 and not verdict.passed


def test_probe_does_not_let_the_learner_mutate_the_cases():
    def neuron(x, w, b, activation):
        x[:] = 0
        return 0.0

    exercise = get("1.1")
    before = [case.args[0].copy() for case in exercise.cases]
    probe(exercise, {"neuron": neuron})
    assert all(
        np.array_equal(b, c.args[0])
        for b, c in zip(before, exercise.cases, strict=False)
    )


def test_unknown_exercise_number_lists_the_known_ones():
    with pytest.raises(KeyError, match="known exercises: 1.1"):
        get("9.9")


# -- the course's own implementation is out of bounds (issue 10) --------------------


def _steal_from_frames():
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if callable(getattr(value, "reference", None)):
                return value.reference
        frame = frame.f_back
    raise LookupError("no reference within reach")


def _neuron_from_frames(x, w, b, activation):
    return _steal_from_frames()(x, w, b, activation)


def _neuron_from_gc(x, w, b, activation):
    for found in gc.get_objects():
        if type(found).__name__ == "Exercise" and found.number == "1.1":
            return found.reference(x, w, b, activation)
    raise LookupError("no reference within reach")


def _neuron_importing_the_registry(x, w, b, activation):
    import nnbook.exercises

    return nnbook.exercises.get("1.1").reference(x, w, b, activation)


def _right_neuron(x, w, b, activation):
    z = float(np.dot(x, w) + b)
    if activation == "identity":
        return z
    if activation == "step":
        return 1.0 if z >= 0 else 0.0
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return max(z, 0.0)


def _neuron_importing_nn_while_probed(x, w, b, activation):
    sys.modules.pop("nnbook.nn", None)  # so that the import really happens
    from nnbook.nn import relu

    return float(relu(np.dot(x, w) + b))


def _neuron_calling_a_helper(x, w, b, activation):
    return _helper_using_nn(np.dot(x, w) + b)


def _helper_using_nn(z):
    return float(course_nn.sigmoid(z))


def _neuron_switching_off_the_profiler(x, w, b, activation):
    saved = sys.getprofile()
    sys.setprofile(None)
    try:
        return _right_neuron(x, w, b, activation)
    finally:
        sys.setprofile(saved)


@pytest.mark.parametrize(
    "answer, what",
    [
        (get("1.1").reference, "nnbook.exercises.ch01."),
        (_neuron_from_gc, "nnbook.exercises.ch01."),
        (_neuron_importing_the_registry, "nnbook.exercises"),
        (course_nn.relu, "nnbook.nn.relu"),
        (functools.partial(_neuron_calling_a_helper), "nnbook.nn"),
        (_neuron_importing_nn_while_probed, "nnbook.nn"),
        (_neuron_calling_a_helper, "nnbook.nn"),
        (_neuron_switching_off_the_profiler, "sys.setprofile"),
    ],
)
def test_an_answer_using_the_course_code_scores_zero_in_the_learner_kernel(
    answer, what, capsys
):
    with pytest.raises(ExerciseNotPassed):
        check("1.1", {"neuron": answer})
    printed = capsys.readouterr().out
    assert "NOT YET - 0/3 points" in printed
    assert "uses the course's own implementation" in printed and what in printed
    assert "write your own" in printed


def test_the_reference_is_not_in_any_frame_the_answer_can_walk(capsys):
    with pytest.raises(ExerciseNotPassed):
        check("1.1", {"neuron": _neuron_from_frames})
    assert "raised LookupError: no reference within reach" in capsys.readouterr().out


def test_check_prints_then_raises_a_short_error_unless_passed(capsys):
    with pytest.raises(ExerciseNotPassed) as raised:
        check("1.1", {})
    assert isinstance(raised.value, AssertionError)
    assert str(raised.value) == (
        "Exercise 1.1: not attempted (0/3 points); see the feedback above."
    )
    assert "NOT ATTEMPTED" in capsys.readouterr().out
    with pytest.raises(ExerciseNotPassed, match="not yet"):
        check("1.1", {"neuron": lambda x, w, b, activation: 0.0})
    assert "expected" in capsys.readouterr().out
    assert check("1.1", {"neuron": _right_neuron}) is None
    assert "PASSED" in capsys.readouterr().out


def test_every_exercise_inputs_are_plain_data_that_rebuild_exactly():
    for number, exercise in registry().items():
        spec = json.loads(json.dumps(inputs(exercise), allow_nan=False))
        assert set(spec) == {"number", "answer", "function", "cases"}, number
        assert len(spec["cases"]) == len(exercise.cases)
        for case, data in zip(exercise.cases, spec["cases"], strict=True):
            rebuilt = decode_input(data)
            assert type(rebuilt) is tuple and len(rebuilt) == len(case.args), number
            for original, copy_ in zip(case.args, rebuilt, strict=True):
                assert type(copy_) is type(original), number
                if isinstance(original, np.ndarray):
                    assert copy_.dtype == original.dtype, number
                    assert np.array_equal(copy_, original, equal_nan=True), number
                else:
                    assert repr(copy_) == repr(original), number


def test_code_cannot_travel_as_an_input():
    with pytest.raises(TypeError, match="plain data"):
        encode_input((lambda z: z,))
    with pytest.raises(TypeError, match="plain data"):
        encode_input(np.array(["a"], dtype=object))
