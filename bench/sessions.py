"""A Session on a real backend, as the server runs one, for benchmarks that go through it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from rlm_mcp.backends import open_backend
from rlm_mcp.config import Settings
from rlm_mcp.session import Session, Sessions


@asynccontextmanager
async def open_session(name: str, **settings: Any) -> AsyncIterator[Session]:
    """A fresh session named `name`-<pid> with its own empty caches; closed, sandbox and all, on exit."""
    with tempfile.TemporaryDirectory(prefix="rlm-bench-cache-") as cache_dir:
        resolved = Settings.from_env(cache_dir=cache_dir, llm_cache=False, **settings)
        async with anyio.create_task_group() as tasks:
            backend, _ = await open_backend(resolved, tasks)
            sessions = Sessions(resolved, backend, tasks)
            try:
                # The pid keeps a concurrent run's container from being taken for ours.
                yield sessions.get(f"{name}-{os.getpid()}")
            finally:
                await sessions.close_all()
                await backend.aclose()
                tasks.cancel_scope.cancel()
