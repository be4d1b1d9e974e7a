"""Hooks: services an inner room offers and an outer room fills in, so that no import
arrow runs outward (docs/architecture.md).

The RAPI client, its models, jobs and lists, and configuration contexts draw
themselves in Jupyter (``_repr_html_``) and turn into DataFrames; the drawing lives in
the display room. They ask for it by name through :func:`display`
(``hooks.display("job_html")(job)``); the :mod:`ganetiops.display` package fills the
table in when it is imported (:func:`provide`). Until it is, the first call loads the
display room: it is an optional, lazily loaded part (only a notebook ever draws),
which is why this one import stands inside a function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name -> function of the display room (``html``, ``job_html``, ``to_dataframe``...).
_DISPLAY: dict[str, Callable[..., Any]] = {}


def provide(**functions: Callable[..., Any]) -> None:
    """Fill in display hooks (the display room calls this when imported)."""
    _DISPLAY.update(functions)


def display(name: str) -> Callable[..., Any]:
    """The display room's function ``name``, loading the room on first use."""
    if name not in _DISPLAY:
        import ganetiops.display  # noqa: F401  # lazy: the optional display room fills the hooks
    try:
        return _DISPLAY[name]
    except KeyError:
        raise LookupError(f"the display room provides no {name!r}") from None


def draw_html(obj: object) -> str:
    """HTML for a model, a list of models or a query result."""
    html: str = display("html")(obj)
    return html


__all__ = ["display", "draw_html", "provide"]
