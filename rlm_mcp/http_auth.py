"""Who may talk to the HTTP transport: a bearer token, and the Host/Origin names requests may carry.

Any local process (another user's too) and any web page can reach a port on this machine, so
every request must carry the server's token, and DNS-rebinding pages are refused by Host and Origin
on every bind address. Both checks are the SDK's own (TokenVerifier, TransportSecuritySettings).
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl

from rlm_mcp.config import Settings
from rlm_mcp.errors import ConfigError
from rlm_mcp.hosts import is_loopback
from rlm_mcp.private_files import FOLDER_MODE, private_folder, write_private

CLIENT_ID = "rlm-mcp-token"
"""The one principal the token stands for; sessions are told apart by their handles, not by this."""
WILDCARD_BINDS = ("0.0.0.0", "::", "")
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def token_path(settings: Settings) -> Path:
    return Path(settings.cache_dir) / "http" / "token"


def server_token(settings: Settings) -> tuple[str, bool]:
    """The bearer token (RLM_HTTP_TOKEN, else the stored one, else a new one stored 0600), and whether it is new."""
    if settings.http_token:
        return settings.http_token, False
    path = token_path(settings)
    private_folder(path.parent)
    os.chmod(path.parent, FOLDER_MODE)  # our own folder: narrow it even if an older version made it wider
    if path.exists():
        return _read_token(path), False
    candidate = path.with_name(f"token.{os.getpid()}.new")
    write_private(candidate, secrets.token_urlsafe(32).encode())
    try:
        os.link(candidate, path)  # atomic and exclusive: a server starting at the same moment keeps one token
        created = True
    except FileExistsError:
        created = False
    finally:
        candidate.unlink(missing_ok=True)
    return _read_token(path), created


def _read_token(path: Path) -> str:
    os.chmod(path, 0o600)
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise ConfigError(f"the HTTP token file {path} is empty: delete it to have a new token made")
    return token


@dataclass(frozen=True)
class HttpAccess:
    """Everything the HTTP transport checks, for one bind address and port."""

    url: str
    token: str = field(repr=False)
    token_is_new: bool
    security: TransportSecuritySettings

    @property
    def verifier(self) -> BearerToken:
        return BearerToken(self.token)

    @property
    def auth(self) -> AuthSettings:
        """Token-only auth: no authorization server, no OAuth metadata routes."""
        return AuthSettings(issuer_url=AnyHttpUrl(self.url), resource_server_url=None)


def http_access(settings: Settings, bind: str, port: int) -> HttpAccess:
    """The checks for serving on `bind`:`port`; a non-loopback bind is refused unless RLM_HTTP_ALLOW_REMOTE."""
    if not is_loopback(bind) and not settings.http_allow_remote:
        raise ConfigError(
            f"refusing to serve HTTP on {bind or 'every address'}: other machines could reach it, and plain HTTP "
            "shows the bearer token to anyone on the way. Keep the default 127.0.0.1 (tunnel with ssh -L, or put a "
            "TLS proxy in front), or pass --http-allow-remote true (RLM_HTTP_ALLOW_REMOTE=1) to do it anyway"
        )
    shown = socket.gethostname() if bind in WILDCARD_BINDS else bind
    token, token_is_new = server_token(settings)
    return HttpAccess(
        url=f"http://{_bracketed(shown)}:{port}/mcp",
        token=token,
        token_is_new=token_is_new,
        security=transport_security(bind, settings.http_extra_hosts()),
    )


def _bracketed(host: str) -> str:
    """An IPv6 address as URLs and Host headers spell it."""
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class BearerToken:
    """The SDK's TokenVerifier for one shared secret, compared in constant time."""

    token: str = field(repr=False)

    async def verify_token(self, token: str) -> AccessToken | None:
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return None
        return AccessToken(token="", client_id=CLIENT_ID, scopes=[])


def allowed_hosts(bind: str, extra: list[str]) -> list[str]:
    """Host names a request may address: loopback, the bind address (or this machine's name on a wildcard), `extra`."""
    own = [socket.gethostname(), socket.getfqdn()] if bind in WILDCARD_BINDS else [bind]
    names: list[str] = []
    for name in (*_LOOPBACK_NAMES, *own, *extra):
        if name and name not in names:
            names.append(name)
    return names


def transport_security(bind: str, extra_hosts: list[str]) -> TransportSecuritySettings:
    """Host and Origin checks for every bind address (the SDK turns them on for loopback binds only)."""
    hosts = [_bracketed(name) for name in allowed_hosts(bind, extra_hosts)]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *(f"{host}:*" for host in hosts)],
        allowed_origins=[
            f"{scheme}://{host}{port}" for scheme in ("http", "https") for host in hosts for port in ("", ":*")
        ],
    )
