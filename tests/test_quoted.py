"""Quoted numbers and citation links: what the book build makes of them."""

from __future__ import annotations

from nnbook import quoted


def cell_with(*pairs):
    return {
        "metadata": {
            "user_expressions": [
                {"expression": e, "result": {"status": "ok", "data": {"text/plain": t}}}
                for e, t in pairs
            ]
        }
    }


def test_stored_value_replaces_the_role_without_its_quotes_and_escaped():
    cell = cell_with(("z", "17/25"), ('f"{x:.2f}"', "'0.50'"), ("s", "'a*b_c'"))
    text = 'z = {eval}`z`, x = {eval}`f"{x:.2f}"`, s = {eval}`s`'
    warnings = []
    out = quoted.substitute(text, cell, "here", warnings.append)
    assert out == "z = 17/25, x = 0.50, s = a\\*b\\_c"
    assert warnings == []


def test_a_missing_value_is_reported_and_left_visible():
    warnings = []
    out = quoted.substitute("{eval}`y`", cell_with(), "ch1, cell 4", warnings.append)
    assert out == "{eval}`y`"
    assert warnings and "ch1, cell 4" in warnings[0] and "nnbook execute" in warnings[0]


def test_stale_and_failing_values_are_problems():
    cell = cell_with(("z", "1"))
    fresh = [
        {"expression": "z", "result": {"status": "ok", "data": {"text/plain": "2"}}},
        {
            "expression": "w",
            "result": {"status": "error", "ename": "NameError", "evalue": "w"},
        },
    ]
    found = quoted.problems(cell, fresh)
    assert "stored as '1' but now evaluates to '2'" in found[0]
    assert "NameError" in found[1]
    assert quoted.problems(cell, fresh[:1][:0]) == []


def test_expressions_are_listed_once_in_order():
    assert quoted.expressions("{eval}`a` {eval}`b` {eval}`a`") == ["a", "b"]


def test_citation_links_become_textual_or_parenthetical_citations():
    keys = {"glorot2010"}
    text = (
        "[Glorot and Bengio (2010)](#glorot2010) showed; "
        "(see [Glorot and Bengio, 2010](#glorot2010)); [a section](#ch01-exercises)"
    )
    assert quoted.citations(text, keys) == (
        "{cite:t}`glorot2010` showed; (see {cite:p}`glorot2010`); "
        "[a section](#ch01-exercises)"
    )
