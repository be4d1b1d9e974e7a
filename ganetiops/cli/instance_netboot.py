"""``gnt-py instance create``, and the instance commands the boot server may take part
in (``reimage``, ``wipe`` and ``remove`` are in :mod:`ganetiops.cli.instance_lifecycle`,
re-exported here).

``instance create NAME`` is the one create for every kind of instance: with OS ``pxe``
(the default) it runs the netboot sequence of homelab.md §3.5; with ``-o/--os`` naming
another OS it is a plain ``gnt-instance add``. Both kinds read the same options (disks,
memory, placement, NIC); options that only one kind can honour are refused for the
other before anything is sent. ``instance remove`` also removes the MAC wrappers and
key tarballs when the context has a boot server. Every command shows its plan first;
``--plan`` stops there, and all of them ask unless ``--yes``. Progress goes to stderr,
results to stdout.

The ``netboot`` group is :mod:`ganetiops.cli.netboot`; the shared options and the boot
server connection are :mod:`ganetiops.cli.bootserver`.
"""

from __future__ import annotations

from typing import Any

import attrs
import click

from ganetiops.cli.bootserver import (
    boot_timeout_option,
    hostname_param_option,
    job_log,
    open_boot,
    out,
    plan_approved,
    plan_option,
    publish_option,
    say,
    upload_progress,
)
from ganetiops.cli.common import (
    complete_nodes,
    is_index,
    parse_indexed,
    parse_kv,
    yes_option,
)
from ganetiops.cli.instance_lifecycle import console_tail, reimage, remove, wipe
from ganetiops.cli.jobs_ui import follow_job, print_job_id
from ganetiops.cli.state import State, pass_state
from ganetiops.drbd.pairing import AUTO
from ganetiops.errors import ValidationError

PXE = "pxe"

#: Options only a plain create (OS other than pxe) honours.
PLAIN_ONLY = (
    "net",
    "no_nics",
    "backend_parameters",
    "hypervisor_parameters",
    "os_parameters",
    "no_install",
    "name_check",
    "ip_check",
    "tags",
)
#: Options only a pxe (netboot) create honours (``keys`` when not its default).
PXE_ONLY = ("class_", "publish", "keys", "boot_timeout_given")


# -- instance create -------------------------------------------------------------------


@click.command("create")
@click.argument("name")
@click.option(
    "-o",
    "--os",
    "os_name",
    default=PXE,
    show_default=True,
    help="OS definition; pxe runs the netboot sequence, any other makes a plain create.",
)
@click.option(
    "-t",
    "--disk-template",
    help="diskless, file, sharedfile, drbd... (default: the cluster's first enabled one).",
)
@click.option(
    "-s",
    "--disk",
    "disk",
    multiple=True,
    metavar="SIZE|[N:]size=SIZE,...",
    help="A disk: its size, or a gnt-instance disk spec (repeat for more; pxe: one, default 10G).",
)
@click.option("--memory", metavar="SIZE", help="Memory (pxe default: twice store.squashfs).")
@click.option("--vcpus", type=click.IntRange(min=1), help="Virtual CPUs.")
@click.option(
    "-n",
    "--node",
    metavar="PNODE[:SNODE]",
    shell_complete=complete_nodes,
    help="Placement (or --pnode/--snode).",
)
@click.option("--pnode", shell_complete=complete_nodes, help="Primary node.")
@click.option(
    "--snode",
    shell_complete=complete_nodes,
    help="Secondary node (drbd); 'auto': ganetiops' pairing policy chooses it (shown in the plan).",
)
@click.option("-I", "--iallocator", help="Let this allocator place the instance.")
@click.option("--network", help="Put the NIC on this Ganeti network (default: cluster NIC).")
@click.option("--no-start", is_flag=True, help="Create but do not start.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="pxe: do not wait for the first boot (the provision flag stays set; gnt-py netboot "
    "await-boot NAME clears it later). Plain: print the job id and return.",
)
@click.option("--class", "class_", metavar="CLASS", help="pxe: NixOS class (default: short name).")
@publish_option("pxe: publish this built class directory first (nix-build result).")
@click.option(
    "--keys",
    type=click.Choice(["create", "require", "skip"]),
    help="pxe: host identity keys/<host>.tar.gz: create if absent, require it (default), "
    "or do not check.",
)
@boot_timeout_option
@hostname_param_option
@click.option("--net", multiple=True, metavar="[N:]K=V,...", help="Plain: a NIC spec (repeat).")
@click.option("--no-nics", is_flag=True, help="Plain: no NIC at all.")
@click.option("-B", "--backend-parameters", metavar="K=V,...", help="Plain: beparams.")
@click.option("-H", "--hypervisor-parameters", metavar="K=V,...", help="Plain: hvparams.")
@click.option("-O", "--os-parameters", metavar="K=V,...", help="Plain: OS parameters.")
@click.option("--hypervisor", help="Plain: hypervisor (default: the cluster's).")
@click.option("--no-install", is_flag=True, help="Plain: skip the OS create script.")
@click.option(
    "--name-check/--no-name-check",
    default=None,
    help="Plain: resolve the name (default: not sent, Ganeti's: 3.0 yes, 3.1+ no).",
)
@click.option(
    "--ip-check/--no-ip-check",
    default=None,
    help="Plain: check its IP is free (default: not sent, Ganeti's).",
)
@click.option("--tags", metavar="T1,T2", help="Plain: tags to set.")
@plan_option
@yes_option
@pass_state
def create(state: State, /, name: str, os_name: str, **opts: Any) -> None:
    """Create an instance: pxe (netboot, the default) or any other OS (gnt-instance add).

    \b
    pxe steps: class published (optionally from --publish DIR), keys present, memory at
    least twice store.squashfs, create (OS pxe, cluster disk template), MAC read back,
    wrapper written with homelab.provision_disks=true, start, first fetch of the
    wrapper awaited in the boot server's access log, flag cleared, summary.

    \b
    Examples:
      gnt-py instance create navidrome --plan
      gnt-py instance create navidrome --publish ./navidrome-2 --yes
      gnt-py instance create web1 -o noop -t file -s 1G -n aleph.homelab.tel --yes
      gnt-py instance create web2 -o debootstrap+default -t drbd -s 0:size=10G -s 1:size=2G \\
          -n aleph:bet -B memory=1G --net link=br0 --yes
      gnt-py instance create web3 -o noop -t drbd -s 1G --pnode aleph --snode auto --plan
    """
    ctx = click.get_current_context()
    opts["boot_timeout_given"] = (
        ctx.get_parameter_source("boot_timeout") is not click.core.ParameterSource.DEFAULT
    )
    if is_pxe(os_name):
        _refuse(opts, PLAIN_ONLY, "only for a plain create (-o OS other than pxe)")
        _netboot_create(state, name, opts)
    else:
        _refuse(opts, PXE_ONLY, "only for a pxe (netboot) create")
        _plain_create(state, name, os_name, opts)


def is_pxe(os_name: str) -> bool:
    """Whether an OS name (``pxe``, ``pxe+variant``) asks for the netboot sequence."""
    return os_name.split("+")[0] == PXE


def _refuse(opts: dict[str, Any], names: tuple[str, ...], why: str) -> None:
    used = [o for o in names if opts.get(o)]
    if used:
        flags = ", ".join(_flag(o) for o in used)
        raise click.UsageError(f"{flags}: {why}")


def _flag(option: str) -> str:
    return {"class_": "--class", "boot_timeout_given": "--boot-timeout"}.get(
        option, "--" + option.replace("_", "-")
    )


def placement(opts: dict[str, Any]) -> tuple[str | None, str | None]:
    """``-n PNODE[:SNODE]`` or ``--pnode``/``--snode`` -> (pnode, snode)."""
    pnode, snode = opts["pnode"], opts["snode"]
    if opts["node"]:
        if pnode or snode:
            raise click.UsageError("give -n PNODE[:SNODE] or --pnode/--snode, not both")
        first, _, second = opts["node"].partition(":")
        pnode, snode = first, second or None
    return pnode, snode


def auto_secondary(
    client: Any, pnode: str | None, iallocator: str | None, disk_template: str | None
) -> tuple[str, list[str]]:
    """``--snode auto``: the pairing policy's secondary for ``pnode`` and the plan's lines
    saying why (:mod:`ganetiops.drbd.pairing`; one read of the nodes). The template is
    the one that will be sent (the cluster's first enabled one when not given)."""
    from ganetiops.drbd.pairing import pick_secondary  # lazy: start-up

    _auto_arguments(pnode, iallocator)
    assert pnode is not None  # _auto_arguments refused its absence
    template = disk_template or (client.facts().enabled_disk_templates or ("",))[0]
    if template != "drbd":
        raise click.UsageError(
            f"--snode auto chooses a DRBD secondary; the disk template is {template or 'none'}"
            " (-t drbd)"
        )
    pairing = pick_secondary(client, pnode)
    return pairing.require(), pairing.lines()


def _auto_arguments(pnode: str | None, iallocator: str | None) -> None:
    if iallocator:
        raise click.UsageError("--snode auto or -I/--iallocator: give one of them")
    if not pnode:
        raise click.UsageError("--snode auto needs the primary: -n PNODE or --pnode PNODE")


def disk_specs(values: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """``-s 10G``, ``-s 0:10G`` or ``-s [N:]size=10G,mode=rw`` (repeated) -> disk dicts."""
    specs = []
    for value in values:
        head, sep, rest = value.partition(":")
        if sep and is_index(head) and "=" not in rest:
            value = f"{head}:size={rest}"
        elif "=" not in value:
            value = f"size={value}"
        specs.append(value)
    return parse_indexed(specs, "--disk")


def create_arguments(name: str, os_name: str, opts: dict[str, Any]) -> dict[str, Any]:
    """Command-line values of a plain create -> keyword arguments of
    ``client.instances.create`` (pure; the disk template may still be empty)."""
    if opts["no_nics"] and (opts["net"] or opts["network"]):
        raise ValidationError(
            "give --net or --no-nics, not both (--network is a NIC too)", field="net"
        )
    if opts["net"] and opts["network"]:
        raise ValidationError("give --net network=NAME or --network, not both", field="net")
    if opts["network"]:
        nics: list[dict[str, Any]] = [{"network": opts["network"]}]
    elif opts["net"]:
        nics = parse_indexed(opts["net"], "--net")
    else:
        nics = [] if opts["no_nics"] else [{}]
    pnode, snode = placement(opts)
    beparams = parse_kv(opts["backend_parameters"], "-B")
    if opts["memory"] is not None:  # --memory "" is bad input, not "no --memory"
        from ganetiops.rapi.validate import size_mib  # lazy: httpx, start-up

        memory = size_mib(opts["memory"], "memory")  # not sent raw: Ganeti rounds "0.5"
        beparams.setdefault("maxmem", memory)
        beparams.setdefault("minmem", memory)
    if opts["vcpus"]:
        beparams.setdefault("vcpus", opts["vcpus"])
    return {
        "disk_template": opts["disk_template"] or "",
        "disks": disk_specs(opts["disk"]),
        "nics": nics,
        "os": os_name,
        "pnode": pnode,
        "snode": snode,
        "iallocator": opts["iallocator"],
        "beparams": beparams or None,
        "hvparams": parse_kv(opts["hypervisor_parameters"], "-H") or None,
        "osparams": parse_kv(opts["os_parameters"], "-O", typed=False) or None,
        "hypervisor": opts["hypervisor"],
        "start": not opts["no_start"],
        "no_install": True if opts["no_install"] else None,
        "name_check": opts["name_check"],
        "ip_check": opts["ip_check"],
        "tags": [t for t in (opts["tags"] or "").split(",") if t],
    }


def _lab_root_script(state: State, boot: Any) -> None:
    """On a namespace lab, publish the root script its DHCP hands to iPXE when it is not
    there yet (the lab's boot server is ours; elsewhere ``gnt-py netboot root-script``)."""
    from ganetiops.cli.remote import lab_facts_for  # lazy: start-up of gnt-py --help
    from ganetiops.netboot.report import ROOT_SCRIPT, publish_root_script  # lazy: netboot room

    if lab_facts_for(state.context) is not None and publish_root_script(boot):
        say("root-script", f"{boot.layout.url_of(ROOT_SCRIPT)} published (DHCP's boot file)")


def _with_lab_class(state: State, boot: Any, request: Any, *, keys_given: bool) -> Any:
    """On a namespace lab whose boot server lacks the class, publish the lab's own
    class of that name (built from Debian packages, as ``gnt-py netboot lab-class``
    does), and create the identity when it is missing and ``--keys`` was not given, so
    that ``gnt-py --context lab instance create navidrome --yes`` works on a fresh lab.
    Elsewhere, a missing class or identity stays an error."""
    from ganetiops.cli.remote import lab_facts_for  # lazy: start-up of gnt-py --help
    from ganetiops.netboot.classes import class_info  # lazy: netboot room, start-up
    from ganetiops.netboot.layout import host_label  # lazy: netboot room, start-up

    if lab_facts_for(state.context) is None:
        return request
    short = host_label(request.name)
    if not keys_given and request.keys == "require" and boot.keys_entry(short) is None:
        # The lab has no secrets file to rekey: a fresh identity is what the owner wants.
        say("keys", f"keys/{short}.tar.gz is not on the lab's boot server: creating it")
        request = attrs.evolve(request, keys="create")
    if request.publish is not None:
        return request
    name = request.class_name or short
    current = class_info(boot, name)
    if current is not None and current.complete:
        return request
    from ganetiops.netboot.labclass import build_lab_class  # lazy: netboot room, start-up

    say("class", f"class {name} is not on the lab's boot server: publishing the lab class")
    return attrs.evolve(request, class_name=name, publish=build_lab_class(name))


def _netboot_create(state: State, name: str, opts: dict[str, Any]) -> None:
    # lazy: netboot room, start-up
    from ganetiops.netboot.create import CreateRequest, apply_create, plan_create
    from ganetiops.netboot.report import report_summary  # lazy: netboot room, start-up

    if len(opts["disk"]) > 1:
        raise click.UsageError("a pxe instance has one disk: give -s/--disk SIZE once")
    disk = disk_specs(opts["disk"])[0] if opts["disk"] else {}
    if set(disk) - {"size"}:
        raise click.UsageError("a pxe instance's disk takes only a size (-s/--disk SIZE)")
    pnode, snode = placement(opts)
    client = state.client()
    if snode == AUTO:
        snode, lines = auto_secondary(client, pnode, opts["iallocator"], opts["disk_template"])
        for line in lines:
            say("secondary", line.strip())
    request = CreateRequest(
        name=name,
        class_name=opts["class_"],
        publish=opts["publish"],
        keys=opts["keys"] or "require",
        memory=opts["memory"],
        vcpus=opts["vcpus"],
        disk=disk.get("size"),
        disk_template=opts["disk_template"],
        pnode=pnode,
        snode=snode,
        iallocator=opts["iallocator"],
        network=opts["network"],
        hypervisor=opts["hypervisor"],
        start=not opts["no_start"],
        wait=not opts["no_wait"],
        boot_timeout=opts["boot_timeout"],
    )
    boot = open_boot(state, opts["hostname_param"])
    request = _with_lab_class(state, boot, request, keys_given=opts["keys"] is not None)
    plan = plan_create(client, boot, request)
    if not plan_approved(state, plan.lines(), opts, f"Create instance {plan.name}?"):
        return
    _lab_root_script(state, boot)
    result = apply_create(
        client,
        boot,
        plan,
        on_event=say,
        on_log=job_log,
        on_upload=upload_progress(),
        diagnose=console_tail(state, plan.name),
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
        "report": report_summary(result.report) if result.report else None,
        "pinned": result.pinned,
    }
    out(state, data, result.summary())


def _plain_create(state: State, name: str, os_name: str, opts: dict[str, Any]) -> None:
    """``-o OS`` other than pxe: gnt-instance add."""
    from ganetiops.netboot.create_plan import refuse_existing  # lazy: netboot room, start-up

    kwargs = create_arguments(name, os_name, opts)
    if kwargs["snode"] == AUTO:
        _auto_arguments(kwargs["pnode"], kwargs["iallocator"])
    client = state.client()
    if not kwargs["disk_template"]:
        enabled = client.facts().enabled_disk_templates
        if not enabled:
            raise ValidationError("the cluster enables no disk template", field="disk_template")
        kwargs["disk_template"] = enabled[0]
    call = client.instances.create.call(name, **kwargs)  # bad input fails before any read
    pairing: list[str] = []
    if kwargs["snode"] == AUTO:  # checked as a name above; now the policy's node
        kwargs["snode"], pairing = auto_secondary(
            client, kwargs["pnode"], kwargs["iallocator"], kwargs["disk_template"]
        )
        call = client.instances.create.call(name, **kwargs)
    refuse_existing(client, name)
    shown = ", ".join(
        f"{k}={v}"
        for k, v in kwargs.items()
        if v not in (None, [], {}) and (v is not False or k == "start")
    )
    plan = [f"Plan: create instance {name} ({shown})", *(f"  {line}" for line in pairing)]
    if not plan_approved(state, plan, opts, f"Create instance {name}?"):
        return
    job = client.submit(call)  # the plan above is this command's --plan
    if opts["no_wait"]:
        print_job_id(job.id, state.output_format)
        return
    result = follow_job(job, what=f"create {name}")
    nodes = result.value if result is not None else None
    out(
        state,
        {"name": name, "job_id": job.id, "nodes": nodes},
        [f"instance {name} created on {', '.join(nodes or []) or '?'}"],
    )


__all__ = [
    "auto_secondary",
    "create",
    "create_arguments",
    "disk_specs",
    "is_pxe",
    "reimage",
    "remove",
    "wipe",
]
