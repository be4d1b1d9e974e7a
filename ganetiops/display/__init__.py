"""Notebook display: HTML for every model and collection, DataFrames, capacity views.

>>> from ganetiops import display                              # doctest: +SKIP
>>> nodes = display.table(client.nodes.list())   # a Collection: renders as HTML
>>> nodes.to_dataframe()                          # pandas (extra ``[jupyter]``)
>>> nodes.styled()                                # the same, sizes readable
>>> report = display.capacity(client)             # per node: memory, disk, N+1
>>> report.plot()                                 # matplotlib figure

Every model already renders itself in Jupyter (``Model._repr_html_`` delegates
here). The RAPI clients return plain lists; :func:`table` wraps one in a
:class:`Collection` (a ``list`` subclass) that renders as a table and has
``to_dataframe()``. pandas and matplotlib are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops._lazy import exports

_LAZY: dict[str, str] = {
    "Collection": "ganetiops.display.collection",
    "table": "ganetiops.display.collection",
    "frame": "ganetiops.display.collection",
    "to_dataframe": "ganetiops.display.rows",
    "records": "ganetiops.display.rows",
    "record_of": "ganetiops.display.rows",
    "styled": "ganetiops.display.rows",
    "model_html": "ganetiops.display.html",
    "collection_html": "ganetiops.display.html",
    "NodeCapacity": "ganetiops.display.capacity",
    "CapacityReport": "ganetiops.display.capacity",
    "capacity": "ganetiops.display.capacity",
    "plot_capacity": "ganetiops.display.capacity",
}

__all__ = [
    "CapacityReport",
    "Collection",
    "NodeCapacity",
    "capacity",
    "collection_html",
    "frame",
    "model_html",
    "plot_capacity",
    "record_of",
    "records",
    "styled",
    "table",
    "to_dataframe",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from ganetiops.display.capacity import CapacityReport, NodeCapacity, capacity, plot_capacity
    from ganetiops.display.collection import Collection, frame, table
    from ganetiops.display.html import collection_html, model_html
    from ganetiops.display.rows import record_of, records, styled, to_dataframe
