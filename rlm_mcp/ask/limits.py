"""The limits of one rlm_ask and the meter that checks them against root calls plus sub-calls.

Limits are checked before every root call, and the time limit also bounds each root call and each
exec. Sub-calls made by one exec are not stopped half-way by the ask's token or cost limit (the
session's own budgets still apply), so one iteration can overshoot those two limits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import anyio

from rlm_mcp.config import Settings
from rlm_mcp.llm.ledger import Ledger, Usage

StopReason = Literal["answered", "max_iterations", "max_seconds", "max_tokens", "max_cost_usd", "root_failed"]

_SETTING = {
    "max_iterations": "RLM_ASK_MAX_ITERATIONS",
    "max_seconds": "RLM_ASK_MAX_SECONDS",
    "max_tokens": "RLM_ASK_MAX_TOKENS",
    "max_cost_usd": "RLM_ASK_MAX_COST_USD",
}


@dataclass(frozen=True)
class AskLimits:
    """When one rlm_ask must stop; None = unlimited (tokens and cost cover root and sub-calls)."""

    max_iterations: int
    max_seconds: float
    max_tokens: int | None = None
    max_cost_usd: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> AskLimits:
        """The configured limits, with the non-None `overrides` (one call's arguments) on top."""
        limits = cls(
            settings.ask_max_iterations, settings.ask_max_seconds, settings.ask_max_tokens, settings.ask_max_cost_usd
        )
        return replace(limits, **{k: v for k, v in overrides.items() if v is not None})


class Meter:
    """Time and spend of one ask so far: the root's ledger plus the session ledger's growth."""

    def __init__(self, limits: AskLimits, root: Ledger, sub: Ledger) -> None:
        self.limits = limits
        self._root = root
        self._sub = sub
        self._sub_before = replace(sub.total)
        self._started = anyio.current_time()

    @property
    def elapsed_s(self) -> float:
        return anyio.current_time() - self._started

    def seconds_left(self) -> float:
        return max(self.limits.max_seconds - self.elapsed_s, 0.0)

    def sub_usage(self) -> Usage:
        """What the session's sub-calls used since the ask started."""
        return difference(self._sub.total, self._sub_before)

    def tokens(self) -> int:
        return self._root.total.total_tokens + self.sub_usage().total_tokens

    def cost_usd(self) -> float:
        return self._root.total.cost_usd + self.sub_usage().cost_usd

    def exceeded(self, iterations: int) -> StopReason | None:
        """The first limit reached after `iterations` iterations, or None to go on."""
        limits = self.limits
        if iterations >= limits.max_iterations:
            return "max_iterations"
        if self.seconds_left() <= 0:
            return "max_seconds"
        if limits.max_tokens is not None and self.tokens() >= limits.max_tokens:
            return "max_tokens"
        if limits.max_cost_usd is not None and self.cost_usd() >= limits.max_cost_usd:
            return "max_cost_usd"
        return None

    def describe(self, reason: StopReason, iterations: int) -> str:
        """Which limit stopped the ask, what was spent, and which setting raises it."""
        spent = {
            "max_iterations": f"{iterations} iterations",
            "max_seconds": f"{self.elapsed_s:.1f} s",
            "max_tokens": f"{self.tokens():,} tokens",
            "max_cost_usd": f"${self.cost_usd():.4f}",
        }[reason]
        limit = getattr(self.limits, reason)
        return f"the {reason}={limit} limit was reached ({spent}); raise {reason} (or {_SETTING[reason]}) for more"

    def usage(self) -> dict[str, Any]:
        """JSON-able spend: root calls, sub-calls, and both together."""
        root, sub = self._root.total, self.sub_usage()
        return {
            "root": root.to_dict(),
            "sub": sub.to_dict(),
            "total_tokens": root.total_tokens + sub.total_tokens,
            "cost_usd": round(root.cost_usd + sub.cost_usd, 8),
        }


def difference(after: Usage, before: Usage) -> Usage:
    """The counters added between two snapshots of one ledger's totals."""
    return Usage(
        **{name: getattr(after, name) - getattr(before, name) for name in Usage.__dataclass_fields__},
    )
