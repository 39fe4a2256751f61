"""The installed `rlm-mcp serve` launched as a user's client launches it, and the clients tests talk to it with."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from rlm_mcp.backends.docker import OWNER_LABEL, owner_identity
from tests.conftest import TEST_IMAGE, docker_problem

CHECKOUT = Path(__file__).resolve().parents[2]


def server_environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """What the launched server gets: our settings, not the test process's whole environment.

    PYTHONPATH puts this checkout's rlm_mcp before any installed copy, so the command runs the code under test.
    """
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(CHECKOUT),
        "HOME": str(tmp_path),
        "RLM_CACHE_DIR": str(tmp_path / "cache"),
        "RLM_IMAGE": TEST_IMAGE,
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")},
        **settings,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def containers_of(owner: str) -> list[str]:
    """Names of the containers (all states) whose owner label is `owner`; none without a Docker engine."""
    if docker_problem() is not None:
        return []
    from tests.support.docker_engine import engine

    with engine() as client:
        return [
            c.name
            for c in client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}={owner}"}, ignore_removed=True)
        ]


@dataclass
class Served:
    """One launched server: its process, the owner label its containers carry, and where its stderr goes."""

    process: subprocess.Popen[bytes]
    owner: str
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, signum: int, within_s: float) -> int:
        """Send `signum` and return the exit code, failing the test if the process outlives `within_s`."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server was still running {within_s}s after the signal") from None


@contextmanager
def launched(args: list[str], env: dict[str, str], tmp_path: Path, stdin: int | None = None) -> Iterator[Served]:
    """`rlm-mcp <args>` running for the block; killed at the end if the test did not stop it."""
    stderr_path = tmp_path / f"server-{len(list(tmp_path.glob('server-*.log')))}.log"
    with stderr_path.open("wb") as log:
        process = subprocess.Popen(
            ["rlm-mcp", *args], env=env, stdin=stdin, stdout=subprocess.PIPE if stdin else log, stderr=log
        )
    served = Served(process, owner_identity(process.pid), stderr_path)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


@contextmanager
def http_server(tmp_path: Path, *args: str, host: str = "127.0.0.1", **settings: str) -> Iterator[tuple[Served, str]]:
    """`rlm-mcp serve --transport http` on a free port, once it accepts connections; yields it and its /mcp URL."""
    port = free_port()
    command = ["serve", "--transport", "http", "--host", host, "--port", str(port), *args]
    with launched(command, server_environment(tmp_path, **settings), tmp_path) as served:
        wait_for_port(port, served)
        yield served, f"http://127.0.0.1:{port}/mcp"


def wait_for_port(port: int, served: Served) -> None:
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(_wait_for_port, port, served)


async def _wait_for_port(port: int, served: Served) -> None:
    with anyio.fail_after(60):
        while served.process.poll() is None:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)
                continue
            await stream.aclose()
            return
    raise AssertionError(f"the HTTP server exited with code {served.process.returncode}: {served.stderr()}")


def stored_token(tmp_path: Path) -> str:
    """The bearer token a server launched with server_environment(tmp_path) made for itself."""
    return (tmp_path / "cache" / "http" / "token").read_text().strip()


@asynccontextmanager
async def token_client(url: str, token: str) -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP client, sending `Authorization: Bearer <token>` with every request."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


class StdioPeer:
    """Raw JSON-RPC lines to a launched stdio server, with replies read by a thread so no read can hang a test."""

    def __init__(self, served: Served) -> None:
        assert served.process.stdin is not None and served.process.stdout is not None
        self._stdin: IO[bytes] = served.process.stdin
        self._replies: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, args=(served.process.stdout,), daemon=True).start()
        self._next_id = 0

    def _read(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            self._replies.put(line)

    def send(self, message: dict[str, Any]) -> None:
        self._stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        self._stdin.flush()

    def request(self, method: str, params: dict[str, Any], timeout_s: float = 120) -> dict[str, Any]:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        reply: dict[str, Any] = json.loads(self._replies.get(timeout=timeout_s))
        assert reply.get("id") == self._next_id and "result" in reply, reply
        return reply

    def initialize(self) -> None:
        client = {"name": "test", "version": "1"}
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client})
        self.send({"method": "notifications/initialized"})
