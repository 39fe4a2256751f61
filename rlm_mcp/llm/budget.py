"""Per-session budgets on calls, tokens and cost, checked before every call that would reach a model.

A call slot is reserved before the call starts, so concurrent calls can never overshoot the calls
budget. Tokens and cost are only known afterwards: calls already in flight when one of those
budgets runs out still finish, so they can overshoot it by at most ``concurrency`` calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rlm_mcp.errors import BudgetExceeded
from rlm_mcp.llm.config import BrokerConfig
from rlm_mcp.llm.ledger import Ledger


class Budget:
    """The limits of ``config`` applied to what ``ledger`` has recorded plus calls in flight."""

    def __init__(self, config: BrokerConfig, ledger: Ledger) -> None:
        self.max_calls = config.max_calls
        self.max_tokens = config.max_tokens
        self.max_cost_usd = config.max_cost_usd
        self._ledger = ledger
        self._in_flight = 0

    @property
    def calls_used(self) -> int:
        """Calls made or in flight."""
        return self._ledger.total.calls_made + self._in_flight

    @contextmanager
    def reserve(self) -> Iterator[None]:
        """Hold one call slot for the duration of a call; raise BudgetExceeded if none is left."""
        self.check()
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    def check(self) -> None:
        """Raise BudgetExceeded naming the first spent budget, its spend and how to raise it."""
        total = self._ledger.total
        if self.max_calls is not None and self.calls_used >= self.max_calls:
            spent = f"{self.calls_used} of max_calls={self.max_calls} sub-calls made"
            setting = "max_calls (RLM_MAX_CALLS)"
        elif self.max_tokens is not None and total.total_tokens >= self.max_tokens:
            spent = f"{total.total_tokens} of max_tokens={self.max_tokens} tokens used"
            setting = "max_tokens (RLM_MAX_TOKENS)"
        elif self.max_cost_usd is not None and total.cost_usd >= self.max_cost_usd:
            spent = f"${total.cost_usd:.4f} of max_cost_usd=${self.max_cost_usd:.4f} spent"
            setting = "max_cost_usd (RLM_MAX_COST_USD)"
        else:
            return
        raise BudgetExceeded(
            f"Sub-LLM budget exhausted: {spent} this session; no further sub-calls will be made "
            f"(answers already obtained are kept, cached answers are still served). "
            f"Raise {setting} or leave it unset for no limit, then start a new session."
        )

    def snapshot(self) -> dict[str, Any]:
        """JSON-able limits and what is left of each (None = unlimited)."""
        total = self._ledger.total
        return {
            "max_calls": self.max_calls,
            "remaining_calls": _left(self.max_calls, self.calls_used),
            "max_tokens": self.max_tokens,
            "remaining_tokens": _left(self.max_tokens, total.total_tokens),
            "max_cost_usd": self.max_cost_usd,
            "remaining_cost_usd": _left(self.max_cost_usd, round(total.cost_usd, 8)),
        }


def _left(limit: float | None, used: float) -> float | None:
    """What is left of ``limit`` after ``used``, never negative; None when unlimited."""
    return None if limit is None else max(limit - used, 0)
