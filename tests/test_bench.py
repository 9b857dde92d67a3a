"""The benchmark's pieces keep working (``python -m bench`` itself is not run here).

Fake numbers go through the table and the JSON; a tiny live figure, a tiny site
and a one-cell notebook in a pinned kernel are measured for real, so that the
code behind each row of the table cannot rot unnoticed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench import build, chapters, run, slider_callback, training  # noqa: E402

LINE_CELL = """
inputs = np.linspace(-1, 1, 50)
fig, ax = plt.subplots()
(line,) = ax.plot(inputs, inputs)
ax.set_ylim(-10, 10)


def update(w, b):
    line.set_ydata(w * inputs + b)


line_sliders = live_figure(
    fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, description="a line"
)
line_sliders
"""


def test_table_marks_each_target_met_or_missed_and_keeps_not_yet_rows():
    rows = [
        run.Row.measured("build.clean", "clean build", 42.0, " s", ".1f"),
        run.Row.measured(
            "slider.x.median", "slider", 31.0, " ms", ".1f", target="slider.median"
        ),
        run.Row.measured("grading.ratio", "grading ratio", 6.2, "x", ".1f"),
        run.Row.measured("pages.largest", "page", 2.5, " MB", ".2f"),
        run.Row.missing("training.ratio", "numpy / torch", training.NOT_YET),
    ]
    assert [r.met for r in rows] == [True, False, True, None, None]
    table = run.format_table(rows)
    assert "42.0 s" in table and "< 60 s" in table
    assert "not yet (chapter 8 not written)" in table
    assert "NO" in table.splitlines()[3]  # the slider row, under the header lines
    assert run.summary(rows) == "targets met: 2/3; missed: slider"


def test_json_holds_rows_meta_and_details(tmp_path):
    rows = [run.Row.measured("grading.rate", "grading", 130.0, "/min", ".0f")]
    path = run.write_json(
        tmp_path / "bench" / "results.json",
        rows,
        {"cores": 2, "load_average_start": [0.5, 0.4, 0.3]},
        {"grading": {"ours": [{"per_minute": 130.0}]}},
    )
    data = json.loads(path.read_text())
    assert data["rows"][0] == {
        "key": "grading.rate",
        "what": "grading",
        "value": 130.0,
        "unit": "/min",
        "shown": "130/min",
        "target": ">= 120/min",
        "met": True,
        "note": "",
    }
    assert data["meta"]["cores"] == 2
    assert data["summary"] == "targets met: 1/1"


def test_quick_flag_means_one_run_few_submissions_and_a_chapter_subset():
    args = run.parse_args(["--quick"])
    assert (args.reps, args.build_reps, args.submissions) == (1, 1, 6)
    assert [p.name for p in args.chapters] == [
        "00_how_to_use.ipynb",
        "01_neurons.ipynb",
    ]
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nonsense"])


def test_training_row_says_not_yet_until_chapter_8_exists(monkeypatch):
    monkeypatch.setattr(training, "chapter8", lambda: None)
    assert training.compare(1) == {"status": training.NOT_YET}
    row = run.training_rows({"reps": 1, "details": {}})[0]
    assert (row.value, row.shown, row.met) == (None, training.NOT_YET, None)


def test_live_figure_and_interact_replot_are_both_timed_in_one_loop():
    namespace = {
        "np": __import__("numpy"),
        "plt": plt,
        "live_figure": __import__("nnbook.sliders").sliders.live_figure,
    }
    exec(LINE_CELL, namespace)
    cells = {"line_sliders": LINE_CELL}
    assert (
        slider_callback.figure_cells(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LINE_CELL)])
        )
        == cells
    )
    figures_before = plt.get_fignums()
    [row] = slider_callback.time_live_figures(namespace, 4, cells, baseline_moves=2)
    assert row["figure"] == "line_sliders" and row["sliders"] == 2
    assert row["moves"] == 8 and 0 < row["median_ms"] <= row["p95_ms"]
    assert row["baseline"]["moves"] >= 2 and row["baseline"]["median_ms"] > 0
    assert plt.get_fignums() == figures_before  # the re-plots closed their figures
    assert namespace["line_sliders"].values == {"w": 1.0, "b": 0.0}  # put back


def test_page_weight_counts_the_page_and_what_it_loads_once(tmp_path):
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "_static").mkdir()
    (site / "book" / "page.html").write_text(
        '<link rel="stylesheet" href="../_static/style.css">'
        '<link rel="next" href="other.html">'
        '<script src="../_static/app.js?v=1"></script>'
        '<img src="../_static/fig.png"><img src="../_static/fig.png">'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<img src="data:image/png;base64,AAAA">'
    )
    (site / "book" / "other.html").write_text("x" * 10)
    (site / "_static" / "style.css").write_text(
        '@font-face { src: url("f.woff2") format("woff2"), url(f.ttf); }'
        "body { background: url('bg.png'); }"
    )
    for name, size in [
        ("app.js", 1000),
        ("fig.png", 300),
        ("f.woff2", 50),
        ("f.ttf", 5000),
        ("bg.png", 7),
    ]:
        (site / "_static" / name).write_bytes(b"\0" * size)
    heaviest, other = build.site_weights(site)
    page = len((site / "book" / "page.html").read_text())
    css = len((site / "_static" / "style.css").read_text())
    assert heaviest["page"] == "book/page.html"
    assert heaviest["bytes"] == page + css + 1000 + 300 + 50 + 7  # no f.ttf, no other
    assert heaviest["remote"] == ["https://cdn.example.org/x.js"]
    assert other["bytes"] == 10


def test_build_copy_leaves_out_build_outputs_and_trims_the_toc(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text((ROOT / "_toc.yml").read_text())
    build.trim_toc(toc, ["book/00_how_to_use", "book/01_neurons", "book/bibliography"])
    text = toc.read_text()
    assert "book/01_neurons" in text and "book/02_layers" not in text
    assert "chapters:\n  - caption" not in text  # no part left empty
    command = build.build_command(Path("src"), Path("out"))
    assert command[1:] == [
        "-m",
        "nnbook.jb",
        "build",
        "src",
        "--path-output",
        "out",
        "--warningiserror",
        "--keep-going",
    ]
    # the program and flags of `make html`
    html = "$(BIN)/python -m nnbook.jb build . --warningiserror --keep-going"
    assert html in (ROOT / "Makefile").read_text()


def test_chapter_kernel_runs_pinned_to_one_cpu(tmp_path):
    notebook = tmp_path / "tiny.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell(
                    "import os\n"
                    "assert os.environ['OPENBLAS_NUM_THREADS'] == '1'\n"
                    "sum(range(1000))"
                )
            ]
        ),
        notebook,
    )
    [row] = chapters.time_chapters([notebook], reps=1)
    assert row["affinity"] == [0]
    assert 0 <= row["seconds"] < 10 and row["startup_seconds"] > 0
