"""`rlm-mcp doctor`: which sandbox `serve` would use here, how isolated it is, and what is wrong.

The exit status is the verdict, so scripts and CI can gate on it: 0 isolated, 1 sessions would
run WITHOUT isolation (local backend), 2 sessions could not start at all.
"""

from __future__ import annotations

import anyio

from rlm_mcp.ask import trajectory
from rlm_mcp.backends import open_backend
from rlm_mcp.backends.docker import GVISOR, DockerBackend
from rlm_mcp.config import Settings
from rlm_mcp.errors import RLMError

ISOLATED, NOT_ISOLATED, BROKEN = 0, 1, 2
GVISOR_GUIDE = "https://gvisor.dev/docs/user_guide/install/"


def sub_calls_line(settings: Settings) -> str:
    """Where sub-LLM calls would go, or how to make them go somewhere."""
    model = settings.broker_config().call_model
    if model is None:
        return (
            "sub-calls: no model configured; rlm_query falls back to MCP sampling where the client offers it. "
            "Set --model / RLM_MODEL (e.g. anthropic/claude-haiku-4-5) for llm_query and llm_batch"
        )
    return f"sub-calls: {model}" + (f" at {settings.api_base}" if settings.api_base else "")


def startup_line(settings: Settings, backend_name: str, notice: str | None, url: str | None) -> str:
    """The one line `serve` prints on start: version, transport, backend (or why local), model, cache."""
    from rlm_mcp import __version__

    transport = f"http at {url}" if url else "stdio"
    if backend_name == "docker":
        runtime = f" (runtime {settings.runtime})" if settings.runtime else ""
        sandbox = f"docker sandboxes from {settings.image}{runtime}"
    else:
        sandbox = "local sandboxes, NOT isolated" + (f" ({notice})" if notice else " (--backend local)")
    model = settings.broker_config().call_model or "none (MCP sampling where the client offers it)"
    return f"rlm-mcp {__version__} · {transport} · {sandbox} · sub-calls: {model} · cache: {settings.cache_dir}"


async def _docker_lines(backend: DockerBackend, settings: Settings) -> list[str]:
    available, default = await backend.runtimes()
    gvisor = (
        f"gvisor: available; {'in use' if settings.runtime == GVISOR else 'use it with --runtime runsc'}"
        if GVISOR in available
        else f"gvisor: not on this engine (runtimes: {', '.join(available)}); to add it: {GVISOR_GUIDE}"
    )
    return [
        f"image: {settings.image} ({backend.image_id[:19]})",
        f"runtime: {settings.runtime or default + ' (engine default)'}",
        gvisor,
    ]


async def _backend_lines(settings: Settings) -> tuple[list[str], str, int]:
    """What the backend is and how isolated; a verdict line and the exit status to go with it."""
    async with anyio.create_task_group() as tasks:
        try:
            backend, notice = await open_backend(settings, tasks)
        except RLMError as exc:
            tasks.cancel_scope.cancel()
            return [f"backend: {settings.backend}, unusable: {exc}"], "verdict: sessions cannot start", BROKEN
        try:
            extra = await _docker_lines(backend, settings) if isinstance(backend, DockerBackend) else []
        finally:
            await backend.aclose()
            tasks.cancel_scope.cancel()
    lines = [f"backend: {backend.name}", f"isolation: {backend.isolation}", *extra]
    lines += [f"notice: {notice}"] if notice else []
    if backend.name == "local":
        verdict = (
            "verdict: NOT ISOLATED: sandbox code would run with your user's rights, files and network. "
            "Start Docker and build the image (`rlm-mcp sandbox build`) to isolate sessions"
        )
        return lines, verdict, NOT_ISOLATED
    return lines, "verdict: sessions run isolated", ISOLATED


def report(settings: Settings) -> tuple[list[str], int]:
    """The doctor's lines, the verdict last, and its exit status (ISOLATED, NOT_ISOLATED or BROKEN)."""
    lines, verdict, status = anyio.run(_backend_lines, settings)
    trajectories = str(trajectory.folder(settings)) if settings.trajectories else "off"
    extra = [sub_calls_line(settings), f"cache: {settings.cache_dir}", f"trajectories: {trajectories}"]
    return [*lines, *extra, verdict], status
