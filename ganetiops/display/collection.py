"""``Collection``: a list of models that renders as an HTML table and becomes a DataFrame.

The clients' ``list()`` operations already return a :class:`~ganetiops.rapi.models.ModelList`
(the same manners); :func:`table` wraps any other list, with a caption.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ganetiops.rapi.models.listing import ModelList

T = TypeVar("T")


class Collection(ModelList[T]):
    """A plain ``list`` with notebook manners.

    ``_repr_html_`` draws a table (statuses coloured, sizes readable, text left and
    numbers right in every front end); :meth:`to_dataframe` gives a pandas DataFrame
    (sizes in MiB, named ``..._mib``); :meth:`where` filters by attribute values.
    """


def table(items: Iterable[T], caption: str | None = None) -> Collection[T]:
    """Wrap what a client returned (a list of models) for display."""
    return Collection(items, caption)


def frame(items: Iterable[Any]) -> Any:
    """``table(items).to_dataframe()``: a pandas DataFrame of the models."""
    from ganetiops.display.rows import to_dataframe

    return to_dataframe(list(items))


__all__ = ["Collection", "frame", "table"]
