"""Sandbox backends behind one interface (base.py): docker (isolated) and local (not isolated)."""

from __future__ import annotations

import logging

from anyio.abc import TaskGroup

from rlm_mcp.backends.base import Backend, LaunchSpec, SandboxProcess
from rlm_mcp.backends.docker import DockerBackend
from rlm_mcp.backends.local import LocalBackend
from rlm_mcp.config import Settings
from rlm_mcp.errors import SandboxUnavailable

log = logging.getLogger(__name__)

__all__ = ["Backend", "LaunchSpec", "SandboxProcess", "open_backend"]


async def open_backend(settings: Settings, tasks: TaskGroup) -> tuple[Backend, str | None]:
    """The backend `settings.backend` asks for, and a notice when `auto` had to fall back to local."""
    if settings.backend == "local":
        return LocalBackend(settings, tasks), None
    try:
        return await DockerBackend.connect(settings), None
    except SandboxUnavailable as exc:
        if settings.backend == "docker":
            raise
        notice = f"Docker is not usable, so sandboxes run locally WITHOUT isolation: {exc}"
        log.warning(notice)
        return LocalBackend(settings, tasks), notice
