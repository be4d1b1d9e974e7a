"""Netboot commands: ``instance create|reimage|wipe|remove`` and ``netboot ...``
(``node install-os-provider`` lives in :mod:`ganetiops.cli.node`; re-exported here).

``instance create NAME`` runs the netboot sequence (OS ``pxe``, homelab.md §3.5)
unless ``-o/--os`` names another OS, in which case it is a plain ``gnt-instance add``.
Every command shows its plan first; ``--plan`` stops there, destructive ones ask
unless ``--yes``. Progress goes to stderr, results to stdout.

The boot server comes from the context's ``boot`` table, or, for a context written
by the namespace lab, from the lab's facts. Heavy imports stay inside functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ganetiops.cli.common import confirm, yes_option
from ganetiops.cli.node import install_os_provider
from ganetiops.cli.state import State, pass_state
from ganetiops.errors import ConfigError, ValidationError

if TYPE_CHECKING:
    from ganetiops.config import BootServer
    from ganetiops.netboot.server import BootServerClient
    from ganetiops.rapi.models.job import LogEntry

ENV_HOSTNAME_PARAM = "GNTPY_HOSTNAME_PARAM"

hostname_param_option = click.option(
    "--hostname-param",
    envvar=ENV_HOSTNAME_PARAM,
    default="hostname",
    show_default=True,
    metavar="PARAM",
    help="Kernel parameter that gives the guest its hostname in a MAC wrapper "
    "(the homelab's is not recorded; systemd.hostname is the other usual one).",
)
plan_option = click.option("--plan", is_flag=True, help="Show the plan and change nothing.")
boot_timeout_option = click.option(
    "--boot-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the VM to fetch its wrapper (first boot).",
)


# -- shared ------------------------------------------------------------------------------


def boot_config(state: State) -> BootServer:
    """The context's boot server: its ``boot`` table, else the lab's facts."""
    context = state.context
    if context.boot is not None:
        return context.boot
    from ganetiops.cli.remote import lab_facts_for

    facts = lab_facts_for(context)
    if facts is not None:
        from ganetiops.netboot.labboot import boot_server_from_lab

        return boot_server_from_lab(facts)
    raise ConfigError(
        f"context {context.name!r} has no [boot] table (url, host, user, key, root, "
        "known-hosts or host-key, access-log): netboot commands need the boot server "
        "(see docs/netboot.md)"
    )


def open_boot(state: State, hostname_param: str = "hostname") -> BootServerClient:
    """Connect to the boot server (closed when the command ends)."""
    from ganetiops.netboot.server import BootServerClient

    boot = BootServerClient.open(boot_config(state), hostname_param=hostname_param)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().call_on_close(boot.close)
    return boot


def _say(step: str, text: str) -> None:
    click.echo(f"[{step}] {text}", err=True)


def _job_log(entry: LogEntry) -> None:
    click.echo(f"        {entry.text.rstrip()}", err=True)


def _upload_progress() -> Any:
    last: dict[str, int] = {}

    def progress(file: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if last.get(file, -1) // 25 != percent // 25 or done == total:
            last[file] = percent
            _say("upload", f"{file}: {done / 2**20:.1f} of {total / 2**20:.1f} MiB")

    return progress


def _out(state: State, data: dict[str, Any], lines: list[str]) -> None:
    if state.output_format == "table":
        for line in lines:
            click.echo(line)
        return
    from ganetiops.cli.output import dump

    click.echo(dump(data, state.output_format))


def _show_plan(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


def _plan_approved(state: State, lines: list[str], opts: dict[str, Any], question: str) -> bool:
    """Show the plan; ``--plan`` stops there (False), else ask (``--yes`` skips).

    With ``--plan --format json|yaml`` the plan goes to stdout as data (its lines, and
    ``applied: false``); otherwise it is text on stderr, so stdout keeps only the result.
    """
    if opts["plan"] and state.output_format != "table":
        _out(state, {"plan": [line.strip() for line in lines], "applied": False}, [])
        return False
    _show_plan(lines)
    if opts["plan"]:
        return False
    confirm(question, opts["yes"])
    return True


# -- instance create -------------------------------------------------------------------


@click.command("create")
@click.argument("name")
@click.option(
    "-o",
    "--os",
    "os_name",
    default="pxe",
    show_default=True,
    help="OS definition; anything but pxe makes a plain create.",
)
@click.option("--class", "class_", metavar="CLASS", help="NixOS class (default: the short name).")
@click.option(
    "--publish",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Publish this built class directory first (nix-build result).",
)
@click.option(
    "--keys",
    type=click.Choice(["create", "require", "skip"]),
    default="require",
    show_default=True,
    help="Host identity keys/<host>.tar.gz: create if absent, require it, or do not check.",
)
@click.option("--memory", metavar="SIZE", help="Memory (default: twice store.squashfs, rounded).")
@click.option("--vcpus", type=click.IntRange(min=1), help="Virtual CPUs.")
@click.option(
    "-s",
    "--disk",
    "disk",
    multiple=True,
    metavar="SIZE|SPEC",
    help="Disk 0 size for pxe (default 10G); plain creates take [N:]size=...,... too.",
)
@click.option("-t", "--disk-template", help="Default: the cluster's first enabled template.")
@click.option("-n", "--node", metavar="PNODE[:SNODE]", help="Placement (or --pnode/--snode).")
@click.option("--pnode", help="Primary node.")
@click.option("--snode", help="Secondary node (drbd).")
@click.option("-I", "--iallocator", help="Let this allocator place the instance.")
@click.option("--network", help="Put the NIC on this Ganeti network (default: cluster NIC).")
@click.option("--net", multiple=True, metavar="[N:]K=V,...", help="Plain create: a NIC spec.")
@click.option("-B", "--backend-parameters", metavar="K=V,...", help="Plain create: beparams.")
@click.option("-H", "--hypervisor-parameters", metavar="K=V,...", help="Plain create: hvparams.")
@click.option("-O", "--os-parameters", metavar="K=V,...", help="Plain create: OS parameters.")
@click.option("--no-nics", is_flag=True, help="Plain create: no NIC at all.")
@click.option("--hypervisor", help="Plain create: hypervisor (default: the cluster's).")
@click.option("--no-install", is_flag=True, help="Plain create: skip the OS create script.")
@click.option(
    "--name-check/--no-name-check",
    default=None,
    help="Plain create: resolve the name (default: not sent, Ganeti's: 3.0 yes, 3.1+ no).",
)
@click.option(
    "--ip-check/--no-ip-check",
    default=None,
    help="Plain create: check its IP is free (default: not sent, Ganeti's).",
)
@click.option("--tags", metavar="T1,T2", help="Plain create: tags to set.")
@click.option("--no-start", is_flag=True, help="Create but do not start.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Do not wait for the first boot: the provision flag stays set "
    "(gnt-py netboot await-boot NAME clears it later).",
)
@boot_timeout_option
@hostname_param_option
@plan_option
@yes_option
@pass_state
def create(state: State, /, name: str, os_name: str, **opts: Any) -> None:
    """Create an instance; for OS pxe, the whole netboot sequence (homelab.md §3.5).

    \b
    Steps: class published (optionally from --publish DIR), keys present, memory at
    least twice store.squashfs, create (OS pxe, cluster disk template), MAC read back,
    wrapper written with homelab.provision_disks=true, start, first fetch of the
    wrapper awaited in the boot server's access log, flag cleared, summary.

    \b
    Examples:
      gnt-py instance create navidrome --plan
      gnt-py instance create navidrome --publish ./navidrome-2 --yes
      gnt-py instance create web1 -o noop -t file -s 1G -n aleph.homelab.tel --yes
    """
    if os_name.split("+")[0] != "pxe":
        _plain_create(state, name, os_name, opts)
        return
    _netboot_create(state, name, opts)


_PLAIN_ONLY = (
    "net",
    "backend_parameters",
    "hypervisor_parameters",
    "os_parameters",
    "no_nics",
    "hypervisor",
    "no_install",
    "name_check",
    "ip_check",
    "tags",
)
_NETBOOT_ONLY = ("class_", "publish")


def _placement(opts: dict[str, Any]) -> tuple[str | None, str | None]:
    pnode, snode = opts["pnode"], opts["snode"]
    if opts["node"]:
        if pnode or snode:
            raise click.UsageError("give -n PNODE[:SNODE] or --pnode/--snode, not both")
        first, _, second = opts["node"].partition(":")
        pnode, snode = first, second or None
    return pnode, snode


def _with_lab_class(state: State, boot: BootServerClient, request: Any) -> Any:
    """On a namespace lab whose boot server lacks the class, publish the lab's own
    stand-in class of that name (built from Debian packages, as ``gnt-py netboot
    lab-class`` does), so that ``gnt-py --context lab instance create navidrome --yes``
    works on a fresh lab. Elsewhere, a missing class stays an error."""
    import attrs

    from ganetiops.cli.remote import lab_facts_for
    from ganetiops.netboot.classes import class_info
    from ganetiops.netboot.layout import host_label

    if lab_facts_for(state.context) is None:
        return request
    ctx = click.get_current_context(silent=True)
    keys_given = ctx is not None and ctx.get_parameter_source("keys") not in (
        None,
        click.core.ParameterSource.DEFAULT,
    )
    short = host_label(request.name)
    if not keys_given and request.keys == "require" and boot.keys_entry(short) is None:
        # The lab has no secrets file to rekey: a fresh identity is what the owner wants.
        _say("keys", f"keys/{short}.tar.gz is not on the lab's boot server: creating it")
        request = attrs.evolve(request, keys="create")
    if request.publish is not None:
        return request
    name = request.class_name or short
    current = class_info(boot, name)
    if current is not None and current.complete:
        return request
    from ganetiops.netboot.labclass import build_lab_class

    _say("class", f"class {name} is not on the lab's boot server: publishing the lab class")
    return attrs.evolve(request, class_name=name, publish=build_lab_class(name))


def _netboot_create(state: State, name: str, opts: dict[str, Any]) -> None:
    from ganetiops.netboot.create import CreateRequest, apply_create, plan_create

    used = [o for o in _PLAIN_ONLY if opts[o]]
    if used:
        flags = ", ".join("--" + o.replace("_", "-") for o in used)
        raise click.UsageError(f"{flags}: only for a plain create (-o OS other than pxe)")
    if len(opts["disk"]) > 1:
        raise click.UsageError("a pxe instance has one disk: give -s/--disk SIZE once")
    pnode, snode = _placement(opts)
    request = CreateRequest(
        name=name,
        class_name=opts["class_"],
        publish=opts["publish"],
        keys=opts["keys"],
        memory=opts["memory"],
        vcpus=opts["vcpus"],
        disk=opts["disk"][0] if opts["disk"] else None,
        disk_template=opts["disk_template"],
        pnode=pnode,
        snode=snode,
        iallocator=opts["iallocator"],
        network=opts["network"],
        start=not opts["no_start"],
        wait=not opts["no_wait"],
        boot_timeout=opts["boot_timeout"],
    )
    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    request = _with_lab_class(state, boot, request)
    plan = plan_create(client, boot, request)
    if not _plan_approved(state, plan.lines(), opts, f"Create instance {plan.name}?"):
        return
    result = apply_create(
        client, boot, plan, on_event=_say, on_log=_job_log, on_upload=_upload_progress()
    )
    data = {
        "name": result.name,
        "class": result.class_name,
        "mac": result.mac,
        "wrapper": result.wrapper_url,
        "sha256": result.sha256,
        "memory": result.memory,
        "disk": result.disk,
        "disk_template": result.disk_template,
        "nodes": list(result.nodes),
        "published": result.published,
        "keys_created": result.identity is not None,
        "public_keys": result.identity.public_lines()[1::2] if result.identity else [],
        "first_fetch": (
            {"client": result.fetched.client, "time": result.fetched.time.isoformat()}
            if result.fetched
            else None
        ),
        "provision_flag": not result.flag_cleared,
    }
    _out(state, data, result.summary())


def _plain_create(state: State, name: str, os_name: str, opts: dict[str, Any]) -> None:
    """``-o OS`` other than pxe: gnt-instance add, through instance_plain's arguments."""
    from ganetiops.cli.common import check_call, parse_indexed
    from ganetiops.cli.instance_plain import create_arguments
    from ganetiops.cli.jobs_ui import follow_job

    used = [o for o in _NETBOOT_ONLY if opts[o]]
    if used or opts["keys"] != "require" or opts["network"] or opts["no_wait"]:
        raise click.UsageError(
            "--class, --publish, --keys, --network and --no-wait are for pxe (netboot) "
            "instances; use --net network=NAME for a plain create"
        )
    pnode, snode = _placement(opts)
    specs = [spec if "=" in spec else f"size={spec}" for spec in opts["disk"]]
    disks = parse_indexed(specs, "--disk")
    kwargs = create_arguments(
        disk_template=opts["disk_template"] or "",
        disk=(),
        os_size=None,
        os_name=os_name,
        node=None,
        **{key: opts[key] for key in (*_PLAIN_ONLY, "iallocator", "no_start")},
    )
    beparams = kwargs["beparams"] or {}
    if opts["memory"]:
        beparams.setdefault("maxmem", opts["memory"])
        beparams.setdefault("minmem", opts["memory"])
    if opts["vcpus"]:
        beparams.setdefault("vcpus", opts["vcpus"])
    kwargs.update(disks=disks, pnode=pnode, snode=snode, beparams=beparams or None)
    client = state.client()
    if not kwargs["disk_template"]:
        enabled = client.facts().enabled_disk_templates
        if not enabled:
            raise ValidationError("the cluster enables no disk template", field="disk_template")
        kwargs["disk_template"] = enabled[0]
    check_call(client.instances, "create", name, **kwargs)
    from ganetiops.netboot.create import refuse_existing

    refuse_existing(client, name)
    shown = ", ".join(
        f"{k}={v}"
        for k, v in kwargs.items()
        if v not in (None, [], {}) and (v is not False or k == "start")
    )
    plan = [f"Plan: create instance {name} ({shown})"]
    if not _plan_approved(state, plan, opts, f"Create instance {name}?"):
        return
    job = client.instances.create(name, **kwargs)
    result = follow_job(job, what=f"create {name}")
    nodes = result.value if result is not None else None
    _out(
        state,
        {"name": name, "job_id": job.id, "nodes": nodes},
        [f"instance {name} created on {', '.join(nodes or []) or '?'}"],
    )


# -- reimage, wipe, remove ---------------------------------------------------------------


@click.command("reimage")
@click.argument("name")
@click.option(
    "--publish",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Publish this build of the instance's class first.",
)
@click.option("--class", "class_", metavar="CLASS", help="Class name (default: from the wrapper).")
@click.option("--no-wait", is_flag=True, help="Do not wait for the wrapper fetch.")
@boot_timeout_option
@hostname_param_option
@plan_option
@yes_option
@pass_state
def reimage(state: State, /, name: str, **opts: Any) -> None:
    """Load a new build of the instance's class: publish (optional), then reboot.

    The guest compares its cached store with the served sha256 and downloads the new one.
    """
    from ganetiops.netboot.lifecycle import apply_reimage, plan_reimage

    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    plan = plan_reimage(
        client,
        boot,
        name,
        publish_dir=opts["publish"],
        class_=opts["class_"],
        wait=not opts["no_wait"],
        boot_timeout=opts["boot_timeout"],
    )
    question = f"Reboot {plan.target.name} into class {plan.class_name}?"
    if not _plan_approved(state, plan.lines(), opts, question):
        return
    result = apply_reimage(
        client, boot, plan, on_event=_say, on_log=_job_log, on_upload=_upload_progress()
    )
    lines = [f"instance {result.name}: class {result.class_name}, sha256 {result.sha256}"]
    if result.fetched:
        lines.append(f"  wrapper fetched by {result.fetched.client} at {result.fetched.time}")
    _out(
        state,
        {
            "name": result.name,
            "class": result.class_name,
            "sha256": result.sha256,
            "published": result.published,
        },
        lines,
    )


@click.command("wipe")
@click.argument("name")
@click.option(
    "--no-wait", is_flag=True, help="Do not wait for the boot: the flag stays set (clear it later)."
)
@boot_timeout_option
@hostname_param_option
@plan_option
@yes_option
@pass_state
def wipe(state: State, /, name: str, **opts: Any) -> None:
    """Wipe and reprovision an instance's disk: set the provision flag, reboot, clear it."""
    from ganetiops.netboot.lifecycle import apply_wipe, plan_wipe

    client = state.client()
    boot = open_boot(state, opts["hostname_param"])
    plan = plan_wipe(
        client, boot, name, wait=not opts["no_wait"], boot_timeout=opts["boot_timeout"]
    )
    question = f"Wipe the disk of {plan.target.name}? Its data is lost."
    if not _plan_approved(state, plan.lines(), opts, question):
        return
    result = apply_wipe(client, boot, plan, on_event=_say, on_log=_job_log)
    lines = [f"instance {result.name}: rebooted with the provision flag"]
    lines.append(
        "  flag cleared after the first fetch"
        if result.flag_cleared
        else f"  WARNING: the flag is still set (gnt-py netboot await-boot {result.name})"
    )
    _out(state, {"name": result.name, "provision_flag": not result.flag_cleared}, lines)


@click.command("remove")
@click.argument("names", nargs=-1, required=True)
@click.option("--keep-keys", is_flag=True, help="Keep keys/<host>.tar.gz on the boot server.")
@hostname_param_option
@plan_option
@yes_option
@pass_state
def remove(state: State, /, names: tuple[str, ...], **opts: Any) -> None:
    """Remove instances with their disks, MAC wrappers and key tarballs."""
    from ganetiops.netboot.lifecycle import apply_remove, plan_remove

    client = state.client()
    try:
        boot_config(state)
    except ConfigError as no_boot:
        _remove_without_boot(state, names, opts["yes"], no_boot)
        return
    boot = open_boot(state, opts["hostname_param"])
    plans = [plan_remove(client, boot, n, keep_keys=opts["keep_keys"]) for n in names]
    lines = [line for plan in plans for line in plan.lines()]
    question = f"Remove {', '.join(p.name for p in plans)}? Disks and identities are lost."
    if not _plan_approved(state, lines, opts, question):
        return
    done = []
    for plan in plans:
        result = apply_remove(client, boot, plan, on_event=_say, on_log=_job_log)
        done.append(
            {
                "name": result.name,
                "instance": result.instance_removed,
                "wrappers": list(result.wrappers_removed),
                "keys": result.keys_removed,
            }
        )
    _out(state, {"removed": done}, [f"removed {d['name']}" for d in done])


def _remove_without_boot(
    state: State, names: tuple[str, ...], yes: bool, no_boot: ConfigError
) -> None:
    """No boot server configured: instances that do not netboot are removed as
    ``gnt-instance remove`` does; one that netboots needs the boot server (its wrapper
    and identity live there)."""
    from ganetiops.netboot.create import PXE_OS
    from ganetiops.rapi import validate

    client = state.client()
    for name in names:
        instance = client.instances.get(validate.hostname(name, "name"))
        if (instance.os or "").split("+")[0] == PXE_OS:
            raise ConfigError(f"instance {name} netboots (OS {instance.os}): {no_boot}")
    confirm(f"Remove instance(s) {', '.join(names)} and all their disks?", yes)
    for name in names:
        client.instances.remove(name).wait(on_log=_job_log)
        _say("remove", f"instance {name} removed")


# -- netboot group -----------------------------------------------------------------------


@click.group("netboot")
def netboot() -> None:
    """The boot server: NixOS classes, MAC wrappers, host identities, the lab class."""


@netboot.command("classes")
@pass_state
def classes_cmd(state: State) -> None:
    """Classes on the boot server: sha256, store size, date, .old rollback."""
    from ganetiops.netboot.classes import list_classes

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
        _out(state, {"classes": rows}, [])
        return
    from tabulate import tabulate

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
    from ganetiops.netboot.classes import find_local_class, plan_publish, publish

    local = find_local_class(directory, class_)
    boot = open_boot(state)
    publish_plan = plan_publish(boot, local)
    _show_plan([publish_plan.describe()])
    if plan:
        return
    result = publish(boot, publish_plan, progress=_upload_progress())
    _out(
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
    from ganetiops.netboot.classes import class_info, rollback
    from ganetiops.netboot.layout import class_name as check_class

    boot = open_boot(state)
    info = class_info(boot, check_class(class_name))
    if info is None or not info.has_old:
        raise ValidationError(f"class {class_name} has no .old to roll back to", field="class")
    _show_plan(
        [f"class {class_name}: serve {info.old_sha256} (now {info.sha256}, which becomes .old)"]
    )
    confirm(f"Roll class {class_name} back? VMs boot the old build at their next reboot.", yes)
    result = rollback(boot, class_name)
    _out(
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
        _out(state, {"wrappers": rows}, [])
        return
    from tabulate import tabulate

    click.echo(
        tabulate(
            [
                [
                    r["mac"],
                    r["hostname"] or "?",
                    r["class"] or "?",
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
    from ganetiops.netboot.lifecycle import resolve_mac

    boot = open_boot(state, hostname_param)
    mac = resolve_mac(_optional_client(state), boot, target)
    wrapper = boot.wrapper(mac)
    if wrapper is None:
        raise ValidationError(f"no wrapper for {mac}", field="name")
    click.echo(wrapper.wrapper.text, nl=False)


def _optional_client(state: State) -> Any:
    """The RAPI client, or ``None`` when the context has no cluster to ask."""
    try:
        return state.client()
    except ConfigError:
        return None


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
    from ganetiops.netboot.lifecycle import resolve_mac

    if not targets and not all_fetched:
        raise click.UsageError("name instances or MACs, or give --fetched")
    boot = open_boot(state, hostname_param)
    macs = [resolve_mac(_optional_client(state), boot, t) for t in targets] if targets else []
    if all_fetched:
        macs += [s.wrapper.mac for s in boot.wrappers() if s.flag_fetched]
    cleared = [mac for mac in dict.fromkeys(macs) if boot.set_flag(mac, False)]
    _out(
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
    from ganetiops.netboot.lifecycle import await_boot, resolve_mac

    boot = open_boot(state, hostname_param)
    mac = resolve_mac(_optional_client(state), boot, target)
    fetched, cleared = await_boot(boot, mac, timeout=boot_timeout, clear=not keep_flag)
    _out(
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


@netboot.group("keys")
def keys_group() -> None:
    """Host identities: keys/<host>.tar.gz (RSA host key, ed25519 root key)."""


@keys_group.command("create")
@click.argument("host")
@click.option("--replace", is_flag=True, help="Replace an existing identity (asks first).")
@yes_option
@pass_state
def keys_create(state: State, host: str, replace: bool, yes: bool) -> None:
    """Generate and upload a host identity; print its public keys for the secrets file."""
    from ganetiops.netboot import keys
    from ganetiops.netboot.layout import host_label

    short = host_label(host, "host")
    boot = open_boot(state)
    if boot.keys_entry(short) is not None:
        if not replace:
            raise ValidationError(f"keys/{short}.tar.gz exists (--replace to make a new one)")
        confirm(f"Replace the identity of {short}? Its secrets must be rekeyed.", yes)
    identity = keys.generate(short)
    boot.upload_identity(identity, replace=replace)
    _out(
        state,
        {"host": short, "host_public": identity.host_public, "root_public": identity.root_public},
        identity.public_lines(),
    )


@keys_group.command("show")
@click.argument("host")
@pass_state
def keys_show(state: State, host: str) -> None:
    """Print the public keys of an identity on the boot server."""
    boot = open_boot(state)
    identity = boot.read_identity(host)
    if identity is None:
        raise ValidationError(f"no keys/{host}.tar.gz on the boot server", field="host")
    _out(
        state,
        {
            "host": identity.host,
            "host_public": identity.host_public,
            "root_public": identity.root_public,
        },
        identity.public_lines(),
    )


@keys_group.command("remove")
@click.argument("host")
@yes_option
@pass_state
def keys_remove(state: State, host: str, yes: bool) -> None:
    """Remove keys/<host>.tar.gz from the boot server."""
    boot = open_boot(state)
    confirm(f"Remove the identity of {host}?", yes)
    removed = boot.remove_identity(host)
    _out(
        state,
        {"host": host, "removed": removed},
        [f"keys/{host}.tar.gz {'removed' if removed else 'was not there'}"],
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
    from ganetiops.netboot.labclass import build_lab_class

    click.echo(str(build_lab_class(class_, generation=generation)))


__all__ = [
    "create",
    "install_os_provider",
    "netboot",
    "reimage",
    "remove",
    "wipe",
]
