"""Ctrl-C and SIGTERM stop the real `rlm-mcp serve` quickly and cleanly, with its sandboxes removed.

A client such as Claude Code keeps the server's stdin open until it exits itself, so a stop must not
wait for stdin to close.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.served import StdioPeer, containers_of, http_server, launched, server_environment, token_client

pytestmark = pytest.mark.anyio
STOP_WITHIN_S = 5
SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


@pytest.mark.parametrize("signum", SIGNALS)
def test_a_signal_stops_the_stdio_server_with_stdin_still_open(backend_name: str, signum: int, tmp_path: Path) -> None:
    """With a live sandbox and the client's stdin left open, a signal ends the server within 5 s, no traceback, and
    no container of that server is left."""
    env = server_environment(tmp_path, RLM_BACKEND=backend_name)
    with launched(["serve"], env, tmp_path, stdin=subprocess.PIPE) as served:
        peer = StdioPeer(served)
        peer.initialize()
        arguments = {"source": "a context for the sandbox", "kind": "text"}
        peer.request("tools/call", {"name": "rlm_load_context", "arguments": arguments})
        if backend_name == "docker":
            assert containers_of(served.owner), "the load started no container: this test would prove nothing"
        assert served.stop(signum, within_s=STOP_WITHIN_S) == 0
        assert "Traceback" not in served.stderr()
    assert containers_of(served.owner) == []


@pytest.mark.parametrize("signum", SIGNALS)
async def test_a_signal_stops_the_http_server_without_a_traceback(
    backend_name: str, signum: int, tmp_path: Path
) -> None:
    """Over HTTP, a signal ends the server within 5 s with exit code 0 and no traceback; its sandboxes are gone."""
    with http_server(tmp_path, RLM_BACKEND=backend_name, RLM_HTTP_TOKEN="stop-test-token") as (served, url):
        async with token_client(url, "stop-test-token") as client:
            reply = await client.call_tool("rlm_load_context", {"source": "some text", "kind": "text"})
            assert not reply.is_error
        assert served.stop(signum, within_s=STOP_WITHIN_S) == 0
        assert "Traceback" not in served.stderr()
    assert containers_of(served.owner) == []
