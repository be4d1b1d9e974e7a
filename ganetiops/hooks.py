"""Hooks: services an inner room offers and an outer room fills in, so that no import
arrow runs outward (docs/architecture.md).

``html`` draws a model or record as HTML for Jupyter. RAPI models call
:func:`draw_html` from ``_repr_html_``; the :mod:`ganetiops.display` package sets the
hook when it is imported. Until it is, the first draw loads the display room: it is an
optional, lazily loaded part (only a notebook ever draws), which is why this one
import stands inside a function.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``html(obj) -> str``: set by :mod:`ganetiops.display.html`.
html: Callable[[object], str] | None = None


def draw_html(obj: object) -> str:
    """HTML for ``obj`` through the display room's hook."""
    if html is None:
        import ganetiops.display  # noqa: F401  # lazy: the optional display room sets the hook

    assert html is not None, "ganetiops.display did not set ganetiops.hooks.html"
    return html(obj)


__all__ = ["draw_html", "html"]
