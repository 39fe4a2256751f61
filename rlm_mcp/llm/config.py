"""The sub-LLM broker's settings: which model, how many calls at once, retries, budgets, cache.

``rlm_mcp.config.Settings`` builds one of these; the broker itself never reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BrokerConfig:
    """Everything the broker needs to know; every field has a usable default.

    ``api_key`` is kept out of ``repr`` so it never reaches a log; when None, litellm reads the provider's
    usual variable (``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ...).
    """

    model: str | None = None
    """Default litellm model string, e.g. ``anthropic/claude-haiku-4-5``; None uses MCP sampling."""
    sub_model: str | None = None
    """Model for sub-calls (``query``/``batch`` without ``model=``); None means ``model``."""
    allowed_models: tuple[str, ...] = ()
    """Further models a call may name; ``model`` and ``sub_model`` always may, any other is refused."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp), e.g. ``http://localhost:11434/v1``."""
    api_key: str | None = field(default=None, repr=False)
    direct: bool = True
    """Send ``openai/`` and ``hosted_vllm/`` calls at ``api_base`` straight to it (``direct.py``), not via litellm."""
    concurrency: int = 16
    """Sub-calls in flight at once per session."""
    max_batch: int = 100_000
    """Most prompts one ``batch`` takes; a larger one is refused with how to split it."""
    start_interval_s: float = 0.004
    """Shortest time between two litellm sub-call starts: a burst of them is slower than a stream (``pacing``)."""
    timeout_s: float = 120.0
    """Longest one attempt may take before it is abandoned (and retried)."""
    max_retries: int = 4
    """Retries after the first attempt on 429, 5xx, timeouts and connection errors."""
    backoff_base_s: float = 0.5
    """First retry waits about this long; each further one doubles it (with jitter)."""
    backoff_max_s: float = 30.0
    """Longest wait between attempts, also the cap on a server's ``Retry-After``."""
    max_calls: int | None = None
    """Sub-calls per session (cache hits excluded); None = unlimited."""
    max_tokens: int | None = None
    """Prompt + completion tokens per session; None = unlimited."""
    max_cost_usd: float | None = None
    """Spend per session in US dollars, as priced by litellm; None = unlimited."""
    cache: bool = True
    """Answer repeated deterministic requests from the on-disk cache."""
    cache_max_bytes: int = 512_000_000
    """Past this size the cache file drops its oldest answers (checked when a broker opens it)."""
    sampling_max_tokens: int = 4096
    """``max_tokens`` sent with MCP sampling requests, which require one."""

    @property
    def call_model(self) -> str | None:
        """The model a sub-call uses unless it names one."""
        return self.sub_model or self.model

    @property
    def permitted_models(self) -> tuple[str, ...]:
        """Every model a call may name, in the order they were configured."""
        named = (self.model, self.sub_model, *self.allowed_models)
        return tuple(dict.fromkeys(model for model in named if model))
