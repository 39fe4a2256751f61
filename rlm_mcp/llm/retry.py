"""When a failed sub-call is worth another attempt, how long to wait first, and how to explain giving up.

Errors are told apart by their HTTP status (litellm's exceptions all carry ``status_code``), so
this module needs no provider import: 408/409/429/5xx, timeouts and connection errors are
transient; any other 4xx will fail the same way again and is reported at once. A client that refused
to send the request for want of a key comes back as a 500: it is told apart by its message.
"""

from __future__ import annotations

import math
import random
import re
import time
from email.utils import parsedate_to_datetime

from rlm_mcp.llm.config import BrokerConfig

_TRANSIENT_4XX = frozenset({408, 409, 429})
_MESSAGE_CHARS = 500
_MISSING_KEY = re.compile(r"missing credentials|api_key client option must be set", re.IGNORECASE)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an error came with, if any."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def is_auth_failure(exc: BaseException) -> bool:
    """Whether the provider refused the key (401/403), or the client had no key to send."""
    return status_of(exc) in (401, 403) or _MISSING_KEY.search(str(exc)) is not None


def is_transient(exc: BaseException) -> bool:
    """Whether the same request may well succeed if made again shortly."""
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    if is_auth_failure(exc):
        return False
    status = status_of(exc)
    return status is not None and (status in _TRANSIENT_4XX or status >= 500)


def retry_after_s(exc: BaseException) -> float | None:
    """The wait a server asked for in ``Retry-After`` (seconds or HTTP date), if it did."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan" parses but is no wait (anyio refuses to sleep for it): the usual backoff applies.
        return None if math.isnan(seconds) else max(seconds, 0.0)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def backoff_s(config: BrokerConfig, retry: int, exc: BaseException) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): the server's wish, or jittered doubling."""
    asked = retry_after_s(exc)
    if asked is not None:
        return min(asked, config.backoff_max_s)
    ceiling = min(config.backoff_base_s * 2 ** (retry - 1), config.backoff_max_s)
    # Jitter in the upper half spreads a burst of 429s apart without ever retrying at once.
    return random.uniform(ceiling / 2, ceiling)


def failure_message(exc: BaseException, model: str, attempts: int, config: BrokerConfig) -> str:
    """What went wrong with a sub-call to ``model``, and what the user can do about it."""
    detail = f"{type(exc).__name__}: {str(exc)[:_MESSAGE_CHARS]}".rstrip(": ")
    status = status_of(exc)
    if isinstance(exc, TimeoutError):
        return (
            f"Sub-call to {model} timed out after {config.timeout_s:g} s on each of {attempts} attempts. "
            f"Raise RLM_LLM_TIMEOUT or ask for a shorter answer."
        )
    if is_auth_failure(exc):
        return (
            f"Sub-call to {model} was refused: authentication failed ({detail}). Check the API key: "
            f"RLM_API_KEY, or the provider's own variable such as ANTHROPIC_API_KEY. Not retried."
        )
    if is_transient(exc):
        return (
            f"Sub-call to {model} failed after {attempts} attempts ({detail}). The provider is rate "
            f"limiting or unavailable: lower RLM_LLM_CONCURRENCY, raise RLM_LLM_RETRIES or try again later."
        )
    if status == 404:
        return (
            f"Sub-call to {model} failed: model or endpoint not found ({detail}). Check the litellm "
            f"model string (provider/model) and api_base. Not retried."
        )
    if status is not None:
        return (
            f"Sub-call to {model} was rejected ({detail}). Not retried: the same request would fail "
            f"again (prompt longer than the model's context? unsupported parameter?)."
        )
    return f"Sub-call to {model} failed before an answer came back ({detail}). Not retried."
