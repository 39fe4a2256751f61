"""The HTTP transport against other local processes and web pages (issue 11, item 7).

Every test launches the real `rlm-mcp serve --transport http` and talks to it over a real socket.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import anyio
import httpx2
import pytest

from tests.mcp.test_tools import call, call_error
from tests.support.served import http_server, server_environment, stored_token, token_client

pytestmark = pytest.mark.anyio
TOKEN = "a-test-token-of-some-length"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


def post(url: str, headers: dict[str, str]) -> httpx2.Response:
    """One raw MCP request, with exactly the headers given (plus the ones MCP requires)."""
    required = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    return httpx2.post(url, json=INITIALIZE, headers={**required, **headers}, timeout=30)


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-token"),
        pytest.param(f"Bearer {TOKEN[:-1]}X", id="wrong-token"),
        pytest.param(f"Bearer {TOKEN}-and-more", id="longer-token"),
        pytest.param(TOKEN, id="token-without-bearer"),
    ],
)
def test_a_request_without_the_right_token_gets_401(tmp_path: Path, authorization: str | None) -> None:
    """Nothing reaches the MCP server without `Authorization: Bearer <the token>`; the refusal says Bearer."""
    with http_server(tmp_path, RLM_HTTP_TOKEN=TOKEN) as (_, url):
        refused = post(url, {"Authorization": authorization} if authorization else {})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert post(url, {"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_token_is_made_once_kept_0600_and_shown_only_when_made(tmp_path: Path) -> None:
    """First start: a token is stored 0600 in a 0700 folder and printed with the URL and the header to send;
    a restart keeps the same token and does not print it again."""
    with http_server(tmp_path) as (first, url):
        token = stored_token(tmp_path)
        assert post(url, {"Authorization": f"Bearer {token}"}).status_code == 200
    path = tmp_path / "cache" / "http" / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(token) >= 32
    assert f"Authorization: Bearer {token}" in first.stderr() and "/mcp" in first.stderr()
    with http_server(tmp_path) as (second, url):
        assert stored_token(tmp_path) == token
        assert post(url, {"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in second.stderr() and str(path) in second.stderr()


def test_rlm_http_token_is_the_token_when_set(tmp_path: Path) -> None:
    """RLM_HTTP_TOKEN is the only token: it is accepted and any other refused, none is written, none printed."""
    with http_server(tmp_path, RLM_HTTP_TOKEN=TOKEN) as (served, url):
        assert post(url, {"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert post(url, {"Authorization": "Bearer another-token"}).status_code == 401
    assert not (tmp_path / "cache" / "http" / "token").exists()
    assert TOKEN not in served.stderr()


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])
def test_a_foreign_host_or_origin_is_refused_on_every_bind(tmp_path: Path, bind: str) -> None:
    """DNS rebinding: a request naming another Host (421) or coming from another web Origin (403) is refused even
    with the token, on a loopback bind and on a wildcard bind alike."""
    with http_server(tmp_path, "--http-allow-remote", "true", host=bind, RLM_HTTP_TOKEN=TOKEN) as (_, url):
        authorized = {"Authorization": f"Bearer {TOKEN}"}
        assert post(url, {**authorized, "Host": "attacker.example"}).status_code == 421
        assert post(url, {**authorized, "Origin": "http://attacker.example"}).status_code == 403
        assert post(url, {**authorized, "Origin": "http://localhost:6274"}).status_code == 200


def test_a_non_loopback_bind_is_refused_without_the_flag_and_warned_about_with_it(tmp_path: Path) -> None:
    """`--host 0.0.0.0` alone does not start (the message names the flag); with --http-allow-remote it starts and
    says loudly that the token crosses the network."""
    command = ["rlm-mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1"]
    refused = subprocess.run(command, env=server_environment(tmp_path), capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert "RLM_HTTP_ALLOW_REMOTE" in refused.stderr and "Traceback" not in refused.stderr
    with http_server(tmp_path, "--http-allow-remote", "true", host="0.0.0.0", RLM_HTTP_TOKEN=TOKEN) as (served, _):
        pass
    assert "WARNING" in served.stderr() and "reachable from other machines" in served.stderr()


async def test_one_client_cannot_list_or_reach_another_clients_session(tmp_path: Path) -> None:
    """Two clients with the same token: B neither sees A's session in rlm_status nor reaches it by the name A used;
    A's variables stay A's, and A keeps reaching its session by the handle its load returned."""
    with http_server(tmp_path, RLM_HTTP_TOKEN=TOKEN) as (_, url), anyio.fail_after(120):
        async with token_client(url, TOKEN) as a, token_client(url, TOKEN) as b:
            loaded = json.loads(await call(a, "rlm_load_context", source="A's notes", kind="text", session="default"))
            handle = loaded["session"]
            assert handle.startswith("default-") and len(handle) > len("default-") + 12
            await call(a, "rlm_exec", code="secret = 'A-only'", session=handle)

            status = json.loads(await call(b, "rlm_status"))
            assert status["sessions"] == [] and handle not in json.dumps(status)
            for tool, arguments in [
                ("rlm_exec", {"code": "print(secret)"}),
                ("rlm_status", {}),
                ("rlm_reset", {"scope": "session"}),
            ]:
                refused = await call_error(b, tool, session="default", **arguments)
                assert "unknown session 'default'" in refused and handle not in refused

            assert "A-only" in await call(a, "rlm_exec", code="print(secret)", session=handle)


async def test_a_session_its_client_left_is_closed(tmp_path: Path) -> None:
    """An HTTP session no call names for RLM_HTTP_SESSION_IDLE seconds is closed: its client is gone."""
    idle = {"RLM_HTTP_TOKEN": TOKEN, "RLM_HTTP_SESSION_IDLE": "0.5"}
    with http_server(tmp_path, **idle) as (served, url), anyio.fail_after(60):
        async with token_client(url, TOKEN) as client:
            handle = json.loads(await call(client, "rlm_load_context", source="x", kind="text"))["session"]
            while "closing session default: unused" not in served.stderr():  # naming it would keep it alive
                await anyio.sleep(0.05)
            assert "unknown session" in await call_error(client, "rlm_status", session=handle)


async def test_a_session_busy_in_a_long_call_is_not_closed_as_idle(tmp_path: Path) -> None:
    """A call longer than the idle limit keeps its session: idleness counts from the end of the last call."""
    idle = {"RLM_HTTP_TOKEN": TOKEN, "RLM_HTTP_SESSION_IDLE": "0.5"}
    with http_server(tmp_path, **idle) as (_, url), anyio.fail_after(60):
        async with token_client(url, TOKEN) as client:
            handle = json.loads(await call(client, "rlm_load_context", source="x", kind="text"))["session"]
            await call(client, "rlm_exec", code="import time; time.sleep(2)\nkept = 1", session=handle)
            assert "[value]\n1" in await call(client, "rlm_exec", code="kept", session=handle)


def test_the_token_file_is_not_readable_by_others_even_with_a_wide_umask(tmp_path: Path) -> None:
    """A permissive umask (0o000) still yields a 0600 token in a 0700 folder."""
    previous = os.umask(0)
    try:
        with http_server(tmp_path) as _:
            pass
    finally:
        os.umask(previous)
    path = tmp_path / "cache" / "http" / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
