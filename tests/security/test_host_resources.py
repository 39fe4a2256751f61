"""Sandbox code cannot reach the host's disk through container logs, nor the server's memory and environment."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from rlm_mcp.backends import LaunchSpec
from rlm_mcp.backends.docker import OWNER_LABEL, SESSION_LABEL, owner_identity
from rlm_mcp.config import Settings
from tests.conftest import started_repl
from tests.mcp.test_tools import call
from tests.support.docker_engine import engine

pytestmark = pytest.mark.anyio

FLOOD_MB = 200
MARKER_KEY = "sk-marker-4b1d-never-leaves-the-server"
CHECKOUT = Path(__file__).resolve().parents[2]


def log_file_bytes(session: str) -> int:
    """Bytes the engine keeps on its own disk for the running container of `session` (ours only)."""
    with engine() as client:
        (container,) = client.containers.list(
            filters={"label": [f"{SESSION_LABEL}={session}", f"{OWNER_LABEL}={owner_identity()}"]}
        )
        path = container.attrs.get("LogPath") or ""
    return os.path.getsize(path) if path and os.path.exists(path) else 0


@pytest.mark.docker
@pytest.mark.usefixtures("docker_ready")
async def test_a_flood_on_stderr_never_reaches_the_host_disk(make_settings: Callable[..., Settings]) -> None:
    """200 MB written to fd 2 leave no container log behind on the host, and the sandbox keeps answering."""
    flood = f"import os\nchunk = b'x' * (1 << 20)\nfor _ in range({FLOOD_MB}):\n    os.write(2, chunk)\n'done'"
    async with started_repl(make_settings(backend="docker"), LaunchSpec("disk-flood")) as repl:
        with anyio.fail_after(120):
            assert (await repl.exec(flood, timeout_s=110)).value == "'done'"
        assert log_file_bytes("disk-flood") < 1 << 20
        assert (await repl.exec("1 + 1")).value == "2"


READ_SERVER_ENVIRON = textwrap.dedent(
    """
    import os
    server = os.getppid()
    command = open(f"/proc/{server}/cmdline", "rb").read().split(b"\\0")
    try:
        open(f"/proc/{server}/environ", "rb").read()
        outcome = "read"
    except PermissionError:
        outcome = "PermissionError"
    b"serve" in command, outcome
    """
)


async def test_a_local_sandbox_cannot_read_the_servers_environment(tmp_path: Path) -> None:
    """`python -m rlm_mcp serve --backend local` holding an API key: its sandbox (same user, root here) cannot read
    /proc/<server>/environ, because the server is non-dumpable and the sandbox has no capabilities."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "notes.md").write_text("hello\n")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RLM_CACHE_DIR": str(tmp_path / "cache"),
        "OPENAI_API_KEY": MARKER_KEY,
    }
    command = ["-m", "rlm_mcp", "serve", "--backend", "local"]  # this checkout's server, whatever is installed
    params = StdioServerParameters(command=sys.executable, args=command, env=environment, cwd=CHECKOUT)
    with anyio.fail_after(60):
        async with Client(params) as client:
            await call(client, "rlm_load_context", source=str(tmp_path / "repo"))
            out = await call(client, "rlm_exec", code=READ_SERVER_ENVIRON)
    assert "(True, 'PermissionError')" in out, out
    assert MARKER_KEY not in out
