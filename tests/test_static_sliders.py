"""Live figures' static HTML: only in book builds, small, and every slider moves it."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook import static_sliders
from nnbook.sliders import Slider, live_figure


def line_figure(names):
    fig, ax = plt.subplots()
    inputs = np.linspace(-1, 1, 20)
    (line,) = ax.plot(inputs, inputs)
    ax.set_ylim(-20, 20)

    def update(**values):
        line.set_ydata(sum(v * inputs**i for i, v in enumerate(values.values())))

    sliders = {name: (-2, 2, 0.5, 1.0) for name in names}
    return live_figure(fig, update, sliders, "a polynomial")


def payload(html: str) -> dict:
    found = re.search(r'<script type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_the_static_rendering_appears_only_when_building_the_book(monkeypatch):
    live = line_figure(["w", "b"])
    monkeypatch.delenv(static_sliders.ENV_VAR, raising=False)
    assert "text/html" not in live._repr_mimebundle_()
    monkeypatch.setenv(static_sliders.ENV_VAR, "1")
    assert "text/html" in live._repr_mimebundle_()


def test_slider_values_span_the_range_and_include_the_start():
    values = static_sliders.slider_values(Slider(-10, 10, 0.5, 8.0), 5, 8.0)
    assert len(values) == 5
    assert values[0] == -10 and values[-1] == 10 and 8.0 in values


@pytest.mark.parametrize("count, mode", [(2, "grid"), (4, "grid"), (6, "sweep")])
def test_every_slider_has_labelled_range_input_and_changes_the_frame(count, mode):
    names = [f"w{i}" for i in range(count)]
    html = static_sliders.static_html(line_figure(names))
    data = payload(html)
    assert data["mode"] == mode
    assert html.count('type="range"') == count
    inputs = re.findall(r'<input type="range" id="([^"]+)"', html)
    assert [f'<label for="{input_id}">' in html for input_id in inputs] == [
        True
    ] * count
    if mode == "grid":
        assert len(data["index"]) == np.prod([len(v) for v in data["labels"]])
        assert len(set(data["index"])) > 1
    else:
        for row in data["index"]:
            assert len(set(row)) > 1, "a slider that never changes the picture"
    assert 'alt="a polynomial (' in html


def test_the_figure_is_left_as_the_sliders_say():
    live = line_figure(["w", "b"])
    before = live.set()
    static_sliders.static_html(live)
    assert live.set() == before
