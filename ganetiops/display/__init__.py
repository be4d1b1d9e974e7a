"""Notebook display: HTML for every model and collection, DataFrames, capacity views.

>>> from ganetiops import display                              # doctest: +SKIP
>>> nodes = display.table(client.nodes.list())   # a Collection: renders as HTML
>>> nodes.to_dataframe()                          # pandas (extra ``[jupyter]``)
>>> nodes.styled()                                # the same, sizes readable
>>> report = display.capacity(client)             # per node: memory, disk, N+1
>>> report.plot()                                 # matplotlib figure

Every model already renders itself in Jupyter: ``Model._repr_html_`` calls
:func:`ganetiops.hooks.draw_html`, which this package fills in when imported.
The RAPI clients return plain lists; :func:`table` wraps one in a
:class:`Collection` (a ``list`` subclass) that renders as a table and has
``to_dataframe()``. pandas and matplotlib are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganetiops import hooks
from ganetiops._lazy import exports
from ganetiops.display import html as _html
from ganetiops.display import rows as _rows

#: The display room fills in the hooks through which models, jobs, lists, the client
#: and contexts draw themselves (``_repr_html_``) and become DataFrames.
hooks.provide(
    html=_html.repr_html,
    collection_html=_html.collection_html,
    job_html=_html.job_html,
    job_result_html=_html.job_result_html,
    client_html=_html.client_html,
    context_html=_html.context_html,
    to_dataframe=_rows.to_dataframe,
    styled=_rows.styled,
    records=_rows.records,
)


if TYPE_CHECKING:  # the public names, imported on first use (ganetiops._lazy)
    from ganetiops.display.capacity import CapacityReport as CapacityReport
    from ganetiops.display.capacity import NodeCapacity as NodeCapacity
    from ganetiops.display.capacity import capacity as capacity
    from ganetiops.display.capacity import plot_capacity as plot_capacity
    from ganetiops.display.collection import Collection as Collection
    from ganetiops.display.collection import frame as frame
    from ganetiops.display.collection import table as table
    from ganetiops.display.html import collection_html as collection_html
    from ganetiops.display.html import model_html as model_html
    from ganetiops.display.rows import record_of as record_of
    from ganetiops.display.rows import records as records
    from ganetiops.display.rows import styled as styled
    from ganetiops.display.rows import to_dataframe as to_dataframe

__getattr__, __dir__ = exports(__name__)
