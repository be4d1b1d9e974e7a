"""Pure pieces of the command line: gnt-* key=value options, modifications, filters,
create arguments, verify output, the instance group's one create."""

from __future__ import annotations

from typing import Any

import click
import pytest

from ganetiops.cli import instance_netboot
from ganetiops.cli.cluster_ops import COMMANDS, parse_verify, register
from ganetiops.cli.common import parse_filter, parse_indexed, parse_kv
from ganetiops.cli.instance import instance, parse_modifications
from ganetiops.cli.instance_netboot import create_arguments, disk_specs, is_pxe
from ganetiops.cli.qlang import parse_qlang
from ganetiops.errors import ValidationError


def test_parse_kv_types_and_flags() -> None:
    assert parse_kv("memory=1G,vcpus=2,auto_balance,no_always_failover", "-B") == {
        "memory": "1G",
        "vcpus": 2,
        "auto_balance": True,
        "always_failover": False,
    }
    assert parse_kv("vlan=100", "--net", typed=False) == {"vlan": "100"}
    assert parse_kv(None, "-B") == {}
    for bad in ("a=1,,b=2", "=1"):
        with pytest.raises(ValidationError):
            parse_kv(bad, "-B")


def test_parse_indexed() -> None:
    assert parse_indexed(["0:size=1G", "1:size=2G,name=data"], "--disk") == [
        {"size": "1G"},
        {"size": "2G", "name": "data"},
    ]
    assert parse_indexed(["link=br0", "link=br1"], "--net") == [{"link": "br0"}, {"link": "br1"}]
    with pytest.raises(ValidationError, match="indexes"):
        parse_indexed(["2:size=1G"], "--disk")
    with pytest.raises(ValidationError, match="twice"):
        parse_indexed(["0:size=1G", "0:size=2G"], "--disk")


def test_parse_modifications_gnt_forms() -> None:
    assert parse_modifications(
        ("add:link=br0", "1:ip=10.0.0.5", "2:remove", "remove"), "--net"
    ) == [
        ("add", -1, {"link": "br0"}),
        ("modify", 1, {"ip": "10.0.0.5"}),
        ("remove", 2, {}),
        ("remove", -1, {}),
    ]
    with pytest.raises(ValidationError):
        parse_modifications(("sideways",), "--net")


def test_parse_filter() -> None:
    assert parse_filter(None) is None
    assert parse_filter('["=", "status", "running"]') == ["=", "status", "running"]
    assert parse_filter(None, ("pnode=aleph", "oper_vcpus=2")) == [
        "&",
        ["=", "pnode", "aleph"],
        ["=", "oper_vcpus", 2],
    ]
    assert parse_filter(None, ("status!=running",)) == ["!", ["=", "status", "running"]]
    for bad in ("[1,", '{"a": 1}', "status =="):
        with pytest.raises(ValidationError):
            parse_filter(bad)
    with pytest.raises(ValidationError):
        parse_filter(None, ("novalue",))
    assert parse_filter('status == "running"', ("pnode=aleph",)) == [
        "&",
        ["=", "status", "running"],
        ["=", "pnode", "aleph"],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('status == "running"', ["=", "status", "running"]),
        ("status == running", ["=", "status", "running"]),
        ("oper_ram >= 512", [">=", "oper_ram", 512]),
        ("be/vcpus != 2", ["!=", "be/vcpus", 2]),
        ("name =~ m/^web/", ["=~", "name", "^web"]),
        ("name =~ m{^WEB}i", ["=~", "name", "(?i)^WEB"]),
        ('"prod" in tags', ["=[]", "tags", "prod"]),
        ("'prod' not in tags", ["!", ["=[]", "tags", "prod"]]),
        ("admin_up", ["?", "admin_up"]),
        ("not admin_up", ["!", ["?", "admin_up"]]),
        (
            'status == "running" and (os == "noop" or os == "pxe") or drained == true',
            [
                "|",
                ["&", ["=", "status", "running"], ["|", ["=", "os", "noop"], ["=", "os", "pxe"]]],
                ["=", "drained", True],
            ],
        ),
        ("nic.mac/0 == 'aa:00:00:00:00:01'", ["=", "nic.mac/0", "aa:00:00:00:00:01"]),
        (r'name == "a\"b"', ["=", "name", 'a"b']),
    ],
)
def test_qlang(text: str, expected: list[Any]) -> None:
    assert parse_qlang(text) == expected


@pytest.mark.parametrize(
    "text", ["", "status ==", "(status", "status == 1 1", "name =~ m/(/", "1 == status", "== 1"]
)
def test_qlang_errors_name_the_filter(text: str) -> None:
    with pytest.raises(ValidationError, match="--filter"):
        parse_qlang(text)


def _create(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "disk_template": "drbd",
        "disk": ("10G",),
        "memory": None,
        "vcpus": None,
        "node": "aleph:bet",
        "pnode": None,
        "snode": None,
        "iallocator": None,
        "network": None,
        "backend_parameters": "memory=2G",
        "hypervisor_parameters": None,
        "os_parameters": None,
        "net": (),
        "no_nics": False,
        "hypervisor": None,
        "no_start": False,
        "no_install": False,
        "name_check": False,
        "ip_check": False,
        "tags": "a,b",
    }
    options.update(overrides)
    return create_arguments("web1", "noop", options)


def test_create_arguments() -> None:
    args = _create()
    assert args["disks"] == [{"size": "10G"}]
    assert args["os"] == "noop"
    assert (args["pnode"], args["snode"]) == ("aleph", "bet")
    assert args["nics"] == [{}]  # one NIC with the cluster defaults, like gnt-instance add
    assert args["beparams"] == {"memory": "2G"}
    assert args["tags"] == ["a", "b"]
    assert _create(no_nics=True)["nics"] == []
    assert _create(net=("link=br0",))["nics"] == [{"link": "br0"}]
    assert _create(network="prod")["nics"] == [{"network": "prod"}]
    both = _create(memory="1G", vcpus=2, backend_parameters=None)["beparams"]
    assert both == {"maxmem": 1024, "minmem": 1024, "vcpus": 2}  # --memory checked: MiB
    with pytest.raises(ValidationError):
        _create(no_nics=True, net=("link=br0",))
    with pytest.raises(ValidationError):
        _create(network="prod", net=("link=br0",))
    with pytest.raises(click.UsageError):
        _create(pnode="gimel")  # and -n


def test_disk_specs_take_a_size_or_a_gnt_spec() -> None:
    assert disk_specs(("10G",)) == [{"size": "10G"}]
    assert disk_specs(("1:2G", "0:size=1G,mode=rw")) == [
        {"size": "1G", "mode": "rw"},
        {"size": "2G"},
    ]
    with pytest.raises(ValidationError, match="index 0 given twice"):
        disk_specs(("0:1G", "0:2G"))


VERIFY = """\
Mon Nov 27 18:00:00 2026 * Verifying cluster config
Mon Nov 27 18:00:01 2026   - ERROR: node aleph.homelab.tel: procfs /proc/sysrq-trigger missing
Mon Nov 27 18:00:02 2026   - WARNING: instance web1 has no secondary
Mon Nov 27 18:00:03 2026 * Other checks
"""


def test_parse_verify() -> None:
    lines = parse_verify(VERIFY)
    assert [line["level"] for line in lines] == ["info", "ERROR", "WARNING", "info"]
    assert lines[1]["message"].startswith("node aleph.homelab.tel: procfs")
    assert lines[0]["time"] == "Mon Nov 27 18:00:00 2026"


def test_register_adds_cluster_ops_once_and_keeps_existing() -> None:
    group = click.Group("cluster")

    @group.command("info")
    def own_info() -> None:
        """Someone else's info."""

    register(group)
    register(group)
    assert group.commands["info"] is own_info
    assert {"master", "verify", "verify-disks", "modify"} <= set(group.commands)
    assert len(group.commands) == len(COMMANDS)


def test_instance_group_has_one_create_for_every_kind() -> None:
    ctx = click.Context(instance)
    assert {"create", "reimage", "wipe", "remove", "start"} <= set(instance.list_commands(ctx))
    command = instance.get_command(ctx, "create")
    assert command is instance_netboot.create
    flags = {flag for p in command.params for flag in p.opts}
    # the options of the former plain create, with -s a disk in both kinds
    assert {"-s", "--disk", "-B", "--net", "--no-nics", "--class", "--publish"} <= flags
    assert "--os-size" not in flags
    assert is_pxe("pxe") and is_pxe("pxe+default") and not is_pxe("noop")


def _walk(command: click.Command, ctx: click.Context) -> list[tuple[str, click.Command]]:
    found = [(ctx.command_path, command)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{ctx.command_path} {name} cannot be loaded"
            found += _walk(sub, click.Context(sub, info_name=name, parent=ctx))
    return found


def test_every_command_loads_and_has_unique_options() -> None:
    import warnings

    from ganetiops.cli.app import cli

    root = click.Context(cli, info_name="gnt-py")
    commands = _walk(cli, root)
    assert len(commands) > 80
    for path, command in commands:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # click warns about an option given twice
            command.get_help(click.Context(command, info_name=path))
        flags = [flag for p in command.params for flag in (*p.opts, *p.secondary_opts)]
        assert len(flags) == len(set(flags)), path
        assert command.help or command.short_help or isinstance(command, click.Group), path


def test_query_resources_refused_before_anything_is_sent() -> None:
    """``gnt-py query list|fields`` offer what the operation accepts, and refuse the rest
    while parsing (exit 2: no context is even read)."""
    from click.testing import CliRunner

    from ganetiops.cli.query import query

    runner = CliRunner()
    for command in ("list", "fields"):
        result = runner.invoke(query, [command, "nosuchresource"])
        assert result.exit_code == 2, result.output
        assert "'filter'" in result.output and "'lock'" in result.output
