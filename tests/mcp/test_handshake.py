"""What a new user sees first: the version in the handshake and on the command line."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio


async def test_the_handshake_reports_the_installed_version(client: Client) -> None:
    """serverInfo names rlm-mcp and the installed distribution's version, not an empty string."""
    assert (client.server_info.name, client.server_info.version) == ("rlm-mcp", version("rlm-mcp"))


def test_the_version_flag_prints_the_installed_version() -> None:
    """`rlm-mcp --version` prints the program name and the installed version, and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "rlm_mcp", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"rlm-mcp {version('rlm-mcp')}\n"), done.stderr
