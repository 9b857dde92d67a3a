"""Show SymPy derivations the way the book writes them (every chapter).

SymPy prints the derivative of an unknown function of an expression as
``Subs(Derivative(f(_xi_1), _xi_1), _xi_1, b + w_1 x_1)``; the book writes
``f'(z)``. And it prints a derivative of one symbol with respect to another with
a straight ``d``; the book's derivatives are partial. :func:`tidy` and
:func:`partial` fix both, and :func:`show` displays ``lhs = rhs`` as rendered
math in JupyterLab and in the book.
"""

from __future__ import annotations

import sympy as sp


def partial(of: str | sp.Basic, *wrt: str | sp.Basic) -> sp.Symbol:
    """A symbol that prints as the partial derivative of ``of`` with respect to
    ``wrt`` (one or more variables), e.g. ``partial("C", "w_1")`` is
    :math:`\\partial C / \\partial w_1`; a variable repeated in a row is written
    once with a power: ``partial("s", z, z)`` is
    :math:`\\partial^2 s / \\partial z^2`."""
    top = sp.latex(of) if isinstance(of, sp.Basic) else str(of)
    names = [sp.latex(v) if isinstance(v, sp.Basic) else str(v) for v in wrt]
    runs: list[list] = []  # [name, how many times in a row]
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    bottom = " ".join(
        rf"\partial {name}" + ("" if count == 1 else f"^{{{count}}}")
        for name, count in runs
    )
    order = "" if len(wrt) == 1 else f"^{{{len(wrt)}}}"
    return sp.Symbol(rf"\frac{{\partial{order} {top}}}{{{bottom}}}")


_DERIVATIVES: dict[tuple[str, int], type] = {}


def derivative_function(name: str, order: int = 1) -> type:
    """The function ``name'`` (``order`` primes) as a SymPy function class that
    prints as an italic :math:`f'` in LaTeX (not ``\\operatorname{f'}``) and as
    ``f'`` in plain text. The same class is returned for the same name and order,
    so ``f'(z) * f'(z)`` is a square."""
    key = (name, order)
    if key not in _DERIVATIVES:

        def _latex(self, printer, exp=None):
            # f, \sigma, \operatorname{relu}: the name as SymPy prints a function
            head = printer._hprint_Function(name) + "'" * order
            args = ", ".join(printer._print(arg) for arg in self.args)
            text = rf"{head}\left({args}\right)"
            return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text

        class_name = name + "'" * order
        _DERIVATIVES[key] = type(class_name, (sp.Function,), {"_latex": _latex})
    return _DERIVATIVES[key]


def tidy(expr: sp.Basic, names: dict | None = None) -> sp.Basic:
    """``expr`` with every derivative of an unknown one-argument function at its
    argument, ``Subs(Derivative(f(xi), xi), xi, u)`` or ``Derivative(f(u), u)``,
    written ``f'(u)`` (italic in LaTeX; ``f''(u)`` for a second derivative).

    ``names`` maps sub-expressions to the symbols the text uses for them (for
    example ``{w_1*x_1 + b: z}``), so that ``f'(w_1 x_1 + b)`` prints ``f'(z)``.
    """
    names = names or {}

    def is_derivative_at(node: sp.Basic) -> bool:
        return (
            isinstance(node, sp.Subs)
            and isinstance(node.expr, sp.Derivative)
            and isinstance(node.expr.expr, sp.core.function.AppliedUndef)
        )

    def prime(node: sp.Subs) -> sp.Basic:
        function = node.expr.expr.func
        order = sum(count for _, count in node.expr.variable_count)
        return derivative_function(str(function), order)(*node.point)

    def is_derivative_by_argument(node: sp.Basic) -> bool:
        # d f(u) / d u, which SymPy keeps as a Derivative when u is a symbol (z)
        # or a bare function call (g(x)) rather than an expression
        return (
            isinstance(node, sp.Derivative)
            and isinstance(node.expr, sp.core.function.AppliedUndef)
            and len(node.expr.args) == 1
            and all(v == node.expr.args[0] for v, _ in node.variable_count)
        )

    def prime_by_argument(node: sp.Derivative) -> sp.Basic:
        order = sum(count for _, count in node.variable_count)
        return derivative_function(str(node.expr.func), order)(*node.expr.args)

    tidied = expr.replace(is_derivative_at, prime)
    tidied = tidied.replace(is_derivative_by_argument, prime_by_argument)
    return tidied.xreplace(names) if names else tidied


def show(lhs: sp.Basic | str, rhs: sp.Basic, names: dict | None = None) -> None:
    """Display ``lhs = rhs`` (tidied) as math, in JupyterLab and in the book."""
    from IPython.display import Math, display

    left = sp.Symbol(lhs) if isinstance(lhs, str) else lhs
    display(Math(sp.latex(left) + " = " + sp.latex(tidy(rhs, names))))
