"""What the tests ask the Docker engine directly, each through a client that is closed after use."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rlm_mcp.backends.docker import MANAGED_LABEL, SESSION_LABEL


@contextlib.contextmanager
def engine() -> Iterator[Any]:
    """A docker SDK client, closed on exit so no engine socket is left to the garbage collector."""
    import docker

    with contextlib.closing(docker.from_env()) as client:
        yield client


def our_containers(session: str | None = None) -> list[str]:
    """Names of the containers we manage (all states), optionally only those of one session."""
    label = f"{SESSION_LABEL}={session}" if session else MANAGED_LABEL
    with engine() as client:
        return [c.name for c in client.containers.list(all=True, filters={"label": label})]


def kill_session_containers(session: str) -> None:
    """Kill the running containers of a session from outside, as a user or the OOM killer would."""
    with engine() as client:
        for container in client.containers.list(filters={"label": f"{SESSION_LABEL}={session}"}):
            container.kill()
