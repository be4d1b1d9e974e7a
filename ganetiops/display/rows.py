"""Flat records of models: the columns a table or a DataFrame shows for each kind.

Sizes stay numbers (MiB) here, so that DataFrames can be summed and plotted;
the HTML renderer makes them readable. Each kind of model has its own column
list; anything else falls back to its attrs fields (``raw`` excluded) or to a
mapping's items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ganetiops.units import format_size

#: Column name -> how HTML shows it: "size" (MiB), "status", "time", "seconds", "ratio"
#: or "text". DataFrames take their units from here too (``memory`` -> ``memory_mib``).
KINDS: dict[str, str] = {
    "mem_total": "size",
    "mem_node": "size",
    "mem_used": "size",
    "mem_free": "size",
    "mem_reserve": "size",
    "disk_free": "size",
    "disk_shared": "size",
    "mem_overcommit": "ratio",
    "role": "status",
    "memory": "size",
    "oper_ram": "size",
    "disk_total": "size",
    "mtotal": "size",
    "mnode": "size",
    "mfree": "size",
    "dtotal": "size",
    "dfree": "size",
    "mem_allocated": "size",
    "disk_allocated": "size",
    "n1_needed": "size",
    "n1_headroom": "size",
    "duration": "seconds",
    "status": "status",
    "received": "time",
    "started": "time",
    "ended": "time",
    "time": "time",
}


def _plain(value: Any) -> Any:
    """A record value: tuples become lists, sizes (:class:`MiB`) plain ints."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def _record(columns: str, **computed: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    """The record maker of one kind: ``columns`` in order, each the attribute of that
    name unless ``computed`` gives a function for it."""
    names = columns.split()

    def record(obj: Any) -> dict[str, Any]:
        return {
            name: _plain(computed[name](obj) if name in computed else getattr(obj, name))
            for name in names
        }

    return record


def _job_error(job: Any) -> str | None:
    error = job.error
    return f"{error.error_class}: {error.message}" if error else None


#: The columns of each kind of model, by class name (the display room does not
#: import the models to know them).
_BY_CLASS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Instance": _record(
        "name status pnode snodes os disk_template memory vcpus disk_total nics mac tags",
        nics=lambda i: len(i.nics),
    ),
    "Node": _record(
        "name role pip sip mtotal mnode mfree dtotal dfree pinst_cnt sinst_cnt offline drained"
    ),
    "Group": _record("name alloc_policy node_cnt nodes tags", nodes=lambda g: g.node_list),
    "Network": _record(
        "name network gateway mac_prefix free_count reserved_count groups instances",
        groups=lambda n: [c.group for c in n.connections],
        instances=lambda n: n.inst_list,
    ),
    "JobInfo": _record(
        "id status summary received started ended duration error",
        summary=lambda j: "; ".join(j.summary),
        received=lambda j: j.received_ts,
        started=lambda j: j.start_ts,
        ended=lambda j: j.end_ts,
        error=_job_error,
    ),
    "ClusterInfo": _record(
        "name master software_version enabled_hypervisors enabled_disk_templates "
        "default_iallocator tags"
    ),
    "LogEntry": _record("job_id serial time type message", message=lambda e: e.text),
    "OperatingSystem": _record("name variants"),
    "Filter": _record("uuid priority action predicates"),
}


def record_of(obj: Any) -> dict[str, Any]:
    """One flat record (column -> value) for a model, named tuple, attrs object or mapping."""
    for klass in type(obj).__mro__:
        maker = _BY_CLASS.get(klass.__name__)
        if maker is not None:
            return maker(obj)
    if hasattr(obj, "records") and callable(obj.records):  # QueryResult: not one record
        raise TypeError("a QueryResult holds many records; use records(result)")
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "_asdict"):
        return dict(obj._asdict())
    if attrs.has(type(obj)):
        return {f.name: getattr(obj, f.name) for f in attrs.fields(type(obj)) if f.name != "raw"}
    return {"value": obj}


def records(items: Any) -> list[dict[str, Any]]:
    """Records of a list of models (or a ``QueryResult``: its rows)."""
    if hasattr(items, "records") and callable(items.records) and hasattr(items, "fields"):
        return list(items.records())
    if isinstance(items, Mapping):
        return [dict(items)]
    return [record_of(item) for item in _iterable(items)]


def _iterable(items: Any) -> Iterable[Any]:
    if isinstance(items, str | bytes):
        raise TypeError("expected a list of models, not a string")
    return list(items)


#: What a kind of column becomes in a DataFrame: (name suffix, unit).
UNIT_OF_KIND: dict[str, tuple[str, str]] = {
    "size": ("_mib", "MiB"),
    "seconds": ("_s", "s"),
    "ratio": ("_ratio", "ratio"),
}
#: Columns made pandas categoricals (few distinct values: filter, group, count).
CATEGORICAL = frozenset({"status", "role", "disk_template", "os", "alloc_policy", "type"})


def _pandas() -> Any:
    try:
        import pandas as pd  # lazy: optional extra
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install 'ganetiops[jupyter]'") from None
    return pd


def to_dataframe(items: Any, units: Mapping[str, str] | None = None) -> Any:
    """A pandas DataFrame of models, ready for analysis; indexed by name or id when present.

    - sizes are MiB numbers, named for it: ``memory_mib``, ``mfree_mib``; durations
      ``duration_s``; ratios ``..._ratio``;
    - ``df.attrs["units"]`` maps each such column to its unit (``{"memory_mib": "MiB"}``);
    - ``status``, ``role``, ``disk_template``, ``os`` are categoricals;
    - job times (``received``, ``started``, ``ended``, ``time``) are UTC datetimes.

    ``units`` overrides the unit of a column by its record name. Needs pandas:
    ``pip install 'ganetiops[jupyter]'``.
    """
    pd = _pandas()
    rows = records(items)
    df = pd.DataFrame.from_records(rows)
    renames: dict[str, str] = {}
    found: dict[str, str] = {}
    for column in list(df.columns):
        kind = KINDS.get(column, "text")
        unit = (units or {}).get(column)
        if kind == "time":
            stamps = pd.to_datetime(pd.to_numeric(df[column]), unit="s", utc=True)
            df[column] = stamps.dt.floor("s")  # durations keep the fractions
            continue
        if column in CATEGORICAL and df[column].map(lambda v: isinstance(v, str | None)).all():
            df[column] = df[column].astype("category")
            continue
        suffix_unit = UNIT_OF_KIND.get(kind)
        if unit is None and suffix_unit is not None:
            unit = suffix_unit[1]
        if unit is None:
            continue
        suffix = {"MiB": "_mib", "s": "_s", "ratio": "_ratio"}.get(unit, f"_{unit.lower()}")
        name = column if column.endswith(suffix) else column + suffix
        renames[column] = name
        found[name] = unit
        if unit == "MiB":
            df[column] = pd.array(
                [None if v is None or v != v else int(v) for v in df[column]], dtype="Int64"
            )
    df = df.rename(columns=renames)
    for key in ("name", "id", "uuid"):
        if key in df.columns and df[key].is_unique and len(df):
            df = df.set_index(key)
            break
    df.attrs["units"] = found
    return df


def styled(df: Any) -> Any:
    """A pandas ``Styler`` of a DataFrame from :func:`to_dataframe`: MiB columns as
    ``1.5G``, ratios as percent, false booleans red; the numbers underneath unchanged.
    """
    units = df.attrs.get("units", {})
    formats: dict[str, Any] = {}
    for column, unit in units.items():
        if unit == "MiB":
            formats[column] = lambda v: "–" if v is None or v != v else format_size(int(v))
        elif unit == "ratio":
            formats[column] = lambda v: "–" if v is None or v != v else f"{v:.0%}"
        elif unit == "s":
            formats[column] = lambda v: "–" if v is None or v != v else f"{v:.1f}s"
    for column in df.columns:
        if column not in formats and any(isinstance(v, list) for v in df[column]):
            formats[column] = lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v
    styler = df.style.format(formats)
    flags = [c for c in df.columns if df[c].dtype == bool]
    if flags:
        styler = styler.map(
            lambda v: "color:#cf222e;font-weight:600" if v is False else "", subset=flags
        )
    numbers = [c for c in df.columns if c in units or df[c].dtype.kind in "iuf"]
    text = [c for c in df.columns if c not in numbers]
    # Per-cell rules (id selectors) outrank JupyterLab's right-aligning td rule.
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    if numbers:
        styler = styler.set_properties(subset=numbers, **{"text-align": "right"})
    return styler.set_table_styles([{"selector": "th", "props": "text-align:left"}])


__all__ = ["KINDS", "record_of", "records", "styled", "to_dataframe"]
