"""litellm's price for a direct call's usage, from its local cost map (never fetched at run time).

``litellm.cost_per_token`` costs ~1 ms of event-loop CPU per call (a dozen name lookups and regex
matches), more than the whole HTTP round trip. A plain answer (prompt and completion tokens, no
cached, reasoning or audio tokens, the default service tier) of a model litellm prices per token
costs exactly ``prompt x input + completion x output``: those two rates are read once per model and
reused. Any other answer, or model, is priced by ``cost_per_token`` itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from rlm_mcp.llm.litellm_client import load_litellm

_PER_TOKEN = frozenset({"input_cost_per_token", "output_cost_per_token"})
_NOT_FOR_PLAIN_ANSWERS = frozenset(
    {"cache_read_input_token_cost", "cache_creation_input_token_cost", "search_context_cost_per_query"}
)
"""Prices of parts a plain answer has none of (cached prompt tokens, cache writes, web searches)."""
_OTHER_TIERS = ("_priority", "_flex", "_batches")
"""Suffixes of prices for service tiers and the batch API, which a plain answer is not billed at."""
_DEFAULT_TIERS = (None, "default", "auto")
_COUNTS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})


@dataclass(frozen=True)
class Rates:
    """How litellm prices a model: unpriced, per token (the two rates), or only by ``cost_per_token``."""

    priced: bool
    per_token: tuple[float, float] | None


def price(provider: str, name: str, usage: dict[str, Any], tokens: tuple[int, int], tier: Any) -> float | None:
    """What litellm charges for this usage of ``provider/name``; None when it has no price for the model.

    ``tokens`` are the checked (prompt, completion) counts; ``tier`` the answer's ``service_tier``.
    """
    litellm = load_litellm()
    rates = _rates(provider, name, len(litellm.model_cost))
    if not rates.priced:
        return None
    if rates.per_token is not None and tier in _DEFAULT_TIERS and _plain(usage):
        (prompt, completion), (per_input, per_output) = tokens, rates.per_token
        return prompt * per_input + completion * per_output
    return _full_price(provider, name, usage, tokens, tier)


@functools.lru_cache(maxsize=256)
def _rates(provider: str, name: str, cost_map_size: int) -> Rates:
    """The model's rates; the size of litellm's cost map is in the key, so a newly registered price is seen."""
    try:
        info = load_litellm().get_model_info(model=name, custom_llm_provider=provider)
    # litellm raises for a model it has no entry for: unpriced, as a call through it reports.
    except Exception:
        return Rates(priced=False, per_token=None)
    costs = {
        key
        for key, value in info.items()
        if "cost" in key and value is not None and key not in _NOT_FOR_PLAIN_ANSWERS and not key.endswith(_OTHER_TIERS)
    }
    per_input, per_output = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if costs != _PER_TOKEN or not isinstance(per_input, float | int) or not isinstance(per_output, float | int):
        return Rates(priced=True, per_token=None)
    return Rates(priced=True, per_token=(float(per_input), float(per_output)))


def _plain(usage: dict[str, Any]) -> bool:
    """Whether the usage holds nothing but the token counts (details absent, empty or all zero)."""
    for key, value in usage.items():
        if key in _COUNTS or not value:
            continue
        if not isinstance(value, dict) or any(value.values()):
            return False
    return True


def _full_price(provider: str, name: str, usage: dict[str, Any], tokens: tuple[int, int], tier: Any) -> float | None:
    """``cost_per_token`` on the whole usage: cached and reasoning tokens, tiers and all."""
    litellm = load_litellm()
    from litellm.types.utils import Usage

    details = {
        key: usage[key]
        for key in ("prompt_tokens_details", "completion_tokens_details")
        if isinstance(usage.get(key), dict)
    }
    prompt, completion = tokens
    try:
        counted = Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion, **details)
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=name,
            custom_llm_provider=provider,
            usage_object=counted,
            service_tier=tier if isinstance(tier, str) else None,
        )
    # Details litellm cannot read leave the answer unpriced, as a call through it would.
    except Exception:
        return None
    return float(prompt_cost) + float(completion_cost)
