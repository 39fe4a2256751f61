"""The sub-LLM broker: every sub-call of a session goes through here.

It checks what a call asks for (a configured model, allowed sampling options, a bounded batch),
picks the model (or falls back to MCP sampling), serves deterministic requests from the cache,
bounds concurrency, enforces the session's budgets, retries transient failures with backoff,
and records usage. It knows nothing of MCP or of the sandbox: both hand it prompts.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import anyio

from rlm_mcp.errors import BudgetExceeded, LLMError, ModelNotConfigured
from rlm_mcp.llm import direct, retry
from rlm_mcp.llm.budget import Budget
from rlm_mcp.llm.cache import ResponseCache, cache_key, is_deterministic
from rlm_mcp.llm.config import BrokerConfig
from rlm_mcp.llm.ledger import Ledger
from rlm_mcp.llm.litellm_client import complete, loaded
from rlm_mcp.llm.pacing import StartPacer
from rlm_mcp.llm.params import sampling_params, shown
from rlm_mcp.llm.results import CallFailure, Completion, Message, Reply

Prompt = str | Sequence[Message]
"""A bare user prompt, or a whole chat in the OpenAI message shape."""
Outcome = Completion | CallFailure
OnItem = Callable[[int, Outcome], Awaitable[None] | None]
"""Called as each batch item finishes, in completion order, with its index and outcome."""

SAMPLING_MODEL = "mcp-sampling"
"""The model name recorded for answers obtained by MCP sampling (the client picks the model)."""


class Sampler(Protocol):
    """Asks the connected MCP client's model for an answer (MCP sampling); supplied by the MCP layer."""

    async def __call__(self, messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str: ...


class Broker:
    """One session's sub-LLM calls: concurrency, retries, budgets, cache and usage ledger."""

    def __init__(self, config: BrokerConfig, cache_dir: Path | None = None, sampler: Sampler | None = None) -> None:
        self.config = config
        self.ledger = Ledger()
        self.budget = Budget(config, self.ledger)
        self._sampler = sampler
        self._limiter = anyio.CapacityLimiter(config.concurrency)
        self._pacer = StartPacer(config.start_interval_s)
        # The first direct call of a model asks litellm for its request shape in a thread; calls behind it
        # wait here, in order, rather than ask too (and start in the order they came).
        self._shaping = anyio.Lock(fast_acquire=True)
        self._cache = (
            ResponseCache(cache_dir, config.cache_max_bytes) if config.cache and cache_dir is not None else None
        )

    async def query(self, prompt: Prompt, *, model: str | None = None, cache: bool = True, **params: Any) -> Completion:
        """One sub-call; raises BudgetExceeded, ModelNotConfigured or LLMError when it cannot be answered."""
        outcome = await self._run(_messages(prompt), self._model(model), cache, sampling_params(params))
        if isinstance(outcome, CallFailure):
            raise outcome.to_exception()
        return outcome

    async def batch(
        self,
        prompts: Sequence[Prompt],
        *,
        model: str | None = None,
        cache: bool = True,
        on_item: OnItem | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> list[Outcome]:
        """Many sub-calls at once, answers in prompt order; a failed item holds a CallFailure in its slot.

        ``options`` are the sampling options (an allowlist, see params.py): a mapping, so that no
        option a sandbox names can land on one of this method's own arguments.

        ``concurrency`` workers take the prompts in turn, so a batch costs one result slot per prompt, not
        a task. Each item's budget is checked before it is sent: past the budget, items fail in their slot
        with BudgetExceeded without reaching the endpoint (cached answers are still served).
        """
        self._check_size(len(prompts))
        resolved = self._model(model)
        checked = sampling_params(options or {})
        results: list[Outcome | None] = [None] * len(prompts)
        # One iterator shared by every worker: each prompt is taken by exactly one of them, in order.
        pending = iter(enumerate(prompts))

        async def work() -> None:
            for index, prompt in pending:
                outcome = await self._run(_messages(prompt), resolved, cache, checked)
                results[index] = outcome
                if on_item is not None and inspect.isawaitable(notified := on_item(index, outcome)):
                    await notified

        async with anyio.create_task_group() as group:
            for _ in range(min(self.config.concurrency, len(prompts))):
                group.start_soon(work)
        # The task group only exits normally once every slot is filled.
        return cast(list[Outcome], results)

    def usage(self) -> dict[str, Any]:
        """JSON-able ledger totals, per-model lines and what is left of each budget."""
        return {**self.ledger.snapshot(), "budget": self.budget.snapshot()}

    def close(self) -> None:
        """Release the cache database; the broker must not be used afterwards."""
        if self._cache is not None:
            self._cache.close()

    def _check_size(self, items: int) -> None:
        """Refuse a batch over ``max_batch`` prompts, saying how to split it."""
        limit = self.config.max_batch
        if items > limit:
            raise LLMError(
                f"a batch of {items:,} prompts is over the limit of {limit:,} per batch (RLM_LLM_MAX_BATCH). "
                f"Split it: for start in range(0, len(prompts), {limit}): answers += "
                f"llm_batch(prompts[start:start + {limit}]); or raise RLM_LLM_MAX_BATCH."
            )

    def _model(self, model: str | None) -> str | None:
        """The litellm model for a call, or None for sampling; LLMError for a model the user did not allow."""
        permitted = self.config.permitted_models
        if model and model not in permitted:
            allowed = f"only {', '.join(permitted)}" if permitted else "none (no --model is configured)"
            raise LLMError(
                f"model {shown(model)} is not allowed for sub-calls: this server may call {allowed}. "
                f"Leave model unset for the default, or have the user add it with --allowed-models / "
                f"RLM_ALLOWED_MODELS (comma-separated litellm model strings)."
            )
        resolved = model or self.config.call_model
        if resolved is None and self._sampler is None:
            raise ModelNotConfigured(
                "No sub-LLM model is configured and the MCP client does not offer sampling. Set one with "
                "--model or RLM_MODEL: any litellm model string, e.g. anthropic/claude-haiku-4-5 (with "
                "ANTHROPIC_API_KEY set) or openai/gpt-5-mini; for a local OpenAI-compatible server add "
                "--api-base / RLM_API_BASE, e.g. --model ollama/qwen3 --api-base http://localhost:11434."
            )
        return resolved

    async def _run(
        self, messages: list[Message], model: str | None, use_cache: bool, params: Mapping[str, Any]
    ) -> Outcome:
        """One call from cache lookup to ledger entry; failures are returned, never raised."""
        started = anyio.current_time()
        label = model or SAMPLING_MODEL
        key = None
        # Sampling answers are not cached: the client chooses (and may change) the model.
        if model is not None and self._cache is not None and use_cache and is_deterministic(params):
            key = cache_key(model, self.config.api_base, messages, params)
            if (hit := self._cache.get(key)) is not None:
                outcome: Outcome = _completion(label, hit, cached=True, started=started, attempts=0)
                self.ledger.record(label, outcome)
                return outcome
        try:
            outcome = await self._call(label, model, messages, params)
        except BudgetExceeded as exc:
            outcome = CallFailure(type(exc).__name__, str(exc), attempts=0)
        # No await since the budget slot was released: no other call can see it as neither made nor in flight.
        self.ledger.record(label, outcome)
        if key is not None and self._cache is not None and isinstance(outcome, Completion):
            self._cache.put(key, _reply(outcome))
        return outcome

    async def _call(self, label: str, model: str | None, messages: list[Message], params: Mapping[str, Any]) -> Outcome:
        """The call itself, holding a concurrency slot and a budget slot; raises BudgetExceeded."""
        # A spent budget refuses at once: an item past it never waits for a concurrency slot.
        self.budget.check()
        target = None
        if model is not None:
            await loaded()  # seconds, once per process: not part of any attempt's timeout
            target = await self._endpoint(model, messages, params)
        async with self._limiter:
            with self.budget.reserve():
                # Only litellm's calls are paced: a direct call is prepared in one step (see pacing.py).
                paced = model is not None and target is None
                return await self._attempt(label, self._sender(model, target, messages, params), paced=paced)

    async def _endpoint(self, model: str, messages: list[Message], params: Mapping[str, Any]) -> direct.Endpoint | None:
        """The direct endpoint for this call when the config allows one; None sends it through litellm."""
        if not self.config.direct:
            return None
        config = self.config
        async with self._shaping:
            return await direct.endpoint(
                model, messages, api_base=config.api_base, api_key=config.api_key, params=params
            )

    def _sender(
        self, model: str | None, target: direct.Endpoint | None, messages: list[Message], params: Mapping[str, Any]
    ) -> Callable[[], Awaitable[Reply]]:
        """A function making one attempt at the call: direct, through litellm, or by MCP sampling."""
        if target is not None:
            return lambda: direct.complete(target, messages)
        if model is not None:
            config = self.config
            return lambda: complete(model, messages, api_base=config.api_base, api_key=config.api_key, params=params)
        sampler = self._sampler
        assert sampler is not None, "_model() guarantees a sampler when there is no model"
        max_tokens = int(params.get("max_tokens") or self.config.sampling_max_tokens)

        async def sample() -> Reply:
            text = await sampler(messages, max_tokens=max_tokens, temperature=params.get("temperature"))
            return Reply(text=text, prompt_tokens=0, completion_tokens=0, cost_usd=None)

        return sample

    async def _attempt(self, label: str, send: Callable[[], Awaitable[Reply]], *, paced: bool) -> Outcome:
        """Make attempts until one succeeds, the error is not transient, or retries run out."""
        started = anyio.current_time()
        attempts = 0
        while True:
            attempts += 1
            if paced:
                await self._pacer.wait_turn()
            try:
                with anyio.fail_after(self.config.timeout_s):
                    reply = await send()
                return _completion(label, reply, cached=False, started=started, attempts=attempts)
            # Providers raise many unrelated exception types; each is classified, none escapes the batch.
            except Exception as exc:
                if not retry.is_transient(exc) or attempts > self.config.max_retries:
                    message = retry.failure_message(exc, label, attempts, self.config)
                    return CallFailure(type(exc).__name__, message, attempts)
                await anyio.sleep(retry.backoff_s(self.config, attempts, exc))


def _messages(prompt: Prompt) -> list[Message]:
    """The chat for ``prompt``: a bare string becomes one user message."""
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)


def _completion(label: str, reply: Reply, *, cached: bool, started: float, attempts: int) -> Completion:
    """A Completion for ``reply``; a cache hit costs nothing."""
    cost = reply.cost_usd
    # litellm prices made-up usage details (a cache write of -10**6 tokens) below zero: such a price would
    # lower the spend a cost budget is checked against, so the answer counts as unpriced instead.
    if cost is not None and not (math.isfinite(cost) and cost >= 0):
        cost = None
    return Completion(
        text=reply.text,
        model=label,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        cost_usd=0.0 if cached or cost is None else cost,
        cost_known=cached or cost is not None,
        cached=cached,
        elapsed_s=anyio.current_time() - started,
        attempts=attempts,
    )


def _reply(completion: Completion) -> Reply:
    """The cacheable part of a fresh completion."""
    return Reply(
        text=completion.text,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=completion.cost_usd if completion.cost_known else None,
    )
