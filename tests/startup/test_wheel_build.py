"""From an installed wheel, with no checkout around and an engine holding only a base image, `serve` over
stdio builds the sandbox image from the Dockerfile packaged in the wheel, and the first sandbox runs in it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.mcp.test_tools import text_of
from tests.support.wheel import InstalledWheel, install_wheel

pytestmark = [pytest.mark.docker, pytest.mark.anyio]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    yield install_wheel(tmp_path_factory.mktemp("wheel"))


async def test_the_installed_server_builds_its_image_from_the_packaged_dockerfile(
    installed: InstalledWheel, test_image_tag: str, local_base_image: str, tmp_path: Path
) -> None:
    """The handshake answers, then rlm_exec runs in a docker sandbox from the image the server just built."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("RLM_", "PYTHONPATH"))}
    environment |= {"RLM_IMAGE": test_image_tag, "RLM_BASE_IMAGE": local_base_image, "RLM_CACHE_DIR": str(tmp_path)}
    server = StdioServerParameters(command=str(installed.command), args=["serve"], env=environment, cwd=tmp_path)
    with (tmp_path / "stderr").open("w") as errors:
        async with stdio_client(server, errlog=errors) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("rlm_exec", {"code": "import os; print('in', os.getcwd(), os.getuid())"})
            status = text_of(await session.call_tool("rlm_status", {}))
    assert not result.is_error, text_of(result)
    assert "in /tmp 65534" in text_of(result) and '"backend": "docker"' in status
    logged = (tmp_path / "stderr").read_text()
    assert (
        f"building it now FROM {local_base_image}" in logged and f"built the sandbox image {test_image_tag}" in logged
    )
