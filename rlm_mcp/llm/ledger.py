"""The usage ledger: calls, tokens, cost, cache hits and retries per session, in total and per model."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import asdict, dataclass
from typing import Any

from rlm_mcp.llm.results import CallFailure, Completion

LATENCY_SAMPLES = 10_000
"""Latencies a ledger keeps, newest last: enough for any one step's distribution, bounded for a long session."""


@dataclass
class Usage:
    """Counters for one model or for the whole session."""

    calls: int = 0
    """Calls answered by a model (cache hits excluded)."""
    failures: int = 0
    """Calls that reached a model and failed for good."""
    refused: int = 0
    """Calls not made because a budget was spent."""
    cache_hits: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    """Answered calls whose cost litellm does not know (local models): counted as $0."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def calls_made(self) -> int:
        """Calls that reached a model, answered or not: what the calls budget counts."""
        return self.calls + self.failures

    def to_dict(self) -> dict[str, Any]:
        """JSON-able counters, with the derived total."""
        return {**asdict(self), "cost_usd": round(self.cost_usd, 8), "total_tokens": self.total_tokens}


class Ledger:
    """Adds every outcome to the session total and to its model's line."""

    def __init__(self) -> None:
        self.total = Usage()
        self.by_model: defaultdict[str, Usage] = defaultdict(Usage)
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        """Seconds each of the latest answered calls took (cache hits excluded), one per `total.calls`."""

    def record(self, model: str, outcome: Completion | CallFailure) -> None:
        """Count one finished call, answered, cached, failed or refused."""
        for usage in (self.total, self.by_model[model]):
            _add(usage, outcome)
        if isinstance(outcome, Completion) and not outcome.cached:
            self.latencies.append(outcome.elapsed_s)

    def snapshot(self) -> dict[str, Any]:
        """JSON-able totals and per-model lines."""
        return {
            "total": self.total.to_dict(),
            "by_model": {model: usage.to_dict() for model, usage in sorted(self.by_model.items())},
        }


def _add(usage: Usage, outcome: Completion | CallFailure) -> None:
    """Fold one outcome into ``usage``."""
    usage.retries += max(outcome.attempts - 1, 0)
    if isinstance(outcome, CallFailure):
        if outcome.attempts:
            usage.failures += 1
        else:
            usage.refused += 1
    elif outcome.cached:
        usage.cache_hits += 1
    else:
        usage.calls += 1
        usage.prompt_tokens += outcome.prompt_tokens
        usage.completion_tokens += outcome.completion_tokens
        usage.cost_usd += outcome.cost_usd
        usage.unpriced_calls += not outcome.cost_known
