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

#: Column name -> how HTML shows it: "size" (MiB), "status", "time", "seconds" or "text".
KINDS: dict[str, str] = {
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
    "role": "status",
    "received": "time",
    "started": "time",
    "ended": "time",
    "time": "time",
}


def _instance(i: Any) -> dict[str, Any]:
    return {
        "name": i.name,
        "status": i.status,
        "pnode": i.pnode,
        "snodes": list(i.snodes),
        "os": i.os,
        "disk_template": i.disk_template,
        "memory": _int(i.memory),
        "vcpus": i.vcpus,
        "disk_total": _int(i.disk_total),
        "nics": len(i.nics),
        "mac": i.mac,
        "tags": list(i.tags),
    }


def _node(n: Any) -> dict[str, Any]:
    return {
        "name": n.name,
        "role": n.role,
        "pip": n.pip,
        "sip": n.sip,
        "mtotal": _int(n.mtotal),
        "mnode": _int(n.mnode),
        "mfree": _int(n.mfree),
        "dtotal": _int(n.dtotal),
        "dfree": _int(n.dfree),
        "pinst_cnt": n.pinst_cnt,
        "sinst_cnt": n.sinst_cnt,
        "offline": n.offline,
        "drained": n.drained,
    }


def _group(g: Any) -> dict[str, Any]:
    return {
        "name": g.name,
        "alloc_policy": g.alloc_policy,
        "node_cnt": g.node_cnt,
        "nodes": list(g.node_list),
        "tags": list(g.tags),
    }


def _network(n: Any) -> dict[str, Any]:
    return {
        "name": n.name,
        "network": n.network,
        "gateway": n.gateway,
        "mac_prefix": n.mac_prefix,
        "free_count": n.free_count,
        "reserved_count": n.reserved_count,
        "groups": [c.group for c in n.connections],
        "instances": list(n.inst_list),
    }


def _job(j: Any) -> dict[str, Any]:
    error = j.error
    return {
        "id": j.id,
        "status": j.status,
        "summary": "; ".join(j.summary),
        "received": j.received_ts,
        "started": j.start_ts,
        "ended": j.end_ts,
        "duration": j.duration,
        "error": f"{error.error_class}: {error.message}" if error else None,
    }


def _cluster(c: Any) -> dict[str, Any]:
    return {
        "name": c.name,
        "master": c.master,
        "software_version": c.software_version,
        "enabled_hypervisors": list(c.enabled_hypervisors),
        "enabled_disk_templates": list(c.enabled_disk_templates),
        "default_iallocator": c.default_iallocator,
        "tags": list(c.tags),
    }


def _log(e: Any) -> dict[str, Any]:
    return {
        "job_id": e.job_id,
        "serial": e.serial,
        "time": e.time,
        "type": e.type,
        "message": e.text,
    }


def _os(o: Any) -> dict[str, Any]:
    return {"name": o.name, "variants": list(o.variants)}


def _filter(f: Any) -> dict[str, Any]:
    return {
        "uuid": f.uuid,
        "priority": f.priority,
        "action": f.action,
        "predicates": list(f.predicates),
    }


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _by_class() -> dict[str, Callable[[Any], dict[str, Any]]]:
    return {
        "Instance": _instance,
        "Node": _node,
        "Group": _group,
        "Network": _network,
        "JobInfo": _job,
        "ClusterInfo": _cluster,
        "LogEntry": _log,
        "OperatingSystem": _os,
        "Filter": _filter,
    }


def record_of(obj: Any) -> dict[str, Any]:
    """One flat record (column -> value) for a model, named tuple, attrs object or mapping."""
    for klass in type(obj).__mro__:
        maker = _by_class().get(klass.__name__)
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


def to_dataframe(items: Any) -> Any:
    """A pandas DataFrame of models (sizes in MiB), indexed by name or id when present.

    Needs pandas: ``pip install 'ganetiops[jupyter]'``.
    """
    try:
        import pandas as pd  # lazy: optional extra
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install 'ganetiops[jupyter]'") from None
    rows = records(items)
    df = pd.DataFrame.from_records(rows)
    for key in ("name", "id", "uuid"):
        if key in df.columns and df[key].is_unique and len(df):
            df = df.set_index(key)
            break
    return df


__all__ = ["KINDS", "record_of", "records", "to_dataframe"]
