"""The real `rlm-mcp` command in a subprocess, and Docker hosts that fail in each way a user meets."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.docker_engine import engine

CHECKOUT = Path(__file__).resolve().parents[2]
LOCAL_BASE_IMAGE = "rlm-mcp-base:bookworm"
"""A base image with python3 that .ci/run makes without a registry; the build tests start from it."""


@dataclass(frozen=True)
class Command:
    """How to run this checkout's `rlm-mcp`: extra environment, and a prefix (such as setpriv) before python."""

    environment: dict[str, str]
    prefix: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()
    """Variables of the test process the command must not see."""

    def __call__(self, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `rlm-mcp ARGUMENTS` with stdin closed (a stdio `serve` ends at once), without our RLM_* variables."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("RLM_") and k not in self.unset}
        environment = inherited | self.environment
        return subprocess.run(
            [*self.prefix, sys.executable, "-m", "rlm_mcp", *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
            stdin=subprocess.DEVNULL,
            check=False,
            cwd=CHECKOUT,
        )


@pytest.fixture
def rlm_mcp(tmp_path: Path) -> Command:
    """The command on the Docker engine the tests use, with a cache folder of its own."""
    return Command({"RLM_CACHE_DIR": str(tmp_path / "cache")})


@pytest.fixture
def dead_docker_host(tmp_path: Path) -> str:
    """DOCKER_HOST at a unix socket nobody listens on any more: no engine answers at all."""
    path = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
    return f"unix://{path}"


@pytest.fixture
def refusing_docker_host(tmp_path: Path) -> Iterator[str]:
    """DOCKER_HOST at a listening unix socket this user may not open (mode 000), as for a user outside `docker`."""
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen()
        path.chmod(0)
        yield f"unix://{path}"


@pytest.fixture
def without_root_file_rights() -> tuple[str, ...]:
    """A command prefix under which root, too, obeys file modes (no CAP_DAC_OVERRIDE); empty for other users."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


@pytest.fixture
def test_image_tag(docker_ready: None) -> Iterator[str]:
    """A tag of our own image no one else uses (rlm-mcp-sandbox:test-...); removed afterwards, only that tag."""
    import docker.errors

    tag = f"rlm-mcp-sandbox:test-{uuid.uuid4().hex[:12]}"
    yield tag
    with engine() as client, contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(tag)


@pytest.fixture
def local_base_image(docker_ready: None) -> str:
    """The registry-free base image, or a skip saying how to make it."""
    import docker.errors

    with engine() as client:
        try:
            client.images.get(LOCAL_BASE_IMAGE)
        except docker.errors.ImageNotFound:
            pytest.skip(f"no {LOCAL_BASE_IMAGE} on this engine: `bash .ci/run` makes it")
    return LOCAL_BASE_IMAGE
