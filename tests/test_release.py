"""`nnbook release` turns solutions into exercises, and exercises/ stays in sync."""

from __future__ import annotations

import nbformat
import pytest
from conftest import EXERCISES, SOLUTIONS

from nnbook.release import ReleaseError, release, release_notebook, strip_solutions


def test_exercises_folder_is_in_sync_with_solutions():
    changed = release(SOLUTIONS, EXERCISES, check_only=True)
    assert changed == [], f"run `nnbook release`: out of sync {changed}"


def test_every_solution_has_an_exercise_notebook_and_back():
    solutions = {p.name for p in SOLUTIONS.glob("*.ipynb")}
    exercises = {p.name for p in EXERCISES.glob("*.ipynb")}
    assert solutions and solutions == exercises


def test_stub_keeps_indentation_and_marks_nested_stub_as_not_top_level():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    )
    stripped, top_level = strip_solutions(source, ["raise NotImplementedError()"], "t")
    assert stripped == "def f(x):\n    raise NotImplementedError()"
    assert top_level is False


def test_top_level_stub_is_reported_so_the_cell_gets_tagged():
    source = "### BEGIN SOLUTION\nanswer = 3\n### END SOLUTION"
    stripped, top_level = strip_solutions(source, ["raise NotImplementedError()"], "t")
    assert stripped == "raise NotImplementedError()"
    assert top_level is True


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unbalanced_markers_raise_a_clear_error(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source, ["stub"], "nb.ipynb, cell 3")


def test_release_clears_outputs_widget_state_and_timing():
    solution = nbformat.read(SOLUTIONS / "01_neurons.ipynb", as_version=4)
    solution.metadata["widgets"] = {"state": "x"}
    exercise = release_notebook(solution, "01_neurons.ipynb")
    assert "widgets" not in exercise.metadata
    for cell in exercise.cells:
        assert "BEGIN SOLUTION" not in cell.source
        assert "execution" not in cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_released_exercises_keep_cell_ids_and_tag_top_level_stubs():
    solution = nbformat.read(SOLUTIONS / "01_neurons.ipynb", as_version=4)
    exercise = nbformat.read(EXERCISES / "01_neurons.ipynb", as_version=4)
    assert [c.id for c in solution.cells] == [c.id for c in exercise.cells]
    by_id = {c.id: c for c in exercise.cells}
    assert "raises-exception" in by_id["answer-1-3"].metadata.get("tags", [])
    assert "raises-exception" not in by_id["answer-1-1"].metadata.get("tags", [])


def test_release_reports_an_unreadable_solution(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "99_broken.ipynb").write_text("{not json")
    with pytest.raises(
        ReleaseError, match="99_broken.ipynb is not a readable notebook"
    ):
        release(tmp_path / "solutions", tmp_path / "exercises")
    assert not (tmp_path / "exercises").exists()


def test_solutions_carry_nbgrader_metadata_derived_from_the_course_roles():
    from nnbook import exercises

    for path in SOLUTIONS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells]
        assert len(ids) == len(set(ids)), f"{path.name}: grade ids must be unique"
        for cell in notebook.cells:
            meta = cell.metadata["nbgrader"]
            role = cell.metadata.get("nnbook", {}).get("role")
            assert meta["schema_version"] == 3
            if role == "answer":
                assert meta["solution"] and not meta["grade"] and not meta["locked"]
            elif role == "check":
                number = cell.metadata["nnbook"]["exercise"]
                assert meta["grade"] and meta["locked"] and not meta["solution"]
                assert meta["points"] == exercises.get(number).points
            elif role == "written":
                assert meta["grade"] and meta["solution"] and meta["points"] >= 0
            else:
                assert meta["locked"] and not meta["grade"] and not meta["solution"]


def test_released_check_cells_may_raise_so_the_notebook_runs_top_to_bottom():
    for path in EXERCISES.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nnbook", {}).get("role") == "check":
                assert "raises-exception" in cell.metadata.get("tags", [])


def test_a_solution_region_outside_an_answer_cell_is_refused_clearly():
    solution = nbformat.v4.new_notebook()
    solution.cells = [
        nbformat.v4.new_markdown_cell(
            "### BEGIN SOLUTION\nsecret\n### END SOLUTION", id="loose"
        )
    ]
    from nnbook.release import with_nbgrader_metadata

    with pytest.raises(ReleaseError, match="not an answer cell"):
        with_nbgrader_metadata(solution, "x.ipynb")
