"""The installed `rlm-mcp serve` command, driven by the SDK's client over stdio and streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import TEST_IMAGE
from tests.mcp.test_tools import call
from tests.support.docker_engine import adopt_child_servers, adopt_server

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


def server_environment(tmp_path: Path) -> dict[str, str]:
    """What the launched server gets: our settings, not the test process's whole environment."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RLM_CACHE_DIR": str(tmp_path / "cache"),
        "RLM_IMAGE": TEST_IMAGE,
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")},
    }


def assert_no_container_left() -> None:
    """Whatever the server started is gone once it has shut down (nothing to check without Docker)."""
    from tests.conftest import docker_problem

    if docker_problem() is not None:
        return
    from tests.support.docker_engine import our_containers

    assert our_containers() == [], "containers left behind"


async def exercise(client: Client) -> None:
    """Load this repository, run code over it, and read a result back."""
    await call(client, "rlm_load_context", source=str(REPO / "rlm_mcp"))
    out = await call(client, "rlm_exec", code="[s.where for s in symbols if s.name == 'build_server']")
    assert "server.py:" in out


async def test_stdio_server_loads_this_repository_and_runs_code(tmp_path: Path) -> None:
    """`rlm-mcp serve` over stdio: the way Claude Code and Claude Desktop launch it."""
    params = StdioServerParameters(command="rlm-mcp", args=["serve"], env=server_environment(tmp_path))
    with anyio.fail_after(120):
        async with Client(params) as client:
            adopt_child_servers()
            await exercise(client)
    assert_no_container_left()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "rlm_mcp", "serve", "--transport", "http", "--port", str(port)]
    log = (tmp_path / "server.log").open("w")
    with subprocess.Popen(command, env=server_environment(tmp_path), stdout=log, stderr=log) as server:
        try:
            wait_for_port(port, server)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


def wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(_wait_for_port, port, server)


async def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    with anyio.fail_after(60):
        while server.poll() is None:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.1)
                continue
            await stream.aclose()
            return
    raise AssertionError(f"the HTTP server exited with code {server.returncode}")


async def test_streamable_http_server_loads_this_repository_and_runs_code(http_server: str) -> None:
    """`rlm-mcp serve --transport http`: the same tools over streamable HTTP."""
    with anyio.fail_after(120):
        async with Client(http_server) as client:
            await exercise(client)


async def test_sigterm_stops_the_http_servers_sandboxes(tmp_path: Path) -> None:
    """SIGTERM ends the server cleanly: every sandbox it started is stopped."""
    port = free_port()
    command = [sys.executable, "-m", "rlm_mcp", "serve", "--transport", "http", "--port", str(port)]
    with subprocess.Popen(command, env=server_environment(tmp_path), stderr=subprocess.DEVNULL) as server:
        adopt_server(server.pid)
        await _wait_for_port(port, server)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            await call(client, "rlm_exec", code="1")
        server.terminate()
        assert server.wait(timeout=30) in (0, -15)
    assert_no_container_left()
