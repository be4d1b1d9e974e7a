"""gnt-* style output: field selection, tables, units, JSON/YAML shape."""

from __future__ import annotations

import json

import pytest
import yaml

from ganetiops.cli.output import (
    Cell,
    Column,
    OutputOptions,
    Table,
    check_known,
    format_size,
    format_timestamp,
    format_value,
    render_mapping,
    render_table,
    select_fields,
)
from ganetiops.errors import ValidationError
from ganetiops.rapi.models import QueryResult

DEFAULTS = ("name", "pnode", "status")


def test_select_fields_defaults_replace_and_append() -> None:
    assert select_fields(None, DEFAULTS) == ["name", "pnode", "status"]
    assert select_fields("name,oper_ram", DEFAULTS) == ["name", "oper_ram"]
    assert select_fields("+oper_ram,nic.mac/0", DEFAULTS) == [
        "name",
        "pnode",
        "status",
        "oper_ram",
        "nic.mac/0",
    ]
    assert select_fields("+status", DEFAULTS) == ["name", "pnode", "status"]  # no duplicate


def test_select_fields_rejects_empty_names() -> None:
    with pytest.raises(ValidationError, match="empty field"):
        select_fields("name,,status", DEFAULTS)
    for empty in ("", " ", "+"):  # -o "" used to fall back to the defaults silently
        with pytest.raises(ValidationError, match="name at least one field"):
            select_fields(empty, DEFAULTS)


def _query_result() -> QueryResult:
    return QueryResult.from_api(
        {
            "fields": [
                {"name": "name", "title": "Instance", "kind": "text", "doc": ""},
                {"name": "oper_ram", "title": "Memory", "kind": "unit", "doc": ""},
                {"name": "admin_up", "title": "Autostart", "kind": "bool", "doc": ""},
                {"name": "snodes", "title": "Secondary_Nodes", "kind": "other", "doc": ""},
            ],
            "data": [
                [[0, "web1"], [0, 1536], [0, True], [0, ["bet", "gimel"]]],
                [[0, "db1"], [4, None], [0, False], [0, []]],
                [[0, "x"], [2, None], [3, None], [1, None]],
            ],
        }
    )


def test_table_from_query_renders_like_gnt_list() -> None:
    table = Table.from_query(_query_result())
    text = render_table(table, OutputOptions())
    lines = text.splitlines()
    assert lines[0].split() == ["Instance", "Memory", "Autostart", "Secondary_Nodes"]
    assert lines[1].split() == ["web1", "1.5G", "Y", "bet,gimel"]
    # offline node "*", no data "?", unavailable "-", unknown "??"
    assert lines[2].split()[:3] == ["db1", "*", "N"]
    assert lines[3].split() == ["x", "?", "-", "??"]
    # numbers are right-aligned: the Memory column ends at the same place on each row
    ends = {
        line.index(cell) + len(cell)
        for line, cell in zip(lines[1:], ("1.5G", "*", "?"), strict=True)
    }
    assert len(ends) == 1


def test_table_separator_no_headers_and_units() -> None:
    table = Table.from_query(_query_result())
    text = render_table(table, OutputOptions(separator="|", no_headers=True))
    assert text.splitlines()[0] == "web1|1536|Y|bet,gimel"  # MiB with a separator, as gnt-*
    text = render_table(table, OutputOptions(separator="|", units="g"))
    assert text.splitlines()[1] == "web1|1.5|Y|bet,gimel"
    assert text.splitlines()[0] == "Instance|Memory|Autostart|Secondary_Nodes"


def test_json_and_yaml_are_records_with_nulls_for_missing_cells() -> None:
    table = Table.from_query(_query_result())
    data = json.loads(render_table(table, OutputOptions(format="json")))
    assert data[0] == {
        "name": "web1",
        "oper_ram": 1536,
        "admin_up": True,
        "snodes": ["bet", "gimel"],
    }
    assert data[1]["oper_ram"] is None
    assert list(data[0]) == ["name", "oper_ram", "admin_up", "snodes"]  # field order kept
    again = yaml.safe_load(render_table(table, OutputOptions(format="yaml")))
    assert again == data
    with_units = json.loads(render_table(table, OutputOptions(format="json", units="h")))
    assert with_units[0]["oper_ram"] == "1.5G"


def test_unknown_fields_are_rejected_by_name() -> None:
    table = Table((Column("name", "Instance", "text"), Column("bogus", "bogus", "unknown")), ())
    with pytest.raises(ValidationError, match=r"unknown instance field.*bogus"):
        check_known(table, "instance")


def test_empty_table_prints_headers_only() -> None:
    table = Table((Column("name", "Node"), Column("mfree", "MFree", "unit")), ())
    assert render_table(table, OutputOptions()).split() == ["Node", "MFree"]
    assert render_table(table, OutputOptions(no_headers=True)) == ""
    assert json.loads(render_table(table, OutputOptions(format="json"))) == []


def test_values() -> None:
    assert format_size(512) == "512M"
    assert format_size(2048, "g") == "2.0"
    assert format_size(3 * 1024 * 1024, "t") == "3.0"
    with pytest.raises(ValidationError):
        format_size(1, "x")
    assert format_value(None) == "-"
    assert format_value(True) == "Y"
    assert format_value(["a", "b"]) == "a,b"
    assert format_value({"b": 1, "a": 2}) == "a=2,b=1"
    assert format_value(2048, "unit") == "2.0G"
    stamp = format_timestamp([1700000000, 500000])
    assert stamp.startswith("2023-11-")
    assert format_value(Cell(0, 1).value) == "1"


def test_render_mapping_nested_and_machine_formats() -> None:
    doc = {"State": "running", "NICs": [{"index": 0, "mac": "aa:00:00:00:00:01"}], "Tags": "-"}
    text = render_mapping(doc, "table", title="Instance: web1")
    assert text.splitlines()[0] == "Instance: web1"
    assert "  State: running" in text
    assert "mac: aa:00:00:00:00:01" in text
    assert json.loads(render_mapping(doc, "json")) == doc
    assert yaml.safe_load(render_mapping(doc, "yaml")) == doc
