"""The one place that talks to litellm: a lazy, quiet import and a single chat-completion call.

litellm takes seconds to import, so nothing imports it until the first sub-call, and that
import runs in a worker thread so the event loop (and the MCP session on it) stays responsive.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import anyio

from rlm_mcp.hosts import is_loopback
from rlm_mcp.llm import http_pool
from rlm_mcp.llm.results import Message, Reply

_KEYLESS_PROVIDERS = ("openai/", "hosted_vllm/")
_PLACEHOLDER_KEY = "no-key-set"
"""Sent to a model server on this machine when no key is set: the OpenAI client refuses to send none."""


@functools.cache
def load_litellm() -> ModuleType:
    """Import litellm once, offline and silent."""
    # Without this litellm downloads its model price map from the internet at import time.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    # Its records below WARNING go to stdout: the MCP channel of `serve`, the answer of `ask`.
    logging.getLogger("LiteLLM").setLevel(logging.WARNING)
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    # The import leaves ~380k objects that live as long as the process; every full collection
    # walked them all, a ~130 ms pause of the event loop every ~1,000 sub-calls. Frozen, it is ~13 ms.
    gc.collect()
    gc.freeze()
    return litellm


def _imported() -> bool:
    """Whether ``load_litellm`` has already run, so calling it costs nothing."""
    return load_litellm.cache_info().currsize > 0


async def loaded() -> ModuleType:
    """litellm, imported in a worker thread the first time: callers time the import apart from their calls."""
    return load_litellm() if _imported() else await anyio.to_thread.run_sync(load_litellm)


def key_for(model: str, api_base: str | None, api_key: str | None) -> str | None:
    """The key to send: a placeholder for an OpenAI-compatible server on loopback (Ollama, vLLM) if none is set."""
    if api_key is not None or api_base is None or not model.startswith(_KEYLESS_PROVIDERS):
        return api_key
    host = urlsplit(api_base).hostname
    return _PLACEHOLDER_KEY if host is not None and is_loopback(host) else None


async def complete(
    model: str,
    messages: Sequence[Message],
    *,
    api_base: str | None,
    api_key: str | None,
    params: Mapping[str, Any],
) -> Reply:
    """One chat completion through litellm, without litellm's own retries (the broker retries)."""
    litellm = await loaded()
    response = await litellm.acompletion(
        model=model,
        messages=list(messages),
        api_base=api_base,
        api_key=key_for(model, api_base, api_key),
        num_retries=0,
        max_retries=0,
        **params,
    )
    usage = getattr(response, "usage", None)
    cost = response._hidden_params.get("response_cost")
    return Reply(
        text=response.choices[0].message.content or "",
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        cost_usd=float(cost) if cost is not None else None,
    )


async def close_clients() -> None:
    """Close the HTTP clients litellm and the direct path cached for the running event loop, before it ends.

    Both keep one client per event loop for the life of the process. A server has one loop and
    never needs this; code that runs a loop per call (ask(), tests) must, or the dead loop's
    sockets are left to the garbage collector.
    """
    await http_pool.close_session()
    if _imported():
        from litellm.llms.custom_httpx.async_client_cleanup import close_litellm_async_clients

        await close_litellm_async_clients()  # type: ignore[no-untyped-call]
