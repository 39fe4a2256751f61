"""Which options a sub-call may carry: an allowlist of sampling options with small, plain values.

litellm takes hundreds of keywords, and many of them choose where a request goes (``base_url``,
``api_base``, ``fallbacks``), which key or headers it carries (``api_key``, ``extra_headers``), what
it is priced at (``input_cost_per_token``), how often it is retried or how many answers are billed
(``n``). Sub-call options come from code in the sandbox, which is hostile, so only options that shape
one answer from the configured endpoint pass; the model, endpoint, key and retries are the server's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rlm_mcp.errors import LLMError

_MAX_STOP_SEQUENCES = 4
_MAX_TEXT_CHARS = 200
_MAX_JSON_DEPTH = 8
_MAX_JSON_NODES = 2_000
_MAX_KEY_SHOWN = 40


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 10_000_000


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _word(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 32


def _stop(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_TEXT_CHARS
    return (
        isinstance(value, list)
        and len(value) <= _MAX_STOP_SEQUENCES
        and all(isinstance(item, str) and len(item) <= _MAX_TEXT_CHARS for item in value)
    )


def _small_json(value: Any) -> bool:
    """A JSON object of plain values, at most ``_MAX_JSON_DEPTH`` deep and ``_MAX_JSON_NODES`` values in all."""
    left = _MAX_JSON_NODES

    def plain(node: Any, depth: int) -> bool:
        nonlocal left
        left -= 1
        if left < 0 or depth > _MAX_JSON_DEPTH:
            return False
        if isinstance(node, dict):
            keys_ok = all(isinstance(key, str) and len(key) <= _MAX_TEXT_CHARS for key in node)
            return keys_ok and all(plain(item, depth + 1) for item in node.values())
        if isinstance(node, list):
            return all(plain(item, depth + 1) for item in node)
        if isinstance(node, str):
            return len(node) <= 4 * _MAX_TEXT_CHARS
        return node is None or isinstance(node, bool) or _number(node)

    return isinstance(value, dict) and plain(value, 1)


ALLOWED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number, "a number"),
    "top_p": (_number, "a number"),
    "top_k": (_count, "a positive integer"),
    "presence_penalty": (_number, "a number"),
    "frequency_penalty": (_number, "a number"),
    "max_tokens": (_count, "a positive integer"),
    "max_completion_tokens": (_count, "a positive integer"),
    "stop": (_stop, f"a string or a list of at most {_MAX_STOP_SEQUENCES} strings"),
    "seed": (_integer, "an integer"),
    "reasoning_effort": (_word, "a word such as low, medium or high"),
    "response_format": (_small_json, "a small JSON object, e.g. {'type': 'json_object'}"),
    "thinking": (_small_json, "a small JSON object, e.g. {'type': 'enabled', 'budget_tokens': 1024}"),
    "logit_bias": (_small_json, "a small JSON object of token id to bias"),
}
"""Each allowed option, the test its value must pass, and how to describe a good value."""


def sampling_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as a dict when every key is an allowed sampling option with a good value; else LLMError."""
    if unknown := sorted(shown(key) for key in params if key not in ALLOWED):
        listed = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        verb = "is" if len(unknown) == 1 else "are"
        raise LLMError(
            f"sub-call option {listed} {verb} not allowed: a sub-call may set only {', '.join(ALLOWED)}. "
            f"The model must be one the server allows; the endpoint, key, retries and prices are the server's "
            f"configuration (--model, --allowed-models, --api-base)."
        )
    for key, value in params.items():
        accepts, wanted = ALLOWED[key]
        if not accepts(value):
            raise LLMError(f"sub-call option {key!r} must be {wanted}; the {type(value).__name__} given is not.")
    return dict(params)


def shown(value: object) -> str:
    """A value from the sandbox as it can safely appear in a message: quoted, and cut short if long."""
    text = repr(value)
    return text if len(text) <= _MAX_KEY_SHOWN else text[: _MAX_KEY_SHOWN - 3] + "..."
