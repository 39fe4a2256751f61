"""Backoff between attempts: jittered doubling, bounded, and a server's Retry-After respected."""

from __future__ import annotations

from email.utils import formatdate
from time import time

import pytest

from rlm_mcp.llm import BrokerConfig
from rlm_mcp.llm.retry import backoff_s, retry_after_s

CONFIG = BrokerConfig(backoff_base_s=1.0, backoff_max_s=5.0)


class HTTPFailure(Exception):
    """An error carrying a response with headers, as litellm's status errors do."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("rate limited")
        self.status_code = 429
        self.response = type("Response", (), {"headers": headers})()


@pytest.mark.parametrize(("retry", "low", "high"), [(1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (9, 2.5, 5.0)])
def test_backoff_doubles_with_jitter_up_to_the_cap(retry: int, low: float, high: float) -> None:
    """Retry n waits between half and all of base * 2**(n-1), never more than backoff_max_s."""
    for _ in range(50):
        assert low <= backoff_s(CONFIG, retry, HTTPFailure({})) <= high


def test_retry_after_seconds_replace_the_backoff() -> None:
    """A Retry-After in seconds is waited exactly."""
    assert backoff_s(CONFIG, 1, HTTPFailure({"retry-after": "3"})) == 3.0


def test_retry_after_is_capped() -> None:
    """A server asking for longer than backoff_max_s gets backoff_max_s."""
    assert backoff_s(CONFIG, 1, HTTPFailure({"retry-after": "120"})) == 5.0


def test_retry_after_as_http_date() -> None:
    """The HTTP-date form of Retry-After is understood."""
    wait = retry_after_s(HTTPFailure({"retry-after": formatdate(time() + 30, usegmt=True)}))
    assert wait is not None and 28 <= wait <= 30
