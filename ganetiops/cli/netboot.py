"""``gnt-py netboot``: the boot server's classes, MAC wrappers, first-boot waits and the
lab class; ``netboot keys`` lives in :mod:`ganetiops.cli.netboot_keys`.

The instance commands that involve the boot server (``instance create|reimage|wipe|
remove``) are in :mod:`ganetiops.cli.instance_netboot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganetiops.cli.bootserver import (
    boot_timeout_option,
    hostname_param_option,
    open_boot,
    optional_client,
    out,
    plan_option,
    show_plan,
    upload_progress,
)
from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.netboot_keys import keys_group
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ValidationError


@click.group("netboot")
def netboot() -> None:
    """The boot server: NixOS classes, MAC wrappers, host identities, the lab class."""


@netboot.command("classes")
@pass_state
def classes_cmd(state: State) -> None:
    """Classes on the boot server: sha256, store size, date, .old rollback."""
    from ganetiops.netboot.classes import list_classes  # lazy: netboot room, start-up

    infos = list_classes(open_boot(state))
    rows: list[dict[str, Any]] = [
        {
            "class": i.name,
            "sha256": i.sha256,
            "store_mib": round(i.store_size / 2**20, 1) if i.store_size is not None else None,
            "date": i.date.isoformat(timespec="seconds") if i.date else None,
            "old": i.has_old,
            "old_sha256": i.old_sha256,
            "missing": list(i.missing),
        }
        for i in infos
    ]
    if state.output_format != "table":
        out(state, {"classes": rows}, [])
        return
    from tabulate import tabulate  # lazy: tabulate, start-up

    table = [
        [
            r["class"],
            (r["sha256"] or "-")[:16],
            r["store_mib"],
            r["date"],
            f"yes ({(r['old_sha256'] or '?')[:12]})" if r["old"] else "no",
            ", ".join(r["missing"]) or "-",
        ]
        for r in rows
    ]
    click.echo(tabulate(table, headers=["class", "sha256", "store MiB", "date", ".old", "missing"]))


@netboot.command("publish")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--class", "class_", metavar="CLASS", help="Class name (default: from DIR).")
@plan_option
@pass_state
def publish_cmd(state: State, directory: Path, class_: str | None, plan: bool) -> None:
    """Publish a built class directory (skipped when the server has the same sha256)."""
    # lazy: netboot room, start-up
    from ganetiops.netboot.classes import find_local_class, plan_publish, publish

    local = find_local_class(directory, class_)
    boot = open_boot(state)
    publish_plan = plan_publish(boot, local)
    show_plan([publish_plan.describe()])
    if plan:
        return
    result = publish(boot, publish_plan, progress=upload_progress())
    out(
        state,
        {
            "class": result.name,
            "sha256": result.sha256,
            "skipped": result.skipped,
            "served_sha256": result.served_sha256,
        },
        [
            f"class {result.name}: {'unchanged' if result.skipped else 'published'}, "
            f"served sha256 {result.served_sha256}"
        ],
    )


@netboot.command("rollback")
@click.argument("class_name", metavar="CLASS")
@yes_option
@pass_state
def rollback_cmd(state: State, class_name: str, yes: bool) -> None:
    """Swap CLASS and CLASS.old (running it again swaps back)."""
    from ganetiops.netboot.classes import class_info, rollback  # lazy: netboot room, start-up
    from ganetiops.netboot.layout import class_name as check_class  # lazy: netboot room, start-up

    boot = open_boot(state)
    info = class_info(boot, check_class(class_name))
    if info is None or not info.has_old:
        raise ValidationError(f"class {class_name} has no .old to roll back to", field="class")
    show_plan(
        [f"class {class_name}: serve {info.old_sha256} (now {info.sha256}, which becomes .old)"]
    )
    confirm(f"Roll class {class_name} back? VMs boot the old build at their next reboot.", yes)
    result = rollback(boot, class_name)
    out(
        state,
        {"class": result.name, "sha256": result.sha256, "previous_sha256": result.previous_sha256},
        [
            f"class {result.name}: now {result.sha256} (previous {result.previous_sha256} "
            "kept as .old)"
        ],
    )


@netboot.command("wrappers")
@hostname_param_option
@pass_state
def wrappers_cmd(state: State, hostname_param: str) -> None:
    """MAC wrappers; warns about any that still carry the provision flag."""
    boot = open_boot(state, hostname_param)
    states = boot.wrappers()
    rows = [
        {
            "mac": s.wrapper.mac,
            "hostname": s.wrapper.hostname,
            "class": s.wrapper.class_name,
            "pin": s.wrapper.pin,
            "provision_flag": s.wrapper.provision,
            "fetched": s.fetched.time.isoformat() if s.fetched else None,
            "managed": s.wrapper.managed,
        }
        for s in states
    ]
    for s in states:
        if s.wrapper.provision:
            who = s.wrapper.hostname or s.wrapper.mac
            extra = (
                f"; fetched since it was set ({s.fetched.time.isoformat()}): clear it with "
                f"gnt-py netboot clear-flag {s.wrapper.mac}"
                if s.fetched
                else ""
            )
            click.secho(
                f"WARNING: by-mac/{s.wrapper.mac}/ipxe ({who}) carries the provision flag: "
                f"its next boot wipes the disk{extra}",
                fg="yellow",
                err=True,
            )
    if state.output_format != "table":
        out(state, {"wrappers": rows}, [])
        return
    from tabulate import tabulate  # lazy: tabulate, start-up

    click.echo(
        tabulate(
            [
                [
                    r["mac"],
                    r["hostname"] or "?",
                    f"{r['class'] or '?'}" + (f" (pinned {r['pin']})" if r["pin"] else ""),
                    "SET" if r["provision_flag"] else "-",
                    r["fetched"] or "-",
                ]
                for r in rows
            ],
            headers=["mac", "hostname", "class", "flag", "fetched since written"],
        )
    )


@netboot.command("show-wrapper")
@click.argument("target", metavar="NAME|MAC")
@hostname_param_option
@pass_state
def show_wrapper(state: State, target: str, hostname_param: str) -> None:
    """Print the wrapper of an instance (by name or MAC)."""
    from ganetiops.netboot.lifecycle import resolve_mac  # lazy: netboot room, start-up

    boot = open_boot(state, hostname_param)
    mac = resolve_mac(optional_client(state), boot, target)
    wrapper = boot.wrapper(mac)
    if wrapper is None:
        raise ValidationError(f"no wrapper for {mac}", field="name")
    click.echo(wrapper.wrapper.text, nl=False)


@netboot.command("clear-flag")
@click.argument("targets", nargs=-1, metavar="NAME|MAC...")
@click.option(
    "--fetched",
    "all_fetched",
    is_flag=True,
    help="Clear every flagged wrapper already fetched since it was written.",
)
@hostname_param_option
@pass_state
def clear_flag(
    state: State, targets: tuple[str, ...], all_fetched: bool, hostname_param: str
) -> None:
    """Remove the provision flag from wrappers (by instance name or MAC)."""
    from ganetiops.netboot.lifecycle import resolve_mac  # lazy: netboot room, start-up

    if not targets and not all_fetched:
        raise click.UsageError("name instances or MACs, or give --fetched")
    boot = open_boot(state, hostname_param)
    macs = [resolve_mac(optional_client(state), boot, t) for t in targets] if targets else []
    if all_fetched:
        macs += [s.wrapper.mac for s in boot.wrappers() if s.flag_fetched]
    cleared = [mac for mac in dict.fromkeys(macs) if boot.set_flag(mac, False)]
    out(
        state,
        {"cleared": cleared},
        [f"flag cleared: by-mac/{m}/ipxe" for m in cleared] or ["no flag to clear"],
    )


@netboot.command("await-boot")
@click.argument("target", metavar="NAME|MAC")
@boot_timeout_option
@click.option("--keep-flag", is_flag=True, help="Only wait; do not clear the flag.")
@hostname_param_option
@pass_state
def await_boot_cmd(
    state: State, target: str, boot_timeout: float, keep_flag: bool, hostname_param: str
) -> None:
    """Wait for the VM to fetch its wrapper (since it was written), then clear the flag."""
    from ganetiops.netboot.lifecycle import await_boot, resolve_mac  # lazy: netboot room, start-up

    boot = open_boot(state, hostname_param)
    mac = resolve_mac(optional_client(state), boot, target)
    fetched, cleared = await_boot(boot, mac, timeout=boot_timeout, clear=not keep_flag)
    out(
        state,
        {
            "mac": mac,
            "client": fetched.client,
            "time": fetched.time.isoformat(),
            "flag_cleared": cleared,
        },
        [
            f"by-mac/{mac}/ipxe fetched by {fetched.client} at {fetched.time.isoformat()}"
            + ("; provision flag cleared" if cleared else "")
        ],
    )


@netboot.command("lab-class")
@click.option("--class", "class_", default="navidrome", show_default=True, metavar="CLASS")
@click.option(
    "--generation",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Another generation gives another store (and sha256).",
)
def lab_class(class_: str, generation: int) -> None:
    """Build (or reuse) the lab's small class directory from Debian packages; print its path."""
    from ganetiops.netboot.labclass import build_lab_class  # lazy: netboot room, start-up

    click.echo(str(build_lab_class(class_, generation=generation)))


@netboot.command("root-script")
@plan_option
@pass_state
def root_script_cmd(state: State, /, plan: bool) -> None:
    """Publish the root script netboot.ipxe that DHCP hands to iPXE (it chains
    nixos/by-mac/<mac>/ipxe from DHCP's next-server; homelab.md §3.3)."""
    # lazy: netboot room, start-up
    from ganetiops.netboot.report import ROOT_SCRIPT, publish_root_script, root_script

    boot = open_boot(state)
    url = boot.layout.url_of(ROOT_SCRIPT)
    if plan:
        click.echo(f"would publish {url}:", err=True)
        click.echo(root_script(), nl=False)
        return
    changed = publish_root_script(boot)
    shown = f"{url}: {'published' if changed else 'unchanged'}"
    out(state, {"url": url, "changed": changed}, [shown])


netboot.add_command(keys_group)

__all__ = ["netboot"]
