"""What the tests ask the Docker engine directly, each through a client that is closed after use.

Only containers of servers this test session runs or launched are counted or killed: another
rlm-mcp server on the same engine (say the one in the user's editor) is none of the tests' business.
A server is known by its owner label (host:pid:start-time), adopted while it runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rlm_mcp.backends.docker import MANAGED_LABEL, OWNER_LABEL, SESSION_LABEL, owner_identity

_OWNERS = {owner_identity()}
"""Owner labels of the servers the tests started: this pytest process and the subprocesses adopted."""


@contextlib.contextmanager
def engine() -> Iterator[Any]:
    """A docker SDK client, closed on exit so no engine socket is left to the garbage collector."""
    import docker

    with contextlib.closing(docker.from_env()) as client:
        yield client


def adopt_server(pid: int) -> None:
    """Count the containers of a server subprocess a test launched; call it while that process runs."""
    _OWNERS.add(owner_identity(pid))


def adopt_child_servers() -> None:
    """Adopt every live process below this one (the SDK's stdio client does not tell its server's pid)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):  # gone meanwhile
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    below = [os.getpid()]
    while below:
        parent = below.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        for pid in children:
            adopt_server(pid)
        below.extend(children)


def _ours(client: Any, label: str, *, running_only: bool = False) -> list[Any]:
    found = client.containers.list(all=not running_only, filters={"label": label}, ignore_removed=True)
    return [container for container in found if container.labels.get(OWNER_LABEL) in _OWNERS]


def our_containers(session: str | None = None) -> list[str]:
    """Names of the containers of our servers (all states), optionally only those of one session."""
    label = f"{SESSION_LABEL}={session}" if session else MANAGED_LABEL
    with engine() as client:
        return [container.name for container in _ours(client, label)]


def kill_session_containers(session: str) -> None:
    """Kill the running containers of one of our sessions from outside, as a user or the OOM killer would."""
    with engine() as client:
        for container in _ours(client, f"{SESSION_LABEL}={session}", running_only=True):
            container.kill()
