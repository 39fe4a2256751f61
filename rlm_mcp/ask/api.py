"""`ask()`: the rlm_ask loop for scripts and harnesses that are not MCP clients.

It starts its own sandbox backend and session, loads the source, runs the loop, and stops it all.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.ask.limits import AskLimits
from rlm_mcp.ask.loop import AskResult, run_ask
from rlm_mcp.config import Settings
from rlm_mcp.errors import RLMError
from rlm_mcp.llm.litellm_client import close_clients
from rlm_mcp.session import running_sessions

SESSION = "ask"
"""The session name `ask()` uses, hence its trajectory files `ask-<created>.jsonl`."""


def ask(
    source: str | Path,
    question: str,
    *,
    settings: Settings | None = None,
    root_model: str | None = None,
    max_iterations: int | None = None,
    max_seconds: float | None = None,
    max_tokens: int | None = None,
    max_cost_usd: float | None = None,
    root_params: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> AskResult:
    """Answer `question` over a folder, file, glob or raw text with the RLM loop; blocks until done.

    `overrides` are Settings fields (model="...", backend="local", ...) applied over RLM_* variables.
    """
    settings = settings.replace(**overrides) if settings is not None else Settings.from_env(**overrides)
    limits = AskLimits.from_settings(
        settings,
        max_iterations=max_iterations,
        max_seconds=max_seconds,
        max_tokens=max_tokens,
        max_cost_usd=max_cost_usd,
    )

    async def main() -> AskResult:
        try:
            return await ask_async(str(source), question, settings, root_model, limits, root_params)
        finally:
            await close_clients()

    return anyio.run(main)


async def ask_async(
    source: str,
    question: str,
    settings: Settings,
    root_model: str | None = None,
    limits: AskLimits | None = None,
    root_params: Mapping[str, Any] | None = None,
) -> AskResult:
    """`ask()` inside a running event loop: its own backend and session, stopped afterwards."""
    failure: RLMError | None = None
    async with running_sessions(settings) as sessions:
        try:
            session = sessions.get(SESSION)
            await session.load(source)
            result = await run_ask(session, question, root_model=root_model, limits=limits, root_params=root_params)
        except RLMError as exc:
            failure = exc  # raised below, so the caller gets it bare rather than in an exception group
    if failure is not None:
        raise failure
    return result
