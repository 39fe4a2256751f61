"""What the docker sandbox forbids, and that none of our containers outlives its server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest

from rlm_mcp.backends import LaunchSpec
from rlm_mcp.backends.docker import DockerBackend
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxRestarted, SandboxUnavailable
from rlm_mcp.repl_client import ReplClient
from tests.conftest import started_repl
from tests.support.docker_engine import adopt_server, kill_session_containers, our_containers

pytestmark = [pytest.mark.anyio, pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]


@pytest.fixture
def mounted(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "README.md").write_text("hello\n")
    return folder


@pytest.fixture
async def docker_repl(make_settings: Callable[..., Settings], mounted: Path) -> AsyncIterator[ReplClient]:
    async with started_repl(make_settings(backend="docker"), LaunchSpec("iso", {mounted: "/context"})) as client:
        yield client


async def test_runs_as_non_root_without_capabilities(docker_repl: ReplClient) -> None:
    """User code runs as uid 65534 and cannot gain privileges."""
    result = await docker_repl.exec("import os\nos.getuid(), os.getgid()")
    assert result.value == "(65534, 65534)"
    caps = await docker_repl.exec("[l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1]")
    assert caps.value == "'0000000000000000'"


async def test_mounted_context_is_readable_but_not_writable(docker_repl: ReplClient) -> None:
    """The context folder is mounted read-only."""
    assert (await docker_repl.exec("open('/context/README.md').read()")).value == "'hello\\n'"
    result = await docker_repl.exec("open('/context/new.txt', 'w')")
    assert result.error is not None and result.error["type"] == "OSError"
    assert "Read-only file system" in result.error["message"]


async def test_root_file_system_is_read_only_and_tmp_is_scratch(docker_repl: ReplClient) -> None:
    """Only the tmpfs /tmp takes writes."""
    denied = await docker_repl.exec("open('/etc/evil', 'w')")
    assert denied.error is not None
    allowed = await docker_repl.exec("open('/tmp/scratch', 'w').write('ok')")
    assert allowed.value == "2"


async def test_network_is_unreachable(docker_repl: ReplClient) -> None:
    """No network: opening a connection to any address fails."""
    code = textwrap.dedent(
        """
        import socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            outcome = "connected"
        except OSError as exc:
            outcome = type(exc).__name__
        outcome, [name for _, name in socket.if_nameindex()]
        """
    )
    result = await docker_repl.exec(code)
    assert result.value is not None and "connected" not in result.value
    assert "'lo'" in result.value and "eth0" not in result.value


async def test_no_secrets_in_the_environment(docker_repl: ReplClient) -> None:
    """The container gets no environment from the server (no API keys)."""
    result = await docker_repl.exec("import os\nsorted(k for k in os.environ if 'KEY' in k or 'TOKEN' in k)")
    assert result.value == "[]"


async def test_container_killed_from_outside_is_restarted_with_a_notice(docker_repl: ReplClient) -> None:
    """A container removed behind our back is detected on the next call and replaced."""
    await docker_repl.exec("x = 1")
    kill_session_containers("iso")
    with anyio.fail_after(10):
        while docker_repl.alive:
            await anyio.sleep(0.05)
    with pytest.raises(SandboxRestarted, match="lost"):
        await docker_repl.exec("x")
    assert (await docker_repl.exec("1 + 1")).value == "2"


async def test_closing_the_session_removes_its_container(make_settings: Callable[..., Settings]) -> None:
    """close() leaves no container behind."""
    async with started_repl(make_settings(backend="docker"), LaunchSpec("closing")):
        assert our_containers("closing")
    assert our_containers("closing") == []


async def test_containers_of_a_killed_server_are_removed_at_next_start(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A server killed with SIGKILL leaves containers; the next server start removes them."""
    script = textwrap.dedent(
        """
        import anyio, sys
        from rlm_mcp.backends import LaunchSpec
        from rlm_mcp.backends.docker import DockerBackend
        from rlm_mcp.config import Settings
        from rlm_mcp.repl_client import ReplClient

        async def main():
            settings = Settings.from_env({{}}, backend="docker", image={settings_image!r})
            async with anyio.create_task_group() as tasks:
                backend = await DockerBackend.connect(settings)
                async def host(op, payload): return None
                await ReplClient(backend, LaunchSpec("orphan"), settings, tasks, host).start()
                print("started", flush=True)
                await anyio.sleep_forever()

        anyio.run(main)
        """
    ).format(settings_image=make_settings().image)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "started"
            adopt_server(server.pid)
            assert our_containers("orphan")
        finally:
            os.kill(server.pid, signal.SIGKILL)
    backend = await DockerBackend.connect(make_settings(backend="docker"))
    await backend.aclose()
    assert our_containers("orphan") == []


async def test_a_single_file_context_mounts_only_that_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Loading one file exposes that file, not its neighbours (a .env beside it stays out of reach)."""
    from rlm_mcp.session import Sessions

    (tmp_path / "notes.txt").write_text("the only file\n")
    (tmp_path / ".env").write_text("SECRET=1\n")
    settings = make_settings(backend="docker")
    async with anyio.create_task_group() as tasks:
        backend = await DockerBackend.connect(settings)
        sessions = Sessions(settings, backend, tasks)
        session = sessions.get("single")
        await session.load(str(tmp_path / "notes.txt"))
        listing = await session.exec("import os\nsorted(os.listdir(context.root)), read('notes.txt')")
        assert listing.value == "(['notes.txt'], 'the only file\\n')"
        await sessions.close_all()
        await backend.aclose()
        tasks.cancel_scope.cancel()


async def test_a_runtime_the_engine_lacks_is_refused_naming_the_ones_it_has(
    make_settings: Callable[..., Settings],
) -> None:
    """--runtime names a runtime the engine does not have: SandboxUnavailable lists the ones it has, nothing starts."""
    with pytest.raises(SandboxUnavailable, match=r"no runtime 'rlm-none'.*runc.*--runtime / RLM_RUNTIME"):
        await DockerBackend.connect(make_settings(backend="docker", runtime="rlm-none"))


async def test_an_engine_refusing_to_start_a_container_is_a_clear_error(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A mount the engine refuses (a relative target) is a SandboxUnavailable naming the session, not an APIError."""
    backend = await DockerBackend.connect(make_settings(backend="docker"))
    try:
        with pytest.raises(SandboxUnavailable, match=r"refused to start the sandbox of session 'gone'.*doctor"):
            await backend.launch(LaunchSpec("gone", {tmp_path: "not/absolute"}))
        assert our_containers("gone") == []
    finally:
        await backend.aclose()
