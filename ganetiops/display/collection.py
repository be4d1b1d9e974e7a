"""``Collection``: a list of models that renders as an HTML table and becomes a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex, TypeVar, overload

from ganetiops.display.html import collection_html
from ganetiops.display.rows import records, to_dataframe

T = TypeVar("T")


class Collection(list[T]):
    """A plain ``list`` with notebook manners.

    ``_repr_html_`` draws a table (statuses coloured, sizes readable);
    :meth:`to_dataframe` gives a pandas DataFrame (sizes in MiB);
    :meth:`where` filters by attribute values.
    """

    caption: str | None = None

    def __init__(self, items: Iterable[T] = (), caption: str | None = None) -> None:
        super().__init__(items)
        self.caption = caption

    def _repr_html_(self) -> str:
        return collection_html(list(self), self.caption)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame with one row per item (needs the ``[jupyter]`` extra)."""
        return to_dataframe(list(self))

    def to_records(self) -> list[dict[str, Any]]:
        return records(list(self))

    def where(self, **conditions: Any) -> Collection[T]:
        """Items whose attributes equal the given values: ``nodes.where(role="master")``."""
        return Collection(
            (i for i in self if all(getattr(i, k, None) == v for k, v in conditions.items())),
            self.caption,
        )

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Collection[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | Collection[T]:
        if isinstance(index, slice):
            return Collection(super().__getitem__(index), self.caption)
        return super().__getitem__(index)


def table(items: Iterable[T], caption: str | None = None) -> Collection[T]:
    """Wrap what a client returned (a list of models) for display."""
    return Collection(items, caption)


def frame(items: Iterable[Any]) -> Any:
    """``table(items).to_dataframe()``: a pandas DataFrame of the models."""
    return to_dataframe(list(items))


__all__ = ["Collection", "frame", "table"]
