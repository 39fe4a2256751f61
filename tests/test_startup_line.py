"""`rlm-mcp serve` says what the user got in one line on stderr: version, transport, sandbox, model, cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_mcp import __version__
from tests.conftest import TEST_IMAGE

CHECKOUT = Path(__file__).resolve().parents[1]


def startup_line(tmp_path: Path, *flags: str) -> str:
    """The line a real `serve` over stdio prints before its (here empty) stdin ends."""
    environment = {**os.environ, "PYTHONPATH": str(CHECKOUT), "RLM_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "rlm_mcp", "serve", *flags],
        input=b"",
        capture_output=True,
        timeout=60,
        env=environment,
        check=False,
    )
    lines = [line for line in done.stderr.decode().splitlines() if f"rlm-mcp {__version__} · " in line]
    assert len(lines) == 1, done.stderr.decode()[-2000:]
    return lines[0]


def test_a_local_server_says_it_is_not_isolated(tmp_path: Path) -> None:
    """The local fallback is never silent: the startup line says NOT isolated and why."""
    line = startup_line(tmp_path, "--backend", "local", "--model", "openai/m")
    assert "· stdio · local sandboxes, NOT isolated (--backend local) · sub-calls: openai/m ·" in line
    assert f"cache: {tmp_path / 'cache'}" in line


@pytest.mark.docker
def test_a_docker_server_names_its_image(tmp_path: Path, docker_ready: None) -> None:
    """With an engine, the line names the image sandboxes start from and that no model is set."""
    line = startup_line(tmp_path, "--backend", "docker", "--image", TEST_IMAGE)
    assert f"· stdio · docker sandboxes from {TEST_IMAGE} · sub-calls: none" in line
