"""Reaching the Docker engine the docker SDK finds (DOCKER_HOST and friends), and saying why not.

Two failures need different fixes, so they are told apart: no engine answers at all (start one;
the only case `--backend auto` runs locally), or one answers but refuses this user (join the group).
"""

from __future__ import annotations

from typing import Any

from rlm_mcp.errors import EngineUnreachable, SandboxUnavailable

LOCAL_HINT = "or run with --backend local (NOT isolated: sandbox code gets your user's files and network)"


def engine_client() -> Any:
    """A docker client that has answered a ping; the SDK's failures become errors saying what to do."""
    import docker
    import docker.errors

    try:
        client = docker.from_env()
    except docker.errors.DockerException as exc:
        raise _explained(exc) from None
    try:
        client.ping()
    except docker.errors.DockerException as exc:
        client.close()
        raise _explained(exc) from None
    return client


def _explained(exc: BaseException) -> SandboxUnavailable:
    cause = _os_error(exc)
    if isinstance(cause, PermissionError):
        return SandboxUnavailable(
            "the Docker engine's socket refused this user (permission denied): you are not in the `docker` group. "
            "Add yourself with `sudo usermod -aG docker $USER`, then log out and in again (or run `newgrp docker`), "
            f"{LOCAL_HINT}."
        )
    reason = cause.strerror if cause is not None and cause.strerror else str(exc)
    return EngineUnreachable(f"no Docker engine answers ({reason}). Start Docker (or set DOCKER_HOST)")


def _os_error(exc: BaseException) -> OSError | None:
    """The operating system's error under an SDK failure: in its causes, or the arguments urllib3 wraps it in."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        pending.extend([current.__cause__, current.__context__, *current.args])
    return None
