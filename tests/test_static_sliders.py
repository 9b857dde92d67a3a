"""Live figures' static HTML: only in book builds, even steps that each change the
picture, combined sliders or presets, honest notes, and a byte budget."""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook import static_sliders
from nnbook.sliders import Slider, live_figure
from nnbook.static_sliders import StaticSpec, make_plan, parse_static


@pytest.fixture(autouse=True)
def fewer_pictures(monkeypatch):
    """Small figures and at most 40 pictures each keep these tests quick."""
    monkeypatch.setattr(static_sliders, "MAX_FRAMES", 40)
    monkeypatch.setattr(static_sliders, "_page_bytes", 0)  # each test is a new page


def line_figure(names, static=None, step=0.5, outcome=True):
    fig, ax = plt.subplots(figsize=(3, 1.8))
    inputs = np.linspace(-1, 1, 20)
    (line,) = ax.plot(inputs, inputs)
    ax.set_ylim(-20, 20)

    def update(**values):
        line.set_ydata(sum(v * inputs**i for i, v in enumerate(values.values())))
        if outcome:
            return f"value at 1: {sum(values.values()):g}"

    sliders = {name: (-2, 2, step, 1.0) for name in names}
    return live_figure(fig, update, sliders, "a polynomial", static=static)


def payload(html: str) -> dict:
    found = re.search(r'<script type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def inputs(html: str) -> list[dict]:
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r"<input [^>]*>", html)
    ]


def decode(uri: str) -> np.ndarray:
    from PIL import Image

    data = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(int)


def test_the_static_rendering_appears_only_when_building_the_book(monkeypatch):
    live = line_figure(["w", "b"])
    monkeypatch.delenv(static_sliders.ENV_VAR, raising=False)
    bundle = live._repr_mimebundle_()
    assert "text/html" not in bundle
    monkeypatch.setenv(static_sliders.ENV_VAR, "1")
    bundle = live._repr_mimebundle_()
    assert "nnbook-live-figure" in bundle["text/html"]
    assert set(bundle) == {
        "text/plain",
        "text/html",
        "application/vnd.jupyter.widget-view+json",
    }


def test_book_steps_are_even_multiples_of_the_code_step_through_the_start():
    slider = Slider(-10, 10, 0.5, 8.0)
    steps = static_sliders.nice_steps(slider, [8.0])
    assert steps[0] == 0.5
    assert all(step / 0.5 == round(step / 0.5) for step in steps)
    # round grids only (8 is a multiple of 4, not of 5), then coarser steps
    assert steps[:5] == [0.5, 1.0, 2.0, 4.0, 8.0] and 5.0 not in steps
    steps = static_sliders.nice_steps(Slider(-4, 4, 0.1, 1.0), [1.0])
    assert steps[:5] == [0.1, 0.2, 0.5, 1.0, 1.5]
    assert static_sliders.even_values(slider, 8.0, 4.0) == [-8, -4, 0, 4, 8]
    assert static_sliders.even_values(slider, 8.0, 0.5) == slider.grid().tolist()


def test_preset_values_lie_on_the_book_grid():
    slider = Slider(-20, 20, 0.5, 10.0)
    for step in static_sliders.nice_steps(slider, [10.0, -5.0, 2.5]):
        values = static_sliders.even_values(slider, 10.0, step)
        assert {10.0, -5.0, 2.5} <= set(values)


def test_few_sliders_get_every_combination_within_the_frame_limit():
    sliders = {n: Slider(-10, 10, 0.5, 8.0) for n in ("w1", "w2")}
    sliders["b"] = Slider(-15, 15, 0.5, -10.0)
    start = {n: s.value for n, s in sliders.items()}
    plan = make_plan(sliders, start, StaticSpec(), max_frames=120)
    assert plan.mode == "grid" and plan.fixed == []
    assert plan.size() <= 120
    assert all(len(axis.values) >= 3 for axis in plan.axes)
    w1, w2, b = plan.axes
    assert w1.step == w2.step  # alike sliders move alike
    for axis in plan.axes:
        assert np.allclose(np.diff(axis.values), axis.step)
        assert start[axis.name] in axis.values


def test_many_sliders_without_presets_move_one_at_a_time():
    sliders = {f"p{i}": Slider(-2, 2, 0.5, 1.0) for i in range(9)}
    start = {n: s.value for n, s in sliders.items()}
    plan = make_plan(sliders, start, StaticSpec(), max_frames=100)
    assert plan.mode == "sweep"
    assert sum(len(a.values) for a in plan.axes) <= 100


def test_presets_get_a_grid_each_and_the_start_comes_first():
    sliders = {f"p{i}": Slider(-2, 2, 0.5, 1.0) for i in range(9)}
    start = {n: s.value for n, s in sliders.items()}
    spec = parse_static(
        {"presets": {"zeros": dict.fromkeys(sliders, 0.0)}, "vary": ["p7", "p8"]},
        sliders,
    )
    plan = make_plan(sliders, start, spec, max_frames=100)
    assert [name for name, _ in plan.presets] == ["start", "zeros"]
    assert plan.mode == "grid" and [a.name for a in plan.axes] == ["p7", "p8"]
    assert plan.fixed == [f"p{i}" for i in range(7)]
    assert plan.start(1) == [plan.axes[0].values.index(0.0)] * 2
    # a preset equal to the start takes its place and its name
    spec = parse_static({"presets": {"mine": start}}, sliders)
    assert make_plan(sliders, start, spec, 100).presets[0][0] == "mine"


@pytest.mark.parametrize(
    "static, error, message",
    [
        ([1], TypeError, "static must be a dict"),
        ({"vary": ["w"], "colour": 1}, ValueError, "unknown keys"),
        ({"vary": ["q"]}, ValueError, "not a slider"),
        ({"vary": "w"}, TypeError, "list of slider names"),
        ({"presets": {"x": {"w": 0.3}}}, ValueError, "cannot reach"),
        ({"presets": {"x": {"w": 9}}}, ValueError, "cannot reach"),
        ({"steps": {"w": 0.75}}, ValueError, "whole multiple"),
        ({"budget": -1}, ValueError, "positive"),
    ],
)
def test_bad_static_arguments_are_refused_with_the_reason(static, error, message):
    with pytest.raises(error, match=message):
        line_figure(["w", "b"], static=static)


def test_range_inputs_carry_the_real_values_and_every_step_changes_the_picture():
    live = line_figure(["w", "b"])
    html = static_sliders.static_html(live)
    data = payload(html)
    assert data["mode"] == "grid"
    found = inputs(html)
    for axis, attributes in zip(data["axes"], found, strict=True):
        assert float(attributes["min"]) == axis["values"][0]
        assert float(attributes["max"]) == axis["values"][-1]
        assert float(attributes["step"]) == axis["step"]
        assert float(attributes["data-code-step"]) == 0.5
        assert np.allclose(np.diff(axis["values"]), axis["step"])
        assert f'<label for="{attributes["id"]}">' in html
    # every pair of neighbours anywhere in the grid shows different pictures
    sizes = [len(a["values"]) for a in data["axes"]]
    frames = np.array([entry[0] for entry in data["index"][0]]).reshape(sizes)
    assert (np.diff(frames, axis=0) != 0).all() and (np.diff(frames, axis=1) != 0).all()
    assert data["identical_steps"] == 0


def test_steps_that_change_nothing_are_removed():
    fig, ax = plt.subplots(figsize=(3, 1.8))
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_ylim(-1, 3)

    def update(w):
        line.set_ydata([0, min(w, 1.0)])  # nothing changes above w = 1

    live = live_figure(fig, update, {"w": (-2, 3, 0.5, 0.0)}, "a clipped line")
    plan, pictures = static_sliders.render(live)
    assert plan.axes[0].values[-1] == 1.0
    assert static_sliders.dead_steps(plan, pictures, everywhere=True) == []
    assert "from −2 to 1" in static_sliders.note(plan)


def test_pictures_stay_within_the_budget_by_coarser_steps():
    plan, pictures = static_sliders.render(line_figure(["w", "b"]))
    budget = static_sliders._bytes_used(plan, pictures) // 3
    tight = line_figure(["w", "b"], static={"budget": budget})
    tight_plan, tight_pictures = static_sliders.render(tight)
    assert static_sliders._bytes_used(tight_plan, tight_pictures) <= budget
    assert tight_plan.size() < plan.size()
    assert all(
        a.step >= b.step for a, b in zip(tight_plan.axes, plan.axes, strict=True)
    )


def test_each_overlay_over_the_background_gives_back_the_drawn_picture():
    live = line_figure(["w", "b"])
    plan, pictures = static_sliders.render(live)
    background = pictures.background.astype(int)
    with static_sliders._Drawer(live) as drawer:
        for point in plan.points(0)[::7]:
            drawn = drawer.draw(plan.values(0, point))[0].astype(int)
            uri, x, y, w, h = pictures.frames[pictures.frame(0, point)]
            overlay = decode(uri)
            picture = background.copy()
            alpha = overlay[..., 3:] / 255
            region = picture[y : y + h, x : x + w, :3]
            region[:] = np.round(overlay[..., :3] * alpha + region * (1 - alpha))
            error = np.abs(picture[..., :3] - drawn[..., :3]).max(axis=2)
            assert error.max() <= 24 and (error > 8).mean() < 0.002  # palette only


def test_the_note_says_where_the_book_differs():
    live = line_figure(["w", "b"], step=0.1)
    plan, _ = static_sliders.render(live)
    text = static_sliders.note(plan)
    assert "in steps of" in text and "steps of 0.1" in text
    same = line_figure(["w"], step=0.5)
    assert static_sliders.note(static_sliders.render(same)[0]) == ""
    presets = line_figure(
        list("abcd"), static={"presets": {"p": {"a": 0.0}}, "vary": ["d"]}
    )
    text = static_sliders.note(static_sliders.render(presets)[0])
    assert "a, b and c are set by the presets" in text


def test_outcomes_reach_the_alt_text_and_the_live_region():
    html = static_sliders.static_html(line_figure(["w", "b"]))
    data = payload(html)
    assert "value at 1: 2" in data["outcomes"]
    assert 'alt="a polynomial: value at 1: 2 (w = 1, b = 1)"' in html
    assert re.search(r'aria-live="polite">value at 1: 2<', html)
    # without an outcome the live region says the inputs
    plain = static_sliders.static_html(line_figure(["w", "b"], outcome=False))
    assert re.search(r'aria-live="polite">w = 1, b = 1<', plain)


def test_pictures_are_drawn_at_twice_the_shown_size():
    live = line_figure(["w"])
    html = static_sliders.static_html(live)
    shown = int(
        re.search(r'nnbook-live-figure" id="[^"]+" style="width:(\d+)px', html)[1]
    )
    assert payload(html)["width"] == shown * static_sliders.DENSITY
    assert shown == round(live.fig.get_figwidth() * live.fig.dpi)


def test_the_figure_is_left_as_the_sliders_say():
    live = line_figure(["w", "b"])
    before = live.set()
    static_sliders.static_html(live)
    assert live.set() == before


def test_the_benchmark_times_a_figures_book_pictures():
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:  # bench/ is a folder of the repository
        sys.path.insert(0, str(root))
    from bench import slider_callback

    row = slider_callback.time_static(line_figure(["w", "b"]))
    assert row["mode"] == "grid" and row["pictures"] >= 9
    assert row["html_bytes"] > 0 and row["cpu_seconds"] > 0
    assert set(row["steps"]) == {"w", "b"}


def test_chosen_sliders_too_wide_for_the_budget_get_a_shorter_range():
    sliders = {f"p{i}": Slider(-20, 20, 0.5, 10.0) for i in range(4)}
    start = {n: s.value for n, s in sliders.items()}
    static = {"presets": {"zero": {"p0": 0.0, "p1": 0.0}}, "vary": ["p0", "p1"]}
    plan = make_plan(sliders, start, parse_static(static, sliders), max_frames=40)
    assert plan.size() <= 40
    for axis in plan.axes:
        assert {0.0, 10.0} <= set(axis.values) and not axis.full
    with pytest.raises(ValueError, match="vary fewer sliders"):
        make_plan(sliders, start, parse_static(static, sliders), max_frames=4)


def test_presets_alone_switch_whole_parameter_sets():
    live = line_figure(list("abcd"), static={"presets": {"flat": {"b": 0.0}}})
    html = static_sliders.static_html(live)
    data = payload(html)
    assert data["axes"] == [] and 'type="range"' not in html
    assert [len(row) for row in data["index"]] == [1, 1]
    assert data["index"][0][0][0] != data["index"][1][0][0]
    assert html.count('aria-pressed="true"') == 1


def test_later_figures_of_a_page_share_what_the_page_budget_leaves(monkeypatch):
    def pictures_bytes(bundle):
        return sum(len(frame[0]) for frame in payload(bundle["text/html"])["frames"])

    monkeypatch.setattr(static_sliders, "_page_bytes", 0)
    first = pictures_bytes(static_sliders.static_bundle(line_figure(["w", "b"])))
    monkeypatch.setattr(static_sliders, "PAGE_BUDGET", first + first // 4)
    monkeypatch.setattr(static_sliders, "MIN_FIGURE_BUDGET", 1_000)
    second = pictures_bytes(static_sliders.static_bundle(line_figure(["w", "b"])))
    assert second <= first // 4 < first
    # a budget the chapter sets is its own
    chosen = line_figure(["w", "b"], static={"budget": first})
    assert pictures_bytes(static_sliders.static_bundle(chosen)) > first // 4


def test_a_figures_palette_keeps_its_frequent_colours_exactly():
    # Paper white next to near-whites: PIL alone maps white through a coarse
    # colour cell and can return a near-white, a seam against the background.
    rng = np.random.default_rng(0)
    picture = np.full((64, 96, 4), 255, np.uint8)
    picture[:8, :, :3] = (254, 254, 254)
    picture[8:16, :, :3] = (250, 250, 252)
    picture[16:24, :, :3] = (0, 114, 178)
    picture[24:40, :, :3] = rng.integers(0, 256, (16, 96, 3))  # more than 128 colours
    palette = static_sliders.Palette.of([picture])
    mapped = palette.map(picture)
    for rows in (np.s_[:8], np.s_[8:16], np.s_[16:24], np.s_[40:]):
        assert (mapped[rows] == picture[rows]).all()
    assert (mapped[..., 3] == 255).all()
    assert (
        len(np.unique(mapped.reshape(-1, 4), axis=0)) <= static_sliders.PALETTE_COLORS
    )


def test_pictures_a_reader_cannot_tell_apart_share_a_key():
    rng = np.random.default_rng(1)
    background = np.full((60, 80, 4), 255, np.uint8)
    picture = background.copy()
    picture[10:30, 20:50, :3] = rng.integers(0, 256, (20, 30, 3))
    key = static_sliders.picture_key(picture, background)

    def changed(rows, cols, channel, bits):
        other = picture.copy()
        other[rows, cols, channel] ^= bits
        return static_sliders.picture_key(other, background)

    assert changed(15, 25, 0, 1) == key  # the lowest two bits: the same to a reader
    assert changed(15, 25, 0, 2) == key
    assert changed(15, 25, 0, 4) != key  # visible inside the box
    assert changed(2, 3, 1, 128) != key  # visible outside it
    moved = background.copy()
    moved[11:31, 20:50] = picture[10:30, 20:50]  # the same pixels one row lower
    assert static_sliders.picture_key(moved, background) != key
    assert static_sliders.picture_key(background, background) == (
        static_sliders.picture_key(background.copy(), background)
    )
