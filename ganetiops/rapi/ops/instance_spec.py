"""What an instance is made of: the creation options and their checks, without I/O.

:func:`instance_spec` is the body ``Instances.create`` sends (and each element of
``multi_alloc``); :func:`create_precondition` checks it against the cluster's facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import validate
from ganetiops.rapi.call import ClusterFacts, JobCommon
from ganetiops.rapi.ops.common import body_of, extra_keys

#: OpInstanceCreate keys not named as arguments of :meth:`Instances.create`.
CREATE_EXTRA_KEYS = (
    "force_variant",
    "identify_defaults",
    "file_driver",
    "file_storage_dir",
    "group_name",
    "osparams_private",
    "osparams_secret",
    "source_handshake",
    "source_instance_name",
    "source_shutdown_timeout",
    "source_x509_ca",
    "src_node",
    "src_path",
    "compress",
    "forthcoming",
    "commit",
    "instance_communication",
    "helper_startup_timeout",
    "helper_shutdown_timeout",
    "opportunistic_locking",
    "ignore_ipolicy",
    "conflicts_check",
)


class InstanceOptions(TypedDict, total=False):
    """Everything an instance creation takes besides its name.

    ``disk_template`` and ``disks`` are required. ``disks`` are sizes (``"10G"``,
    ``10240``) or dicts (``{"size": "10G", "name": "root"}``); ``nics`` are dicts
    (``{"link": "br0"}``, ``{"network": "prod", "ip": "pool"}``); ``beparams`` memory
    values may carry units. ``start`` defaults to true and ``mode`` to ``create``.
    ``name_check`` and ``ip_check`` are sent only when given: left out, Ganeti's own
    defaults apply, which changed between versions (``true`` on 3.0, ``false`` on
    3.1 and later; rapi.md §0.1), exactly as ``gnt-instance add`` on that cluster.
    ``extra`` takes other OpInstanceCreate keys (``ignore_ipolicy``,
    ``opportunistic_locking``, ``src_node``...).
    """

    disk_template: Required[str]
    disks: Required[Sequence[Any]]
    nics: Sequence[Mapping[str, Any]]
    os: str | None
    pnode: str | None
    snode: str | None
    iallocator: str | None
    beparams: Mapping[str, Any] | None
    hvparams: Mapping[str, Any] | None
    osparams: Mapping[str, Any] | None
    hypervisor: str | None
    start: bool
    no_install: bool | None
    wait_for_sync: bool | None
    name_check: bool
    ip_check: bool
    tags: Sequence[str]
    mode: Literal["create", "import", "remote-import"]
    extra: Mapping[str, Any] | None


class CreateOptions(InstanceOptions, JobCommon, total=False):
    """:class:`InstanceOptions` plus the common job options (``reason``...)."""


INSTANCE_KEYS = frozenset(InstanceOptions.__required_keys__ | InstanceOptions.__optional_keys__)
COMMON_KEYS = frozenset(JobCommon.__optional_keys__)


def instance_spec(name: str, **options: Unpack[InstanceOptions]) -> dict[str, Any]:
    """The body of an instance creation, validated (shared by create and multi-alloc)."""
    return checked_spec(name, options, allowed=INSTANCE_KEYS)


def checked_spec(
    name: str, options: Mapping[str, Any], *, allowed: frozenset[str]
) -> dict[str, Any]:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"instance creation got unexpected option(s): {', '.join(unknown)}")
    missing = sorted(k for k in ("disk_template", "disks") if k not in options)
    if missing:
        raise TypeError(f"instance creation needs {' and '.join(missing)}")
    get = options.get
    disks: Sequence[Any] = options["disks"]
    pnode, snode, iallocator = get("pnode"), get("snode"), get("iallocator")
    name_check, ip_check = get("name_check"), get("ip_check")
    mode = get("mode", "create")
    validate.hostname(name, "name")
    template = validate.choice(options["disk_template"], validate.DISK_TEMPLATES, "disk_template")
    if not disks and template != "diskless":
        raise ValidationError("disks: at least one disk is needed", field="disks")
    if ip_check and name_check is False:
        raise ValidationError("ip_check needs name_check", field="ip_check")
    if pnode is not None and iallocator is not None:
        raise ValidationError("give pnode or iallocator, not both", field="iallocator")
    if pnode is not None:
        validate.hostname(pnode, "pnode")
    if snode is not None:
        validate.hostname(snode, "snode")
        if pnode is None:
            raise ValidationError("snode needs pnode", field="snode")
        if snode == pnode:
            raise ValidationError("snode must differ from pnode", field="snode")
    if template in validate.MIRRORED_INTERNALLY and pnode is not None and snode is None:
        raise ValidationError(
            f"a {template} instance needs a secondary node (snode) or an iallocator",
            field="snode",
        )
    if mode == "create" and get("os") is None and not get("no_install"):
        raise ValidationError("os: an OS is needed to install the instance", field="os")
    hvparams, osparams, hypervisor = get("hvparams"), get("osparams"), get("hypervisor")
    tags = get("tags") or ()
    body = body_of(
        mode=mode,
        name=name,
        disk_template=template,
        disks=[validate.disk(d, i) for i, d in enumerate(disks)],
        nics=[validate.nic(n, i) for i, n in enumerate(get("nics") or ())],
        os=get("os"),
        pnode=pnode,
        snode=snode,
        iallocator=iallocator,
        beparams=beparams_mib(get("beparams")),
        hvparams=dict(hvparams) if hvparams else None,
        osparams={k: str(v) for k, v in osparams.items()} if osparams else None,
        hypervisor=(
            validate.choice(hypervisor, validate.HYPERVISORS, "hypervisor") if hypervisor else None
        ),
        start=get("start", True),
        no_install=get("no_install"),
        wait_for_sync=get("wait_for_sync"),
        name_check=name_check,
        ip_check=ip_check,
        tags=validate.tags(tags) if tags else None,
    )
    body.update(extra_keys(get("extra"), CREATE_EXTRA_KEYS, "instance create"))
    return body


def beparams_mib(beparams: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Memory values may carry units (``"2G"``); Ganeti wants MiB integers."""
    if not beparams:
        return None
    out = dict(beparams)
    for key in ("memory", "minmem", "maxmem"):
        if key in out and out[key] != "default":
            out[key] = validate.size_mib(out[key], f"beparams.{key}")
    vcpus = out.get("vcpus", "default")
    if vcpus != "default" and (not isinstance(vcpus, int) or isinstance(vcpus, bool) or vcpus < 1):
        raise ValidationError("beparams.vcpus: expected a positive integer", field="beparams")
    return out


def create_precondition(body: Mapping[str, Any]) -> Any:
    """Checks against the cluster: template and hypervisor enabled, placement possible."""
    checks = [validate.enabled_on_cluster("disk_template", body["disk_template"])]
    sizes = [d["size"] for d in body.get("disks") or () if isinstance(d.get("size"), int)]
    if sizes and body["disk_template"] != "diskless" and not body.get("ignore_ipolicy"):
        # Ganeti checks the policy at create time; say so before a job exists.
        checks.append(validate.within_ipolicy(sizes))
    if "hypervisor" in body:
        checks.append(validate.enabled_on_cluster("hypervisor", body["hypervisor"]))

    def check(facts: ClusterFacts) -> None:
        for one in checks:
            one(facts)
        if "pnode" not in body and "iallocator" not in body:
            validate.needs_default_iallocator(facts)

    return check
