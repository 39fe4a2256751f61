"""Falling back to the local backend is never silent, and only `--backend local` or an absent engine causes it.

With no engine answering (DOCKER_HOST at a dead socket), `auto` runs locally and the server
instructions, every manifest and rlm_status say NOT isolated with the reason. An engine that
refuses this user (a socket it may not open) is not "no engine": it is an error saying to join
the docker group, and nothing runs locally.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import call
from tests.startup.conftest import Command

DOCKER_GROUP_FIX = "sudo usermod -aG docker $USER"


# The docker SDK leaves the socket of a failed connection to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backend", "reason"), [("auto", "no Docker engine answers; --backend auto"), ("local", "--backend local")]
)
async def test_local_sandboxes_say_not_isolated_and_why_everywhere_the_agent_looks(
    backend: str,
    reason: str,
    make_settings: Callable[..., Settings],
    dead_docker_host: str,
    sample_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Instructions, the manifest of a load and rlm_status all carry "NOT isolated (<reason>)"."""
    monkeypatch.setenv("DOCKER_HOST", dead_docker_host)
    async with Client(build_server(make_settings(backend=backend))) as client:
        assert client.instructions is not None and f"NOT isolated ({reason})" in client.instructions
        manifest = json.loads(await call(client, "rlm_load_context", source=str(sample_repo)))
        assert f"NOT isolated ({reason})" in manifest["sandbox"]["isolation"]
        status = json.loads(await call(client, "rlm_status"))
        assert status["backend"] == "local" and f"NOT isolated ({reason})" in status["isolation"]
        assert ("notice" in status) == (backend == "auto")


@pytest.mark.docker
@pytest.mark.anyio
async def test_isolated_sandboxes_add_nothing_to_the_instructions(
    make_settings: Callable[..., Settings], docker_ready: None
) -> None:
    """With Docker answering, the instructions carry no isolation warning."""
    async with Client(build_server(make_settings(backend="auto"))) as client:
        assert client.instructions is not None and "NOT isolated" not in client.instructions


def test_serve_with_no_engine_on_auto_says_local_and_why(rlm_mcp: Command, dead_docker_host: str) -> None:
    """auto with no engine: the startup line says local, NOT isolated, because Docker is not usable."""
    done = Command({**rlm_mcp.environment, "DOCKER_HOST": dead_docker_host})("serve")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if " · stdio · " in line)
    assert "local sandboxes, NOT isolated (Docker is not usable, so sandboxes run locally WITHOUT isolation" in line


def test_serve_with_no_engine_on_docker_says_start_docker(rlm_mcp: Command, dead_docker_host: str) -> None:
    """--backend docker with no engine: exit 2, one line saying no engine answers and to start Docker."""
    done = Command({**rlm_mcp.environment, "DOCKER_HOST": dead_docker_host})("serve", "--backend", "docker")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("rlm-mcp: no Docker engine answers") and "Start Docker" in done.stderr


@pytest.mark.parametrize("backend", ["auto", "docker"])
def test_a_user_outside_the_docker_group_is_told_to_join_it(
    backend: str, rlm_mcp: Command, refusing_docker_host: str, without_root_file_rights: tuple[str, ...]
) -> None:
    """Permission denied on the engine's socket: exit 2 saying how to join the docker group, not "start Docker";
    `auto` does not run locally instead."""
    command = Command({**rlm_mcp.environment, "DOCKER_HOST": refusing_docker_host}, without_root_file_rights)
    done = command("serve", "--backend", backend)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "you are not in the `docker` group" in done.stderr and DOCKER_GROUP_FIX in done.stderr
    assert "Start Docker" not in done.stderr and "local sandboxes" not in done.stderr


def test_doctor_tells_a_user_outside_the_docker_group_to_join_it(
    rlm_mcp: Command, refusing_docker_host: str, without_root_file_rights: tuple[str, ...]
) -> None:
    """doctor on a socket that refuses this user: sessions cannot start (exit 2), and the fix is the group."""
    command = Command({**rlm_mcp.environment, "DOCKER_HOST": refusing_docker_host}, without_root_file_rights)
    done = command("doctor")
    assert done.returncode == 2, done.stdout + done.stderr
    assert DOCKER_GROUP_FIX in done.stdout and "verdict: sessions cannot start" in done.stdout
