"""Run a command beside a live `rlm-mcp serve` (stdio, docker backend); fail if it disturbed that server.

CI runs the test suite this way: the tests must pass while another server with a Docker session
runs on the same engine (as the one in a user's editor would), and leave its container alone.
Usage: python3 .ci/beside_a_server.py COMMAND [ARG...]; exits with the command's code, or 1.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import anyio
import docker
from mcp import Client, StdioServerParameters

from rlm_mcp.backends.docker import MANAGED_LABEL

ROOT = Path(__file__).resolve().parents[1]


def managed_containers() -> set[str]:
    """Ids of the running containers any rlm-mcp server manages on this engine."""
    with contextlib.closing(docker.from_env()) as client:
        return {container.id for container in client.containers.list(filters={"label": MANAGED_LABEL})}


async def text_of(client: Client, tool: str, **arguments: object) -> str:
    result = await client.call_tool(tool, arguments)
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        raise SystemExit(f"beside_a_server: {tool} failed: {text}")
    return text


async def main(command: list[str]) -> int:
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "RLM_BACKEND": "docker", "RLM_CACHE_DIR": cache}
        before = managed_containers()
        async with Client(StdioServerParameters(command="rlm-mcp", args=["serve"], env=environment)) as client:
            await text_of(client, "rlm_load_context", source=str(ROOT / "sandbox"))
            await text_of(client, "rlm_exec", code="marker = 41 + 1")
            ours = managed_containers() - before
            print(f"beside_a_server: rlm-mcp serve runs with a live Docker session ({len(ours)} container)", flush=True)
            returncode = (await anyio.run_process(command, stdout=None, stderr=None, check=False)).returncode
            survived = ours <= managed_containers()
            answer = await text_of(client, "rlm_exec", code="marker")
    if not ours or not survived or "42" not in answer:
        print(f"beside_a_server: the command disturbed the other server (container kept: {survived}): {answer}")
        return 1
    print("beside_a_server: the other server's session and container came through untouched")
    return returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sys.exit(anyio.run(main, sys.argv[1:]))
