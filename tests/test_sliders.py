"""Live figures redraw one figure in place and reject bad slider specs clearly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook.sliders import Slider, live_figure


def make_line_figure():
    fig, ax = plt.subplots()
    inputs = np.linspace(-1, 1, 50)
    (line,) = ax.plot(inputs, inputs)
    ax.set_ylim(-10, 10)

    def update(w, b):
        line.set_ydata(w * inputs + b)

    return fig, update


def test_moving_a_slider_changes_the_figure_and_creates_no_new_figures():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    open_figures = plt.get_fignums()
    first = live.image.value
    second = live.set(w=3.0)
    assert second != first
    assert live.image.value == second
    assert live.controls["w"].value == 3.0
    assert plt.get_fignums() == open_figures


def test_moving_the_widget_itself_runs_the_update():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    before = live.image.value
    live.controls["b"].value = 1.5
    assert live.values["b"] == 1.5
    assert live.image.value != before


def test_same_values_give_identical_bytes():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    assert live.set(w=2.0) == live.set(w=2.0)


def test_text_form_is_short_and_stable_for_nbval():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    bundle = live._repr_mimebundle_()
    assert bundle["text/plain"] == (
        "Live figure: a line; sliders w in [-5, 5] (start 1), b in [-2, 2] (start 0)"
    )
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize(
    "spec, error, message",
    [
        ((1, 0, 0.1, 0.5), ValueError, "min must be below max"),
        ((0, 1, 0, 0.5), ValueError, "step must be positive"),
        ((0, 1, 0.1, 2), ValueError, "outside"),
        ((0, 1, 0.1), TypeError, r"Slider\(min, max, step, value\)"),
    ],
)
def test_bad_slider_specs_are_rejected_with_the_reason(spec, error, message):
    fig, update = make_line_figure()
    with pytest.raises(error, match=message):
        live_figure(fig, lambda w: None, {"w": spec}, "bad")


def test_setting_an_unknown_slider_names_the_known_ones():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    with pytest.raises(ValueError, match=r"this figure has \['w', 'b'\]"):
        live.set(bias=1.0)


def test_update_must_be_callable_and_sliders_nonempty():
    fig, _ = make_line_figure()
    with pytest.raises(TypeError, match="update must be a function"):
        live_figure(fig, "not a function", {"w": (0, 1, 0.1, 0.5)}, "x")
    with pytest.raises(ValueError, match="at least one slider"):
        live_figure(fig, lambda: None, {}, "x")


def test_slider_grid_lists_every_reachable_value():
    assert Slider(-1, 1, 0.5, 0).grid().tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]


def full_draw_pixels(live):
    import io

    from PIL import Image

    live.renderer.canvas.draw()
    return np.asarray(Image.open(io.BytesIO(live.renderer.png(1)))).astype(int)


def png_pixels(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


def layered_figure(change_limits=False):
    """An image under fixed points, a moving line and a title: the chapter 1 pattern."""
    fig, ax = plt.subplots()
    grid = np.linspace(0, 1, 30)
    image = ax.imshow(np.zeros((30, 30)), extent=(0, 1, 0, 1), vmin=-2, vmax=2)
    ax.scatter([0.2, 0.8], [0.2, 0.8], s=80, color="white", edgecolor="black", zorder=3)
    (line,) = ax.plot([], [], color="black")
    ax.grid(False)

    def update(w, b):
        image.set_data(np.add.outer(grid, w * grid) + b)
        line.set_data(grid, w * grid + b)
        ax.set_title(f"w = {w:g}")
        if change_limits:
            ax.set_ylim(-abs(w) - 1, abs(w) + 1)

    return live_figure(
        fig, update, {"w": (-2, 2, 0.5, 1.0), "b": (-1, 1, 0.5, 0.0)}, "t"
    )


@pytest.mark.parametrize("change_limits", [False, True])
def test_fast_redraw_draws_what_a_full_redraw_draws(change_limits):
    live = layered_figure(change_limits)
    for w in [-2.0, 0.5, 1.5]:
        fast = png_pixels(live.set(w=w, b=0.5))
        full = full_draw_pixels(live)
        differing = np.abs(fast - full).max(axis=2) > 0
        # only anti-aliased edge pixels where an unchanged tick touches the image
        assert differing.mean() < 0.002 and np.abs(fast - full).max() <= 16


def test_fast_redraw_only_redraws_the_changed_artists():
    live = layered_figure()
    live.set(w=0.0)
    kinds = {type(a).__name__ for a in live.renderer.layer}
    assert "AxesImage" in kinds and "PathCollection" in kinds  # the points stay on top
    assert not any("Axis" in kind for kind in kinds)  # tick labels are not redrawn


def test_one_move_runs_the_update_once():
    calls = []
    fig, update = make_line_figure()

    def counting_update(w, b):
        calls.append((w, b))
        update(w, b)

    live = live_figure(
        fig, counting_update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "x"
    )
    calls.clear()
    live.set(w=2.0)
    live.controls["b"].value = 1.0
    assert calls == [(2.0, 0.0), (2.0, 1.0)]


def test_an_outcome_string_is_shown_under_the_figure_and_follows_the_sliders():
    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 1])

    def update(w):
        line.set_ydata([0, w])
        return f"slope {w:g}"

    live = live_figure(fig, update, {"w": (-2, 2, 0.5, 1.0)}, "a line")
    assert live.outcome == "slope 1" and "slope 1" in live.outcome_line.value
    live.controls["w"].value = -0.5
    assert live.outcome == "slope -0.5" and "slope -0.5" in live.outcome_line.value


def test_an_update_returning_something_else_than_text_is_refused():
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match="short string"):
        live_figure(fig, lambda w: 3.0, {"w": (-2, 2, 0.5, 1.0)}, "x")


def test_a_start_value_between_steps_is_refused():
    fig, _ = make_line_figure()
    with pytest.raises(ValueError, match="between its steps"):
        live_figure(fig, lambda w: None, {"w": (0, 1, 0.25, 0.3)}, "x")


def test_presets_are_buttons_in_the_notebook_too():
    fig, update = make_line_figure()
    live = live_figure(
        fig,
        update,
        {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)},
        "a line",
        static={"presets": {"steep": {"w": 4.0, "b": 1.0}}, "vary": ["b"]},
    )
    buttons = live.widget.children[0].children
    assert [b.description for b in buttons] == ["start", "steep"]
    buttons[1].click()
    assert live.values == {"w": 4.0, "b": 1.0}
    assert (live.controls["w"].value, live.controls["b"].value) == (4.0, 1.0)


def test_the_widget_is_centred_with_labelled_sliders_in_even_columns():
    fig, update = make_line_figure()
    live = live_figure(
        fig, update, {"w": (-5, 5, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)}, "a line"
    )
    assert live.widget.layout.align_items == "center"
    grid = live.widget.children[0]
    assert grid.layout.grid_template_columns == "repeat(2, minmax(0, 1fr))"
    assert [c.description for c in grid.children] == ["w", "b"]
    assert live.controls["w"].readout_format == ".1f"


def legend_figure(rename_legend=False):
    """Lines under a translucent legend with a moving title: the chapter 8 pattern."""
    fig, ax = plt.subplots()
    inputs = np.linspace(0, 1, 40)
    lines = [ax.plot(inputs, k * inputs, "o-", label=f"k = {k}")[0] for k in (1, 2)]
    ax.set_ylim(-3, 3)
    legend = ax.legend(loc="lower left", framealpha=0.8)
    title = ax.set_title(" ")

    def update(w):
        for k, line in enumerate(lines, start=1):
            line.set_ydata(k * w * inputs - 2)  # passes under the legend
        title.set_text(f"w = {w:g}")
        if rename_legend and w == 2:  # once, after the legend was cached
            legend.get_texts()[0].set_text(f"first, w = {w:g}")

    return live_figure(fig, update, {"w": (-2, 2, 0.5, 1.0)}, "lines and a legend")


@pytest.mark.parametrize("rename_legend", [False, True])
def test_a_cached_legend_over_moving_lines_looks_as_if_drawn_again(rename_legend):
    live = legend_figure(rename_legend)
    box = live.fig.axes[0].get_legend().get_window_extent()
    height = live.renderer.pixels().shape[0]
    for w in [-2.0, 0.5, 2.0, 1.5]:
        fast = png_pixels(live.set(w=w))
        full = full_draw_pixels(live)
        # blending the legend's pixels can differ from drawing it by one level of
        # rounding where its translucent frame and its text overlap: nowhere else
        assert np.abs(fast - full).max() <= 1
        rows, columns = np.nonzero(np.abs(fast - full).max(axis=2))
        assert np.all((columns >= box.x0 - 1) & (columns <= box.x1 + 1))
        assert np.all((height - rows >= box.y0 - 1) & (height - rows <= box.y1 + 1))
        kinds = {type(a).__name__ for a in live.renderer.cached}
        # a legend whose text changed is drawn again, not blended from stale pixels
        assert kinds == (set() if rename_legend and w in (2.0, 1.5) else {"Legend"})


def test_the_png_holds_exactly_the_drawn_pixels():
    live = legend_figure()
    for level in (1, 6):
        png = live.renderer.png(level)
        assert np.array_equal(png_pixels(png), live.renderer.pixels())
