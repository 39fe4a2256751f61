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

from rlm_mcp.backends.docker import SESSION_LABEL

SESSION = f"bystander-{os.getpid()}"


def session_containers() -> set[str]:
    """Ids of the running containers of the bystander's session (tests on the same engine make others)."""
    with contextlib.closing(docker.from_env()) as client:
        return {container.id for container in client.containers.list(filters={"label": f"{SESSION_LABEL}={SESSION}"})}


async def text_of(client: Client, tool: str, **arguments: object) -> str:
    result = await client.call_tool(tool, arguments)
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        raise SystemExit(f"beside_a_server: {tool} failed: {text}")
    return text


async def main(command: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        context = Path(scratch, "context")
        context.mkdir()
        (context / "notes.md").write_text("# A bystander's context\n")
        environment = {**os.environ, "RLM_BACKEND": "docker", "RLM_CACHE_DIR": str(Path(scratch, "cache"))}
        async with Client(StdioServerParameters(command="rlm-mcp", args=["serve"], env=environment)) as client:
            await text_of(client, "rlm_load_context", source=str(context), session=SESSION)
            await text_of(client, "rlm_exec", code="marker = 41 + 1", session=SESSION)
            ours = session_containers()
            shown = ", ".join(container[:12] for container in ours)
            print(f"beside_a_server: rlm-mcp serve runs a live Docker session (container {shown})", flush=True)
            returncode = (await anyio.run_process(command, stdout=None, stderr=None, check=False)).returncode
            survived = ours == session_containers()
            answer = await text_of(client, "rlm_exec", code="marker", session=SESSION)
    if not ours or not survived or "42" not in answer:
        print(f"beside_a_server: the command disturbed the other server (container kept: {survived}): {answer!r}")
        return 1
    print("beside_a_server: the other server's session and container came through untouched")
    return returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sys.exit(anyio.run(main, sys.argv[1:]))
