"""`rlm-mcp doctor`: which sandbox `serve` would use here, how isolated, where sub-calls go, and what is wrong.

The exit status is the verdict, so scripts and CI can gate on it: 0 all is well and isolated, 1 sessions
would run but something needs fixing (NOT isolated, the image not built yet, a model's key variable
unset), 2 sessions could not start at all. `--fix` builds the missing sandbox image first.
"""

from __future__ import annotations

import anyio

from rlm_mcp.ask import trajectory
from rlm_mcp.backends import Backend, open_backend
from rlm_mcp.backends.docker import GVISOR, DockerBackend
from rlm_mcp.config import Settings, variables_set
from rlm_mcp.errors import RLMError

ISOLATED, NEEDS_FIX, BROKEN = 0, 1, 2
GVISOR_GUIDE = "https://gvisor.dev/docs/user_guide/install/"
Problem = tuple[int, str]
"""An exit status and what to say about it in the verdict."""


def startup_line(settings: Settings, backend: Backend, notice: str | None, url: str | None) -> str:
    """The one line `serve` prints on start: version, transport, backend (or why local), model, cache."""
    from rlm_mcp import __version__

    transport = f"http at {url}" if url else "stdio"
    if isinstance(backend, DockerBackend):
        runtime = f" (runtime {settings.runtime})" if settings.runtime else ""
        building = f", building it now FROM {settings.base_image} (progress below)" if backend.building else ""
        sandbox = f"docker sandboxes from {settings.image}{runtime}{building}"
    else:
        sandbox = "local sandboxes, NOT isolated" + (f" ({notice})" if notice else " (--backend local)")
    model = settings.broker_config().call_model or "none (MCP sampling where the client offers it)"
    return f"rlm-mcp {__version__} · {transport} · {sandbox} · sub-calls: {model} · cache: {settings.cache_dir}"


def _model_lines(settings: Settings) -> tuple[list[str], list[Problem]]:
    """Where sub-calls (and rlm_ask's root) go, and whether each model's key variable is set: names, never values."""
    config = settings.broker_config()
    if config.call_model is None:
        line = (
            "sub-calls: no model configured; rlm_query falls back to MCP sampling where the client offers it. "
            "Set --model / RLM_MODEL (e.g. anthropic/claude-haiku-4-5) for llm_query and llm_batch"
        )
        return [line], []
    lines = [f"sub-calls: {config.call_model}" + (f" at {settings.api_base}" if settings.api_base else "")]
    if settings.root_model and settings.root_model != config.call_model:
        lines.append(f"rlm_ask root model: {settings.root_model}")
    problems: list[Problem] = []
    for model in dict.fromkeys(name for name in (config.call_model, settings.root_model) if name):
        line, problem = _key_line(settings, model)
        lines.append(line)
        problems += [problem] if problem else []
    return lines, problems


def _key_line(settings: Settings, model: str) -> tuple[str, Problem | None]:
    from rlm_mcp.llm.litellm_client import key_for, load_litellm

    if settings.api_key is not None:
        return f"key for {model}: RLM_API_KEY is set", None
    if key_for(model, settings.api_base, None) is not None:
        return f"key for {model}: none needed (a model server on this machine, {settings.api_base})", None
    litellm = load_litellm()
    try:
        provider = str(litellm.get_llm_provider(model=model, api_base=settings.api_base)[1])
    except Exception:  # litellm's own BadRequestError: it cannot tell the provider from the name
        unknown = f"litellm cannot tell the provider of {model!r}: write it as provider/model, e.g. openai/{model}"
        return f"key for {model}: unknown ({unknown})", (NEEDS_FIX, unknown)
    check = litellm.validate_environment(model=model, api_base=settings.api_base)
    missing = [str(name) for name in check.get("missing_keys", [])]
    if missing:
        names = " and ".join(missing)
        return (
            f"key for {model}: NOT SET: set {names} (or RLM_API_KEY / --api-key)",
            (NEEDS_FIX, f"sub-calls to {model} would fail: {names} is not set"),
        )
    named = variables_set([f"{provider.upper()}_API_KEY"])
    found = f"{', '.join(named)} is set" if named else f"set (litellm finds what {provider} needs)"
    return f"key for {model}: {found}", None


async def _docker_lines(backend: DockerBackend, settings: Settings) -> tuple[list[str], list[Problem]]:
    problem = await backend.image_ready()
    if problem:
        status = BROKEN if backend.build_failed else NEEDS_FIX
        return [f"image: {problem}"], [(status, f"sandboxes cannot start until the image is built: {problem}")]
    available, default = await backend.runtimes()
    gvisor = (
        f"gvisor: available; {'in use' if settings.runtime == GVISOR else 'use it with --runtime runsc'}"
        if GVISOR in available
        else f"gvisor: not on this engine (runtimes: {', '.join(available)}); to add it: {GVISOR_GUIDE}"
    )
    lines = [
        f"image: {settings.image} ({backend.image_id[:19]})",
        f"runtime: {settings.runtime or default + ' (engine default)'}",
        gvisor,
    ]
    return lines, []


async def _backend_lines(settings: Settings, fix: bool) -> tuple[list[str], list[Problem]]:
    """What the backend is and how isolated, and what stands in the way of isolated sessions."""
    async with anyio.create_task_group() as tasks:
        try:
            backend, notice = await open_backend(settings, tasks, build=fix)
        except RLMError as exc:
            tasks.cancel_scope.cancel()
            return [f"backend: {settings.backend}, unusable: {exc}"], [(BROKEN, "sessions cannot start")]
        try:
            docker = await _docker_lines(backend, settings) if isinstance(backend, DockerBackend) else ([], [])
        finally:
            await backend.aclose()
            tasks.cancel_scope.cancel()
    lines = [f"backend: {backend.name}", f"isolation: {backend.isolation}", *docker[0]]
    lines += [f"notice: {notice}"] if notice else []
    if backend.name == "local":
        not_isolated = (
            "NOT ISOLATED: sandbox code would run with your user's rights, files and network. "
            "Start Docker and build the image (`rlm-mcp sandbox build`) to isolate sessions"
        )
        return lines, [(NEEDS_FIX, not_isolated)]
    return lines, docker[1]


def report(settings: Settings, fix: bool = False) -> tuple[list[str], int]:
    """The doctor's lines, the verdict last, and its exit status (ISOLATED, NEEDS_FIX or BROKEN).

    `fix`: build the sandbox image first when the engine lacks it (progress on stderr, through logging).
    """
    lines, problems = anyio.run(_backend_lines, settings, fix)
    model_lines, model_problems = _model_lines(settings)
    trajectories = str(trajectory.folder(settings)) if settings.trajectories else "off"
    lines += [*model_lines, f"cache: {settings.cache_dir}", f"trajectories: {trajectories}"]
    problems = sorted(problems + model_problems, key=lambda problem: -problem[0])
    verdict = "; ".join(text for _, text in problems) or "sessions run isolated"
    return [*lines, f"verdict: {verdict}"], max((status for status, _ in problems), default=ISOLATED)
