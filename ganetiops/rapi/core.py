"""What the sync and async clients share: settings, credentials, request building,
error mapping and the retry rule. No I/O happens here."""

from __future__ import annotations

import base64
import ipaddress
import logging
import netrc
import os
import urllib.parse
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import httpx

from ganetiops import errors
from ganetiops._version import __version__
from ganetiops.config.secrets import Secret
from ganetiops.rapi.call import Call, master_unreachable
from ganetiops.rapi.jobs import Polling
from ganetiops.rapi.namespace import Executor
from ganetiops.rapi.tls import TlsPolicy, is_pin_mismatch

log = logging.getLogger("ganetiops.rapi")

DEFAULT_PORT = 5080
#: Below ganeti-rapi's 20 simultaneous clients (more would hang, unanswered).
DEFAULT_MAX_CONNECTIONS = 10
ENV_USER = "GANETIOPS_RAPI_USER"
ENV_PASSWORD = "GANETIOPS_RAPI_PASSWORD"  # noqa: S105 - a variable name
_USE_DEFAULT = object()


def normalize_url(url: str) -> str:
    """``host``, ``host:port``, an IPv6 literal or a full URL -> ``https://host:port``."""
    text = url.strip()
    if not text:
        raise errors.ValidationError("url: empty", field="url")
    if "://" not in text:
        try:
            address = ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            address = None
        if address is not None and address.version == 6:
            text = f"https://[{address}]:{DEFAULT_PORT}"
        else:
            text = f"https://{text}"
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("https", "http"):
        raise errors.ValidationError(f"url: unsupported scheme {parts.scheme!r}", field="url")
    if parts.username or parts.password:
        raise errors.ValidationError(
            "url: put credentials in user=/password= or a context, never in the URL", field="url"
        )
    if not parts.hostname:
        raise errors.ValidationError(f"url: no host in {url!r}", field="url")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise errors.ValidationError(f"url: bad port in {url!r}", field="url") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if parts.path not in ("", "/"):
        raise errors.ValidationError("url: the RAPI URL takes no path", field="url")
    return f"{parts.scheme}://{host}:{port}"


class BasicAuth(httpx.Auth):
    """HTTP Basic credentials that never show themselves."""

    def __init__(self, user: str, password: Secret) -> None:
        try:
            token = f"{user}:{password.reveal()}".encode("ascii")
        except UnicodeEncodeError:
            raise errors.ValidationError(
                "RAPI user names and passwords must be ASCII (Ganeti decodes them as ASCII)"
            ) from None
        self.user = user
        self._header = "Basic " + base64.b64encode(token).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(user={self.user!r}, password='********')"


def resolve_credentials(
    url: str, user: str | None, password: str | Secret | None
) -> BasicAuth | None:
    """Arguments, else ``GANETIOPS_RAPI_USER``/``_PASSWORD``, else ~/.netrc; or none."""
    secret = Secret(password) if isinstance(password, str) else password
    if user is None and secret is None:
        user = os.environ.get(ENV_USER)
        env_password = os.environ.get(ENV_PASSWORD)
        secret = Secret(env_password) if env_password is not None else None
    if user is None and secret is None:
        user, secret = _from_netrc(urllib.parse.urlsplit(url).hostname or "")
    if user is None and secret is None:
        return None
    if not user or secret is None:
        raise errors.ConfigError("RAPI credentials need both a user and a password")
    return BasicAuth(user, secret)


def _from_netrc(host: str) -> tuple[str | None, Secret | None]:
    path = Path.home() / ".netrc"
    if not host or not path.exists():
        return None, None
    from ganetiops.config.secrets import check_private_file

    check_private_file(path, "netrc file")
    try:
        auth = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None, None
    if auth is None:
        return None, None
    login, _account, password = auth
    return login or None, Secret(password or "")


class ClientCore(Executor):
    """Settings and pure logic shared by :class:`RapiClient` and :class:`AsyncRapiClient`."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | Secret | None = None,
        tls: TlsPolicy | None = None,
        certificate_sha256: str | None = None,
        ca_file: str | None = None,
        insecure: bool = False,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retries: int = 3,
        reason: Any = _USE_DEFAULT,
        polling: Polling | None = None,
        facts_ttl: float = 60.0,
        lookup_window: float = 10.0,
    ) -> None:
        self.url = normalize_url(url)
        if tls is None:
            tls = TlsPolicy(sha256=certificate_sha256, ca_file=ca_file, insecure=insecure)
        elif certificate_sha256 or ca_file or insecure:
            raise errors.ValidationError("give tls= or certificate_sha256/ca_file/insecure")
        if self.url.startswith("http://"):
            log.warning("RAPI over plain HTTP to %s: credentials travel in clear", self.url)
        self.tls = tls
        self.auth = resolve_credentials(self.url, user, password)
        if max_connections < 1 or max_connections > 19:
            raise errors.ValidationError(
                "max_connections: 1..19 (ganeti-rapi answers at most 20 clients at once)",
                field="max_connections",
            )
        self.max_connections = max_connections
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.retries = retries
        #: Tag appended to every job's reason trail (``None`` to send none).
        self.reason_tag: str | None = (
            f"ganetiops {__version__}" if reason is _USE_DEFAULT else reason
        )
        self.polling = polling or Polling()
        self.facts_ttl = facts_ttl
        #: Seconds a write whose answer was lost is looked up by request id.
        self.lookup_window = lookup_window
        self._facts: Any = None
        self._facts_at = float("-inf")

    def __repr__(self) -> str:
        user = self.auth.user if self.auth else None
        return f"<{type(self).__name__} {self.url} user={user!r} tls={self.tls.describe()}>"

    def _repr_html_(self) -> str:
        """Jupyter display, drawn by :mod:`ganetiops.display` (imported only here)."""
        from ganetiops.display.html import client_html

        return client_html(self)

    def attach_namespaces(self) -> None:
        """``client.instances``, ``client.nodes``... (the class annotations give their types)."""
        from ganetiops.rapi.ops import NAMESPACES

        for attr, namespace in NAMESPACES.items():
            setattr(self, attr, namespace(self))

    def client_kwargs(self, transport: Any) -> dict[str, Any]:
        """Arguments for ``httpx.Client`` / ``httpx.AsyncClient``."""
        kwargs: dict[str, Any] = {
            "base_url": self.url,
            "auth": self.auth,
            "timeout": self.timeout,
            "headers": {"User-Agent": f"ganetiops/{__version__}", "Accept": "application/json"},
            "limits": httpx.Limits(
                max_connections=self.max_connections, max_keepalive_connections=0
            ),
            "follow_redirects": False,
        }
        if transport is not None:
            kwargs["transport"] = transport
        elif self.url.startswith("https://"):
            kwargs["verify"] = self.tls.ssl_context()
        return kwargs

    def request_kwargs(self, call: Call[Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"method": call.method, "url": call.path}
        if call.query:
            kwargs["params"] = list(call.query)
        if call.body is not None:
            kwargs["content"] = call.body
            kwargs["headers"] = {"Content-Type": "application/json"}
        if call.read_timeout is not None:
            kwargs["timeout"] = httpx.Timeout(call.read_timeout, connect=self.timeout.connect)
        return kwargs

    @staticmethod
    def read_response(call: Call[Any], response: httpx.Response) -> Any:
        from ganetiops.rapi.call import decode_json, error_from_response

        if response.status_code != 200:
            raise error_from_response(
                response.status_code, response.content, call.method, call.path
            )
        try:
            return decode_json(response.content)
        except ValueError:
            raise errors.RapiError(
                200, "the answer is not JSON", method=call.method, path=call.path
            ) from None

    @staticmethod
    def map_transport_error(call: Call[Any], exc: httpx.HTTPError) -> errors.GanetiOpsError:
        where = f"{call.method} {call.path}"
        mismatch = is_pin_mismatch(exc)
        if mismatch:
            return errors.CertificateError(f"{where}: {mismatch}")
        if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return errors.CertificateError(f"{where}: certificate not trusted ({exc})")
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return errors.RapiTimeoutError(f"{where}: timed out connecting", sent=False)
        if isinstance(exc, httpx.ConnectError):
            return errors.RapiConnectionError(f"{where}: cannot connect ({exc})", sent=False)
        if isinstance(exc, httpx.TimeoutException):
            return errors.RapiTimeoutError(f"{where}: no answer in time", sent=True)
        return errors.RapiConnectionError(f"{where}: {type(exc).__name__}: {exc}", sent=True)


def should_retry(call: Call[Any], exc: BaseException) -> bool:
    """May this failure be retried without risking a second job?

    Reads are retried on connection failures and 502/503. A 504 is not retried:
    ganeti-rapi answers it after it has itself waited about 30 s for the master
    daemon (ganeti-luxid down), so a retry would only multiply the wait. Writes are retried
    only when nothing can have reached the server: the connection never opened,
    or ganeti-rapi said it could not reach the master daemon (502) before
    submitting anything. Long polls that ran into the caller's deadline are not
    retried here (the job flow decides).
    """
    if isinstance(exc, errors.CertificateError):
        return False
    if isinstance(exc, errors.RapiTimeoutError) and call.read_timeout is not None:
        return False
    if isinstance(exc, errors.RapiConnectionError):
        return not exc.sent or call.idempotent
    if isinstance(exc, errors.RapiServerError):
        if master_unreachable(exc):
            return True
        return call.idempotent and exc.status in (502, 503)
    return False


def facts_from(info: Mapping[str, Any]) -> Any:
    from ganetiops.rapi.call import ClusterFacts

    return ClusterFacts.from_info(info)
