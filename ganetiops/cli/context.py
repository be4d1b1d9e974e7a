"""``gnt-py context``: named clusters in the configuration file (like kubectl contexts).

Secrets never leave their source: ``show`` and ``list`` name where a password
comes from (an environment variable, a file, netrc, the keyring, a command) and
print ``********`` for a password written inline.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import click

from ganetiops.cli.common import complete_contexts, confirm, yes_option
from ganetiops.cli.output import (
    Column,
    OutputOptions,
    dump,
    echo,
    output_options,
    print_records,
    render_mapping,
)
from ganetiops.cli.state import State, echo_err, pass_state
from ganetiops.config import Context, PasswordSource, SshVia, load_config
from ganetiops.errors import ConfigError, ValidationError
from ganetiops.rapi import validate

MASK = "********"
ENV_OVERRIDES = (
    "GANETIOPS_RAPI_URL",
    "GANETIOPS_RAPI_USER",
    "GANETIOPS_RAPI_PASSWORD",
    "GANETIOPS_RAPI_CERTIFICATE_SHA256",
    "GANETIOPS_RAPI_CA_FILE",
    "GANETIOPS_RAPI_INSECURE",
)


@click.group()
def context() -> None:
    """Configuration contexts: which cluster gnt-py talks to, and how."""


def tls_summary(ctx: Any) -> str:
    if ctx.insecure:
        return "NOT VERIFIED"
    if ctx.certificate_sha256:
        return f"pinned {ctx.certificate_sha256[:11]}…"
    if ctx.ca_file:
        return f"CA {ctx.ca_file}"
    return "system CAs"


def password_summary(ctx: Any) -> str:
    if ctx.password is None:
        return "-"
    if ctx.password.kind == "inline":
        return f"{MASK} (inline in the configuration file)"
    return str(ctx.password.describe())


def masked(ctx: Any) -> dict[str, Any]:
    """The context as its configuration table, with any inline secret masked."""
    data: dict[str, Any] = {"name": ctx.name, **ctx.to_config()}
    password = data.get("password")
    if isinstance(password, str):
        data["password"] = MASK
    return data


@context.command("list")
@output_options()
@pass_state
def list_(state: State, output: OutputOptions) -> None:
    """Every context; the current one is marked with '*'."""
    config = load_config()
    current = os.environ.get("GNTPY_CONTEXT") or state.context_name or config.current
    if output.format != "table":
        echo(
            dump(
                {"current": current, "contexts": [masked(c) for c in config.contexts.values()]},
                output.format,
            )
        )
        return
    records = [
        {
            "current": "*" if name == current else "",
            "name": name,
            "endpoint": ctx.url
            if ctx.ssh is None
            else f"ssh {ctx.ssh.user}@{','.join(ctx.ssh.nodes)}",
            "user": ctx.user or "-",
            "tls": tls_summary(ctx),
            "description": ctx.description,
        }
        for name, ctx in sorted(config.contexts.items())
    ]
    columns = [
        Column("current", " "),
        Column("name", "Name"),
        Column("endpoint", "Endpoint"),
        Column("user", "User"),
        Column("tls", "TLS"),
        Column("description", "Description"),
    ]
    if not records:
        echo_err(f"no contexts in {config.path}; add one with: gnt-py context add NAME --url ...")
        return
    print_records(records, columns, output)


@context.command("current")
@pass_state
def current(state: State) -> None:
    """The name of the context gnt-py uses now."""
    echo(state.context.name)


@context.command("use")
@click.argument("name", shell_complete=complete_contexts)
def use(name: str) -> None:
    """Make NAME the current context."""
    config = load_config()
    config.use(name)
    config.save()
    echo_err(f"current context: {name}")


@context.command("show")
@click.argument("name", required=False, shell_complete=complete_contexts)
@output_options()
@pass_state
def show(state: State, name: str | None, output: OutputOptions) -> None:
    """Show a context (default: the current one); passwords are never printed."""
    config = load_config()
    ctx = config.context(name or state.context_name)
    overrides = [v for v in ENV_OVERRIDES if v in os.environ]
    if output.format != "table":
        echo(dump({**masked(ctx), "environment-overrides": overrides}, output.format))
        return
    doc: dict[str, Any] = {
        "Description": ctx.description or None,
        "URL": ctx.url,
        "User": ctx.user,
        "Password": password_summary(ctx),
        "TLS": tls_summary(ctx)
        if not ctx.certificate_sha256
        else f"pinned sha256 {ctx.certificate_sha256}",
        "Timeouts": f"connect {ctx.connect_timeout:g}s, read {ctx.read_timeout:g}s",
        "Max connections": ctx.max_connections,
    }
    if ctx.ssh is not None:
        doc["SSH"] = {
            "nodes": ", ".join(ctx.ssh.nodes),
            "user": ctx.ssh.user,
            "key": ctx.ssh.key or "(default keys)",
            "known hosts": ctx.ssh.known_hosts or "-",
        }
    if ctx.boot is not None:
        doc["Boot server"] = {"url": ctx.boot.url, "sftp": f"{ctx.boot.user}@{ctx.boot.host}"}
    if overrides:
        doc["Environment overrides"] = ", ".join(overrides)
    title = f"Context: {ctx.name}" + (" (current)" if ctx.name == config.current else "")
    echo(render_mapping({k: v for k, v in doc.items() if v is not None}, "table", title=title))


@context.command("add")
@click.argument("name")
@click.option("--url", help="RAPI URL, e.g. https://gnt.example.org:5080.")
@click.option("--user", help="RAPI user.")
@click.option("--password-env", metavar="VAR", help="Password from this environment variable.")
@click.option("--password-file", metavar="PATH", help="Password from a file (mode 0600).")
@click.option("--password-command", metavar="CMD", help="First line printed by CMD.")
@click.option("--password-keyring", metavar="SERVICE", help="System keyring service.")
@click.option("--netrc", "use_netrc", is_flag=True, help="Password from ~/.netrc.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from stdin and keep it in a 0600 file beside the config.",
)
@click.option("--certificate-sha256", metavar="FP", help="Pin the RAPI certificate.")
@click.option(
    "--ca-file", metavar="PEM", help="Trust this CA (the host name is checked, as curl does)."
)
@click.option(
    "--tls-server-name",
    metavar="NAME",
    help="With --ca-file: the host name the certificate carries, when not the URL's.",
)
@click.option(
    "--trust", is_flag=True, help="Fetch the server's certificate, show its fingerprint and pin it."
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS at all (not recommended).")
@click.option(
    "--ssh-node",
    "ssh_nodes",
    multiple=True,
    metavar="NODE",
    help="Reach RAPI through SSH to these nodes (repeat).",
)
@click.option("--ssh-user", default="root", show_default=True)
@click.option("--ssh-key", metavar="PATH")
@click.option("--ssh-known-hosts", metavar="PATH")
@click.option("--description", default="")
@click.option("--use", "make_current", is_flag=True, help="Make it the current context.")
@click.option("--replace", is_flag=True, help="Replace an existing context of that name.")
@yes_option
def add(name: str, **options: Any) -> None:
    """Add a context (a cluster and how to reach it)."""

    validate.object_name(name, "name")
    config = load_config()
    if name in config.contexts and not options["replace"]:
        raise ConfigError(f"context {name!r} exists; use --replace to overwrite it")
    _refuse_conflicts(options)
    url = options["url"]
    if url:
        from ganetiops.rapi.core import normalize_url  # lazy: httpx, start-up

        url = normalize_url(url)
    fingerprint = options["certificate_sha256"]
    if fingerprint:
        from ganetiops.rapi.tls import normalize_fingerprint  # lazy: ssl, start-up

        fingerprint = normalize_fingerprint(fingerprint)
    if options["trust"]:
        fingerprint = _trust(url, options["yes"])
    password = _password(options, config.path, name)
    ssh = None
    if options["ssh_nodes"]:
        ssh = SshVia(
            nodes=tuple(options["ssh_nodes"]),
            user=options["ssh_user"],
            key=options["ssh_key"],
            known_hosts=options["ssh_known_hosts"],
        )
    new = Context(
        name=name,
        url=url,
        user=options["user"],
        password=password,
        certificate_sha256=fingerprint,
        ca_file=options["ca_file"],
        tls_server_name=options["tls_server_name"],
        insecure=options["insecure"],
        ssh=ssh,
        description=options["description"],
    )
    config.set_context(new, make_current=options["make_current"])
    config.save()
    echo_err(
        f"context {name} saved in {config.path}" + (" (current)" if config.current == name else "")
    )
    if new.insecure:
        click.secho(
            f"WARNING: context {name} does not verify TLS: anyone on the path can read its "
            "credentials and change the cluster. Pin the certificate instead: "
            f"gnt-py context add {name} --url URL --trust --replace",
            fg="yellow",
            err=True,
        )


def _refuse_conflicts(options: dict[str, Any]) -> None:
    """Refuse options of ``context add`` that exclude each other, or lack their partner."""
    sources = [
        k
        for k in (
            "password_env",
            "password_file",
            "password_command",
            "password_keyring",
            "use_netrc",
            "password_stdin",
        )
        if options[k]
    ]
    if len(sources) > 1:
        raise ValidationError("give one password source", field="password")
    pins = [k for k in ("certificate_sha256", "ca_file", "trust", "insecure") if options[k]]
    if len(pins) > 1:
        raise ValidationError(
            "give one of --certificate-sha256, --ca-file, --trust, --insecure", field="tls"
        )
    if options["tls_server_name"] and not options["ca_file"]:
        raise ValidationError("--tls-server-name needs --ca-file", field="tls_server_name")
    if not options["url"] and not options["ssh_nodes"]:
        raise ValidationError("give --url, or --ssh-node to go through SSH", field="url")


def _password(options: dict[str, Any], config_path: Path, name: str) -> PasswordSource | None:
    """The password source the options give (``--password-stdin``: stored in a file now)."""
    password = None
    if options["password_env"]:
        password = PasswordSource("env", options["password_env"])
    elif options["password_file"]:
        password = PasswordSource("file", options["password_file"])
    elif options["password_command"]:
        password = PasswordSource("command", options["password_command"])
    elif options["password_keyring"]:
        password = PasswordSource("keyring", options["password_keyring"])
    elif options["use_netrc"]:
        password = PasswordSource("netrc")
    elif options["password_stdin"]:
        password = PasswordSource("file", str(_store_password(config_path, name)))
    return password


def _trust(url: str | None, yes: bool) -> str:
    """Trust on first use: fetch the certificate, show its fingerprint, ask."""
    if not url:
        raise ValidationError("--trust needs --url (a direct HTTPS endpoint)", field="trust")

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    from ganetiops.rapi.tls import fetch_certificate  # lazy: ssl, start-up

    _pem, fingerprint = fetch_certificate(host, parts.port or 5080)
    echo_err(f"The RAPI server at {host}:{parts.port or 5080} presents a certificate with")
    echo_err(f"  SHA-256 fingerprint {fingerprint}")
    echo_err("Compare it with, on the master node:")
    echo_err("  openssl x509 -noout -fingerprint -sha256 -in /var/lib/ganeti/rapi.pem")
    confirm("Pin this certificate?", yes)
    return fingerprint


def _store_password(config_path: Path, name: str) -> Path:
    if sys.stdin.isatty():
        value = click.prompt("RAPI password", hide_input=True, err=True)
    else:
        value = sys.stdin.readline().rstrip("\n")
    if not value:
        raise ValidationError("empty password on stdin", field="password")
    path = config_path.parent / f"{name}.password"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)
    return path


@context.command("remove")
@click.argument("name", shell_complete=complete_contexts)
@yes_option
def remove(name: str, yes: bool) -> None:
    """Remove a context from the configuration file."""
    config = load_config()
    config.context(name)  # unknown names fail here, before asking
    confirm(f"Remove context {name}?", yes)
    config.remove_context(name)
    config.save()
    echo_err(f"context {name} removed")
