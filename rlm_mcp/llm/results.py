"""What a sub-LLM call gives back: a ``Completion``, or a ``CallFailure`` holding its slot in a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlm_mcp.errors import BudgetExceeded, LLMError

Message = dict[str, Any]
"""One chat message in the OpenAI shape: ``{"role": "user", "content": "..."}``."""


@dataclass(frozen=True)
class Reply:
    """What a model (or the MCP client, by sampling) answered; ``cost_usd`` None when unpriced."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class Completion:
    """One answer, with what it cost; ``cost_usd`` is 0 for cache hits and unpriced models."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_known: bool
    cached: bool
    elapsed_s: float
    attempts: int


@dataclass(frozen=True, slots=True)
class CallFailure:
    """A call that failed for good: ``error`` names the kind (``RateLimitError``, ``BudgetExceeded``, ...)."""

    error: str
    message: str
    attempts: int

    def to_exception(self) -> LLMError:
        """The exception ``Broker.query`` raises for this failure."""
        if self.error == BudgetExceeded.__name__:
            return BudgetExceeded(self.message)
        return LLMError(self.message)
