"""Instances: the full lifecycle, ``/2/instances`` and below."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Required, TypedDict, Unpack

from ganetiops.errors import ValidationError
from ganetiops.rapi import shapes, validate
from ganetiops.rapi.call import ClusterFacts, JobCommon, Params
from ganetiops.rapi.models.instance import Instance
from ganetiops.rapi.models.misc import Console
from ganetiops.rapi.namespace import M, job_operation, operation
from ganetiops.rapi.ops.common import (
    Tagged,
    body_of,
    bound_list,
    bound_one,
    extra_keys,
    flags,
    migration,
    names_from,
    require_changes,
)

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

MODIFY_EXTRA_KEYS = (
    "ext_params",
    "file_driver",
    "file_storage_dir",
    "osparams_private",
    "conflicts_check",
    "instance_communication",
    "pnode",
)

ModAction = Literal["add", "attach", "remove", "detach", "modify"]


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


_INSTANCE_KEYS = frozenset(InstanceOptions.__required_keys__ | InstanceOptions.__optional_keys__)
_COMMON_KEYS = frozenset(JobCommon.__optional_keys__)


def instance_spec(name: str, **options: Unpack[InstanceOptions]) -> dict[str, Any]:
    """The body of an instance creation, validated (shared by create and multi-alloc)."""
    return _spec(name, options, allowed=_INSTANCE_KEYS)


def _spec(name: str, options: Mapping[str, Any], *, allowed: frozenset[str]) -> dict[str, Any]:
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
        beparams=_beparams(get("beparams")),
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


def _beparams(beparams: Mapping[str, Any] | None) -> dict[str, Any] | None:
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


def _modifications(
    changes: Sequence[Any] | None, what: Literal["nics", "disks"]
) -> list[list[Any]] | None:
    """``[action, index|name|uuid, params]`` lists; old 2-element forms are upgraded."""
    if changes is None:
        return None
    out: list[list[Any]] = []
    for i, change in enumerate(changes):
        field = f"{what}[{i}]"
        if not isinstance(change, list | tuple) or len(change) not in (2, 3):
            raise ValidationError(f"{field}: expected (action, identifier, params)", field=field)
        if len(change) == 2:
            op, params = change
            action, ident = (op, -1) if isinstance(op, str) else ("modify", op)
        else:
            action, ident, params = change
        action = validate.choice(action, ("add", "attach", "remove", "detach", "modify"), field)
        if not isinstance(ident, int | str) or isinstance(ident, bool):
            raise ValidationError(
                f"{field}: identifier must be an index, name or UUID", field=field
            )
        params = dict(params or {})
        if action in ("remove", "detach") and params:
            raise ValidationError(f"{field}: {action} takes no parameters", field=field)
        if what == "nics" and action in ("add", "modify"):
            params = validate.nic(params, i)
        if what == "disks" and action == "add":
            params = validate.disk(params, i)
        if what == "disks" and action == "modify" and "size" in params:
            raise ValidationError(f"{field}: use grow_disk to change a disk's size", field=field)
        out.append([action, ident, params])
    return out


def _instance_details(instance: str, result: Any) -> dict[str, Any]:
    """The instance-info job's result: ``{name: details}`` (one entry, the instance's)."""
    found = shapes.obj(result)
    details = found.get(instance)
    if details is None and len(found) == 1:
        details = next(iter(found.values()))  # an alias name: the one entry is it
    return dict(shapes.obj(details))


class Instances(Tagged[M]):
    """``client.instances``: list, create, change and remove instances."""

    path_values: ClassVar[Mapping[str, str]] = {"kind": "instances"}

    @operation("GET", "/2/instances")
    def list(self, *, lock: bool = False) -> Params[builtins.list[Instance]]:
        """Every instance with its configuration and live state (``?bulk=1``)."""
        return Params(
            query={"bulk": True, **flags(lock=lock)}, parse=bound_list(self, Instance.from_api)
        )

    @operation("GET", "/2/instances")
    def names(self) -> Params[builtins.list[str]]:
        """Just the instance names (cheap: no node is asked anything)."""
        return Params(parse=names_from("id"))

    @operation("GET", "/2/instances/{instance}")
    def get(self, instance: str, *, lock: bool = False) -> Params[Instance]:
        """One instance; raises :class:`~ganetiops.errors.RapiNotFoundError` if unknown."""
        return Params(query=flags(lock=lock), parse=bound_one(self, Instance.from_api))

    @job_operation("POST", "/2/instances", dry_run="query")
    def create(self, name: str, **options: Unpack[CreateOptions]) -> Params[builtins.list[str]]:
        """Create an instance (``gnt-instance add``). The job's result: the nodes used.

        Options: :class:`InstanceOptions` (``disk_template``, ``disks``, ``nics``,
        ``os``, ``pnode``/``snode`` or ``iallocator``, ``beparams``...) and the common
        job options. Checked before sending: names, sizes, MACs, NIC modes, that
        the disk template is enabled, and that a ``drbd`` instance gets ``snode``
        or an iallocator.
        """
        body = _spec(name, options, allowed=_INSTANCE_KEYS | _COMMON_KEYS)
        common = {k: v for k, v in options.items() if k in _COMMON_KEYS}
        return Params(
            body={"__version__": 1, **body},
            common=common,
            parse=shapes.job_strings,
            precondition=create_precondition(body),
        )

    @job_operation("POST", "/2/instances-multi-alloc", dry_run="query")
    def multi_alloc(
        self,
        instances: Sequence[Mapping[str, Any]],
        *,
        iallocator: str | None = None,
        opportunistic_locking: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Allocate several instances at once with an iallocator.

        Each element is a dict as :func:`instance_spec` returns (without
        ``pnode``/``snode``). The job result has ``allocatable`` and ``failed``
        names; the creations run as child jobs, which :meth:`Job.wait` follows.
        """
        specs = []
        for i, spec in enumerate(instances):
            if not isinstance(spec, Mapping) or "name" not in spec:
                raise ValidationError(f"instances[{i}]: expected an instance_spec() dict")
            specs.append({k: v for k, v in spec.items() if k != "__version__"})
        if not specs:
            raise ValidationError("instances: nothing to allocate", field="instances")
        body = body_of(
            instances=specs, iallocator=iallocator, opportunistic_locking=opportunistic_locking
        )
        return Params(body=body, common=common)

    @job_operation("DELETE", "/2/instances/{instance}", dry_run="query")
    def remove(
        self, instance: str, *, shutdown_timeout: int | None = None, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Remove the instance and its disks (``gnt-instance remove``)."""
        return Params(body=body_of(shutdown_timeout=shutdown_timeout), common=common)

    @job_operation("GET", "/2/instances/{instance}/info", body="ignored")
    def info(
        self, instance: str, *, static: bool = False, **common: Unpack[JobCommon]
    ) -> Params[dict[str, Any]]:
        """Detailed runtime information (``gnt-instance info``), as a job.

        The job result maps the instance name to its details (disks with their
        DRBD/LV children and sync state, hypervisor state...). ``static`` skips
        asking the nodes.
        """
        return Params(
            query=flags(static=static),
            common=common,
            parse=lambda result: _instance_details(instance, result),
        )

    @job_operation("POST", "/2/instances/{instance}/reboot", dry_run="query")
    def reboot(
        self,
        instance: str,
        *,
        type: Literal["soft", "hard", "full"] = "hard",
        ignore_secondaries: bool = False,
        shutdown_timeout: int | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Reboot: ``soft`` (inside the guest), ``hard`` (restart the VM), ``full`` (stop+start)."""
        return Params(
            query={
                "type": validate.choice(type, validate.REBOOT_TYPES, "type"),
                **flags(ignore_secondaries=ignore_secondaries),
            },
            body=body_of(shutdown_timeout=shutdown_timeout),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/shutdown", dry_run="query")
    def shutdown(
        self,
        instance: str,
        *,
        timeout: int | None = None,
        force: bool | None = None,
        ignore_offline_nodes: bool | None = None,
        no_remember: bool = False,
        admin_state_source: Literal["admin", "user"] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Stop the instance; ``timeout`` is seconds before it is killed (default 120)."""
        return Params(
            query=flags(no_remember=no_remember),
            body=body_of(
                timeout=timeout,
                force=force,
                ignore_offline_nodes=ignore_offline_nodes,
                admin_state_source=admin_state_source,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/startup", dry_run="query", body="ignored")
    def startup(
        self,
        instance: str,
        *,
        force: bool = False,
        no_remember: bool = False,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Start the instance. ``force`` starts it even if its disks are degraded."""
        return Params(query=flags(force=force, no_remember=no_remember), common=common)

    @job_operation("POST", "/2/instances/{instance}/reinstall", body="custom", reason=False)
    def reinstall(
        self,
        instance: str,
        *,
        os: str | None = None,
        start: bool = True,
        osparams: Mapping[str, Any] | None = None,
    ) -> Params[None]:
        """Reinstall the OS: one job of shutdown, reinstall and (with ``start``) startup.

        The server cannot take a reason trail or other job options here (body
        and query cannot be combined; rapi.md §6.2).
        """
        return Params(
            body=body_of(
                os=os,
                start=start,
                osparams={k: str(v) for k, v in osparams.items()} if osparams else None,
            )
        )

    @job_operation("POST", "/2/instances/{instance}/replace-disks", dry_run="body")
    def replace_disks(
        self,
        instance: str,
        *,
        mode: Literal[
            "replace_on_primary", "replace_on_secondary", "replace_new_secondary", "replace_auto"
        ] = "replace_auto",
        disks: Sequence[int] | None = None,
        remote_node: str | None = None,
        iallocator: str | None = None,
        early_release: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Replace DRBD disks (``gnt-instance replace-disks -p/-s/-n/-a``)."""
        validate.choice(mode, validate.REPLACE_MODES, "mode")
        if mode == "replace_new_secondary" and not (remote_node or iallocator):
            raise ValidationError(
                "replace_new_secondary needs remote_node or iallocator", field="remote_node"
            )
        if remote_node and iallocator:
            raise ValidationError("give remote_node or iallocator, not both", field="iallocator")
        if mode != "replace_new_secondary" and (remote_node or iallocator):
            # Ganeti's LUInstanceReplaceDisks.CheckArguments refuses it too, as a failed job.
            raise ValidationError(
                f"remote_node and iallocator choose a new secondary: they need "
                f"mode='replace_new_secondary', not {mode!r}",
                field="remote_node",
            )
        if remote_node is not None:
            validate.hostname(remote_node, "remote_node")
        if disks is not None:
            if mode in ("replace_auto", "replace_new_secondary"):
                # TLReplaceDisks: "Cannot specify disks to be replaced".
                raise ValidationError(
                    f"disks: {mode} replaces what it must (auto) or every disk (new "
                    "secondary); choose disks only with replace_on_primary/secondary",
                    field="disks",
                )
            disks = _disk_indexes(disks)
        return Params(
            body=body_of(
                mode=mode,
                disks=list(disks) if disks is not None else None,
                remote_node=remote_node,
                iallocator=iallocator,
                early_release=early_release,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/activate-disks", body="ignored")
    def activate_disks(
        self, instance: str, *, ignore_size: bool = False, **common: Unpack[JobCommon]
    ) -> Params[builtins.list[Any]]:
        """Activate the disks; the result lists ``[node, disk, device path]``."""
        return Params(
            query=flags(ignore_size=ignore_size),
            common=common,
            parse=shapes.rows,
        )

    @job_operation("PUT", "/2/instances/{instance}/deactivate-disks", body="ignored")
    def deactivate_disks(
        self, instance: str, *, force: bool = False, **common: Unpack[JobCommon]
    ) -> Params[None]:
        """Deactivate the disks of a stopped instance."""
        return Params(query=flags(force=force), common=common)

    @job_operation("POST", "/2/instances/{instance}/recreate-disks", dry_run="body")
    def recreate_disks(
        self,
        instance: str,
        *,
        disks: Sequence[Any] | None = None,
        nodes: Sequence[str] | None = None,
        iallocator: str | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Recreate missing disks, optionally on new nodes."""
        if nodes and iallocator:
            raise ValidationError("give nodes or iallocator, not both", field="iallocator")
        return Params(
            body=body_of(
                disks=list(disks) if disks is not None else None,
                nodes=validate.names(nodes, "nodes") if nodes else None,
                iallocator=iallocator,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/prepare-export", body="ignored")
    def prepare_export(
        self,
        instance: str,
        *,
        mode: Literal["local", "remote"] = "local",
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Prepare an export (remote mode returns the handshake data)."""
        return Params(
            query={"mode": validate.choice(mode, validate.EXPORT_MODES, "mode")}, common=common
        )

    @job_operation("PUT", "/2/instances/{instance}/export", dry_run="body")
    def export(
        self,
        instance: str,
        *,
        destination: Any,
        mode: Literal["local", "remote"] = "local",
        shutdown: bool | None = None,
        remove_instance: bool | None = None,
        compress: str | None = None,
        shutdown_timeout: int | None = None,
        zero_free_space: bool | None = None,
        long_sleep: bool | None = None,
        x509_key_name: Sequence[Any] | None = None,
        destination_x509_ca: str | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[Any]:
        """Export the instance (``gnt-backup export``); ``destination`` is a node for local."""
        return Params(
            body=body_of(
                mode=validate.choice(mode, validate.EXPORT_MODES, "mode"),
                destination=destination,
                shutdown=shutdown,
                remove_instance=remove_instance,
                compress=compress,
                shutdown_timeout=shutdown_timeout,
                zero_free_space=zero_free_space,
                long_sleep=long_sleep,
                x509_key_name=list(x509_key_name) if x509_key_name else None,
                destination_x509_ca=destination_x509_ca,
            ),
            common=common,
        )

    @job_operation("DELETE", "/2/instances/{instance}/export", since=(3, 2), dry_run="body")
    def remove_export(self, instance: str, **common: Unpack[JobCommon]) -> Params[None]:
        """Remove the instance's exports (Ganeti 3.2 and later only)."""
        return Params(body={}, common=common)

    @job_operation("PUT", "/2/instances/{instance}/migrate", dry_run="body")
    def migrate(
        self,
        instance: str,
        *,
        mode: Literal["live", "non-live"] | None = None,
        target_node: str | None = None,
        iallocator: str | None = None,
        cleanup: bool | None = None,
        allow_failover: bool | None = None,
        allow_runtime_changes: bool | None = None,
        ignore_ipolicy: bool | None = None,
        ignore_hvversions: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Move a running instance to its secondary (drbd) or ``target_node`` (shared storage).

        ``cleanup`` recovers from a failed migration (where the instance runs is found out,
        the configuration and the disks are set right): it moves nothing, so it takes no
        ``target_node``, ``iallocator`` or ``allow_failover``.
        """
        if cleanup:
            given = [
                k
                for k, v in (
                    ("target_node", target_node),
                    ("iallocator", iallocator),
                    ("allow_failover", allow_failover),
                )
                if v
            ]
            if given:
                raise ValidationError(
                    f"cleanup moves nothing: it takes no {' or '.join(given)}",
                    field=given[0],
                )
        return Params(
            body=migration(mode, target_node, iallocator)
            | body_of(
                cleanup=cleanup,
                allow_failover=allow_failover,
                allow_runtime_changes=allow_runtime_changes,
                ignore_ipolicy=ignore_ipolicy,
                ignore_hvversions=ignore_hvversions,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/failover", dry_run="body")
    def failover(
        self,
        instance: str,
        *,
        target_node: str | None = None,
        iallocator: str | None = None,
        ignore_consistency: bool | None = None,
        shutdown_timeout: int | None = None,
        cleanup: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Stop the instance and start it on its secondary (or ``target_node``)."""
        return Params(
            body=migration(None, target_node, iallocator)
            | body_of(
                ignore_consistency=ignore_consistency,
                shutdown_timeout=shutdown_timeout,
                cleanup=cleanup,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @job_operation("PUT", "/2/instances/{instance}/rename", dry_run="body")
    def rename(
        self,
        instance: str,
        new_name: str,
        *,
        name_check: bool | None = None,
        ip_check: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[str]:
        """Rename a stopped instance; the job's result is the new name.

        ``name_check``/``ip_check`` are sent only when given (Ganeti's defaults apply:
        ``true`` on 3.0, ``false`` on 3.1 and later).
        """
        validate.hostname(new_name, "new_name")
        if ip_check and name_check is False:
            raise ValidationError("ip_check needs name_check", field="ip_check")
        return Params(
            body=body_of(new_name=new_name, name_check=name_check, ip_check=ip_check),
            common=common,
            parse=shapes.text,
        )

    @job_operation("PUT", "/2/instances/{instance}/modify", dry_run="body")
    def modify(
        self,
        instance: str,
        *,
        beparams: Mapping[str, Any] | None = None,
        hvparams: Mapping[str, Any] | None = None,
        osparams: Mapping[str, Any] | None = None,
        nics: Sequence[Any] | None = None,
        disks: Sequence[Any] | None = None,
        disk_template: str | None = None,
        remote_node: str | None = None,
        iallocator: str | None = None,
        os_name: str | None = None,
        force_variant: bool | None = None,
        runtime_mem: int | str | None = None,
        offline: bool | None = None,
        hotplug: bool | None = None,
        hotplug_if_possible: bool | None = None,
        wait_for_sync: bool | None = None,
        force: bool | None = None,
        ignore_ipolicy: bool | None = None,
        extra: Mapping[str, Any] | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[builtins.list[Any]]:
        """Change an instance (``gnt-instance modify``); result: ``[[param, value], ...]``.

        ``nics``/``disks`` are ``(action, index|name|uuid, params)`` changes,
        e.g. ``[("add", -1, {"link": "br0"})]``. Use ``"default"`` as a value to
        reset a parameter. ``hotplug_if_possible`` exists on 3.0 only.
        """
        if disk_template is not None:
            validate.choice(disk_template, validate.DISK_TEMPLATES, "disk_template")
            if disks:
                raise ValidationError(
                    "disk_template conversion cannot be combined with disk changes", field="disks"
                )
            if disk_template in validate.MIRRORED_INTERNALLY and not (remote_node or iallocator):
                raise ValidationError(
                    f"converting to {disk_template} needs remote_node or iallocator",
                    field="remote_node",
                )
            if remote_node and iallocator:
                raise ValidationError(
                    "give remote_node or iallocator, not both", field="iallocator"
                )
        if (remote_node or iallocator) and disk_template not in validate.MIRRORED_INTERNALLY:
            # Ganeti only warns that it ignores the node; say it before sending.
            raise ValidationError(
                "remote_node and iallocator choose the secondary of a conversion to drbd"
                + (f", not to {disk_template}" if disk_template else " (give disk_template)"),
                field="remote_node",
            )
        if remote_node is not None:
            validate.hostname(remote_node, "remote_node")
        body = body_of(
            beparams=_beparams(beparams),
            hvparams=dict(hvparams) if hvparams else None,
            osparams={k: str(v) for k, v in osparams.items()} if osparams else None,
            nics=_modifications(nics, "nics"),
            disks=_modifications(disks, "disks"),
            disk_template=disk_template,
            remote_node=remote_node,
            iallocator=iallocator,
            os_name=os_name,
            force_variant=force_variant,
            runtime_mem=validate.size_mib(runtime_mem, "runtime_mem")
            if runtime_mem is not None
            else None,
            offline=offline,
            hotplug=hotplug,
            hotplug_if_possible=hotplug_if_possible,
            wait_for_sync=wait_for_sync,
            force=force,
            ignore_ipolicy=ignore_ipolicy,
        )
        body.update(extra_keys(extra, MODIFY_EXTRA_KEYS, "instance modify"))
        require_changes(
            {k: v for k, v in body.items() if k not in ("force", "wait_for_sync", "hotplug")},
            "instance modify",
        )
        return Params(
            body=body,
            common=common,
            parse=shapes.rows,
            precondition=_modify_precondition(
                hotplug_if_possible=hotplug_if_possible is not None,
                conversion_iallocator=bool(disk_template and iallocator),
            ),
        )

    @job_operation("POST", "/2/instances/{instance}/disk/{disk}/grow", dry_run="body")
    def grow_disk(
        self,
        instance: str,
        disk: int,
        amount: int | str,
        *,
        absolute: bool | None = None,
        wait_for_sync: bool | None = None,
        ignore_ipolicy: bool | None = None,
        **common: Unpack[JobCommon],
    ) -> Params[None]:
        """Grow disk ``disk`` by ``amount`` (``"1G"``), or to ``amount`` with ``absolute``."""
        if not isinstance(disk, int) or isinstance(disk, bool) or disk < 0:
            raise ValidationError("disk: expected a disk index (0, 1, ...)", field="disk")
        mib = validate.size_mib(amount, "amount")
        if mib == 0 and not absolute:
            raise ValidationError("amount: growing by 0 changes nothing", field="amount")
        return Params(
            body=body_of(
                amount=mib,
                absolute=absolute,
                wait_for_sync=wait_for_sync,
                ignore_ipolicy=ignore_ipolicy,
            ),
            common=common,
        )

    @operation("GET", "/2/instances/{instance}/console")
    def console(self, instance: str) -> Params[Console]:
        """How to reach the console (needs a running instance and a read or write user)."""
        return Params(parse=shapes.model(Console.from_api))


def _disk_indexes(disks: Sequence[Any]) -> builtins.list[int]:
    out: builtins.list[int] = []
    for value in disks:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(
                f"disks: {value!r} is not a disk index (0, 1, ...)", field="disks"
            )
        if value in out:
            raise ValidationError(f"disks: index {value} given twice", field="disks")
        out.append(value)
    if not out:
        raise ValidationError(
            "disks: an empty list replaces nothing (leave it out for every disk)", field="disks"
        )
    return out


def check_conversion(
    instance: Instance, disk_template: str, remote_node: str | None = None
) -> None:
    """Refuse a disk template conversion Ganeti would refuse, from the instance's state.

    Ganeti (``LUInstanceSetParams``) converts only an instance that is down (admin state
    and on its node), to another template, with a secondary that is not the primary.
    ``modify`` checks the arguments alone; this needs the instance (``instances.get``).
    """
    name = instance.name
    if instance.disk_template == disk_template and disk_template != "ext":
        # ext to ext is Ganeti's one same-template conversion (another provider).
        raise ValidationError(
            f"{name} already has disk template {disk_template}", field="disk_template"
        )
    if instance.admin_state == "up" or instance.oper_state:
        state = "running" if instance.oper_state else "marked up"
        raise ValidationError(
            f"{name} is {state}: a disk template conversion needs it stopped "
            f"(gnt-py instance stop {name}), then start it again",
            field="disk_template",
        )
    if remote_node is not None and remote_node == instance.pnode:
        raise ValidationError(
            f"the new secondary {remote_node} is {name}'s primary node; choose another node",
            field="remote_node",
        )


def _modify_precondition(*, hotplug_if_possible: bool, conversion_iallocator: bool) -> Any:
    checks = [
        check
        for check, wanted in (
            (_no_hotplug_if_possible, hotplug_if_possible),
            (_conversion_iallocator, conversion_iallocator),
        )
        if wanted
    ]
    if not checks:
        return None

    def check(facts: ClusterFacts) -> None:
        for one in checks:
            one(facts)

    return check


def _conversion_iallocator(facts: ClusterFacts) -> None:
    """Ganeti 3.0's ``OpInstanceSetParams`` has no ``iallocator`` (its LU asks for
    ``remote_node`` in a conversion to drbd); Ganeti 3.1 added it."""
    if facts.version < (3, 1):
        version = ".".join(str(part) for part in facts.version)
        raise ValidationError(
            f"Ganeti {version} converts to drbd only with a named secondary (remote_node, "
            "-n NODE on the command line): an iallocator choosing it came with Ganeti 3.1",
            field="iallocator",
        )


def _no_hotplug_if_possible(facts: ClusterFacts) -> None:
    if facts.version >= (3, 1):
        raise ValidationError(
            "hotplug_if_possible was removed in Ganeti 3.1; use hotplug",
            field="hotplug_if_possible",
        )
