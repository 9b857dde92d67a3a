"""Figures of chapter 7, Optimizers: the plotting that teaches nothing by itself.

The chapter writes the optimizers and the runs; these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from nnbook.style import COLORS, figure

# One colour and line style per optimizer, the same in every figure of chapter 7.
LOOK = {
    "SGD": (COLORS["black"], "-"),
    "momentum": (COLORS["blue"], "-"),
    "Nesterov": (COLORS["sky"], "--"),
    "AdaGrad": (COLORS["yellow"], "-"),
    "RMSprop": (COLORS["purple"], "-"),
    "Adam": (COLORS["vermillion"], "-"),
}
VIEW = {  # plotted window of each test problem: (x range, y range)
    "quadratic": ((-2.0, 0.6), (-1.2, 0.5)),
    "Rosenbrock": ((-1.6, 1.6), (-0.6, 1.8)),
}


def _window(problem: str):
    return VIEW["Rosenbrock" if "Rosenbrock" in problem else "quadratic"]


def _contours(ax, f: Callable, problem: str, levels: int = 14) -> None:
    (x0, x1), (y0, y1) = _window(problem)
    xs, ys = np.linspace(x0, x1, 241), np.linspace(y0, y1, 181)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = np.array(
        [f(np.array(p)) for p in zip(grid_x.ravel(), grid_y.ravel(), strict=True)]
    )
    values = values.reshape(grid_x.shape)
    ax.contour(
        grid_x,
        grid_y,
        np.log10(values + 1e-3),
        levels=levels,
        colors="0.6",
        linewidths=0.8,
    )
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.grid(False)


def paths_figure(problem: str, f: Callable, paths: Mapping, rates: Mapping):
    """Chapter 7: one small panel per optimizer, its path over the problem's
    contours; ``paths[name]`` is the path, ``rates[name]`` its learning rate."""
    names = list(paths)
    ncols = 3
    nrows = -(-len(names) // ncols)
    (x0, x1), (y0, y1) = _window(problem)
    row_height = 0.65 + (7.0 / ncols) * (y1 - y0) / (x1 - x0)
    fig, axes = figure(
        ncols=ncols, nrows=nrows, height=row_height * nrows, sharex=True, sharey=True
    )
    goal = (1, 1) if "Rosenbrock" in problem else (0, 0)
    # more axes than optimizers: the spare ones are hidden below
    for ax, name in zip(np.ravel(axes), names, strict=False):
        _contours(ax, f, problem, levels=10)
        color, style = LOOK[name]
        path = paths[name]
        ax.plot(path[:, 0], path[:, 1], style, color=color, lw=1.4)
        ax.plot(*path[0], "o", color=color, ms=5)
        ax.plot(*goal, "*", color=COLORS["black"], ms=11)
        ax.set_title(f"{name}, $\\eta$ = {rates[name]:.2g}")
    for ax in np.ravel(axes)[len(names) :]:
        ax.set_visible(False)
    for ax in np.atleast_2d(axes)[-1]:
        ax.set_xlabel("$w_0$")
    for ax in np.atleast_2d(axes)[:, 0]:
        ax.set_ylabel("$w_1$")
    return fig


def losses_figure(problems: Mapping, paths: Mapping, makers: Mapping):
    """Chapter 7: loss against step, log scale, for each optimizer and problem."""
    fig, axes = figure(ncols=len(problems), height=3.2)
    for ax, (problem, (f, _, _, _)) in zip(
        np.atleast_1d(axes), problems.items(), strict=True
    ):
        for name in makers:
            color, style = LOOK[name]
            losses = [f(w) for w in paths[problem, name]]
            ax.semilogy(losses, style, color=color, label=name, lw=1.5)
        ax.set(title=problem, xlabel="step", ylabel="loss $f(\\mathbf{w})$")
    fig.legend(
        *np.atleast_1d(axes)[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncols=len(makers),
    )
    return fig


def schedules_figure(schedules: Mapping[str, list]):
    """Chapter 7: learning-rate schedules against step."""
    fig, ax = figure(height=2.6)
    for (name, values), color in zip(
        schedules.items(),
        [COLORS["blue"], COLORS["vermillion"], COLORS["green"]],
        strict=False,  # at most three schedules
    ):
        ax.plot(values, label=name, color=color, lw=2)
    ax.set(xlabel="step", ylabel="$\\eta / \\eta_{\\max}$")
    ax.legend()
    return fig


def optimizer_slider_figure(f, grad, run, sgd, adam, steps: int = 40):
    """Chapter 7's slider figure: SGD, momentum and Adam on the quadratic.

    Returns the figure and its ``update(log10_lr, momentum, beta2, start_w0)``,
    which reruns the three optimizers and moves their lines.
    """
    fig, ax = figure(height=3.4)
    _contours(ax, f, "quadratic")
    ax.plot(0, 0, "*", color=COLORS["black"], ms=12)
    names = ["SGD", "momentum", "Adam"]
    lines = {
        n: ax.plot(
            [], [], LOOK[n][1], color=LOOK[n][0], lw=1.8, label=n, marker=".", ms=4
        )[0]
        for n in names
    }
    ax.set(xlabel="$w_0$", ylabel="$w_1$")
    ax.legend(loc="lower right")  # clear of the minimum the paths converge to
    title = ax.set_title(" ")

    def update(log10_lr, momentum, beta2, start_w0):
        lr = 10.0**log10_lr
        start = (start_w0, -0.6)
        optimizers = {
            "SGD": sgd(lr),
            "momentum": sgd(lr, momentum=momentum),
            "Adam": adam(lr, beta1=momentum, beta2=beta2),
        }
        parts = []
        for name, optimizer in optimizers.items():
            with np.errstate(over="ignore", invalid="ignore"):
                path = run(optimizer, grad, start, steps)
            finite = np.all(np.isfinite(path), axis=1)
            shown = np.clip(path[finite], -1e3, 1e3)
            lines[name].set_data(shown[:, 0], shown[:, 1])
            loss = f(path[-1]) if finite[-1] else np.inf
            parts.append(
                f"{name} {loss:.1e}"
                if np.isfinite(loss) and loss < 1e6
                else f"{name} diverged"
            )
        text = "loss after 40 steps: " + ", ".join(parts)
        title.set_text(text)
        return text

    return fig, update
