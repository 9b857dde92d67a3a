"""Plain-data transport and judging: what crosses from a learner's process is data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnbook.exercises import (
    BadAnswer,
    Unsupported,
    decode,
    encode,
    evaluate,
    get,
    judge,
    probe,
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
