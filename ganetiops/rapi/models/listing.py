"""``ModelList``: what the ``list()`` operations return — a plain ``list`` with notebook
manners (an HTML table, ``to_dataframe()``), drawn by :mod:`ganetiops.display` when used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex, TypeVar, overload

T = TypeVar("T")


class ModelList(list[T]):
    """A ``list`` of models that renders as a table in Jupyter and becomes a DataFrame.

    It is a real ``list`` (``==`` a list of the same models, JSON-able item by item);
    the display code is imported only when one of these methods is called.
    """

    caption: str | None = None

    def __init__(self, items: Iterable[T] = (), caption: str | None = None) -> None:
        super().__init__(items)
        self.caption = caption

    def _repr_html_(self) -> str:
        from ganetiops.display.html import collection_html

        return collection_html(list(self), self.caption)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, one row per item (needs the ``[jupyter]`` extra).

        Sizes are MiB numbers in ``..._mib`` columns, ``df.attrs["units"]`` names the
        units, statuses and roles are categoricals, job times datetimes.
        """
        from ganetiops.display.rows import to_dataframe

        return to_dataframe(list(self))

    def styled(self) -> Any:
        """:meth:`to_dataframe` as a pandas ``Styler``: sizes readable (``1.5G``), text
        left and numbers right in every front end, the numbers underneath unchanged."""
        from ganetiops.display.rows import styled

        return styled(self.to_dataframe())

    def to_records(self) -> list[dict[str, Any]]:
        """The flat rows a table or a DataFrame shows."""
        from ganetiops.display.rows import records

        return records(list(self))

    def where(self, **conditions: Any) -> ModelList[T]:
        """Items whose attributes equal the given values: ``nodes.where(role="master")``."""
        return type(self)(
            (i for i in self if all(getattr(i, k, None) == v for k, v in conditions.items())),
            self.caption,
        )

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> ModelList[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | ModelList[T]:
        if isinstance(index, slice):
            return type(self)(super().__getitem__(index), self.caption)
        return super().__getitem__(index)


__all__ = ["ModelList"]
