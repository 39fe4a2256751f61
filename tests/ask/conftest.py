"""Fixtures for rlm_ask: a scripted root model on the real local LLM server, and a real repository."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import rlm_mcp
from bench.quality.scripted import ROOT_MODEL, SUB_MODEL, ScriptedRoot
from rlm_mcp.ask import root_prompt
from rlm_mcp.config import Settings
from rlm_mcp.llm.litellm_client import load_litellm
from tests.support.openai_server import OpenAIServer

PRICED_ROOT_MODEL = "openai/priced-root-model"
"""A root model litellm prices at $0.001 per prompt token and $0.002 per completion token (``priced_root``)."""


@pytest.fixture(scope="session")
def priced_root() -> str:
    """Give litellm custom per-token prices for a root model, as a user's own price entry would."""
    prices = {"input_cost_per_token": 0.001, "output_cost_per_token": 0.002, "litellm_provider": "openai"}
    load_litellm().register_model({PRICED_ROOT_MODEL: {**prices, "mode": "chat"}})
    return PRICED_ROOT_MODEL


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of this project's rlm_mcp/ package: a real repository of a few dozen Python files."""
    target = tmp_path / "repo"
    shutil.copytree(
        Path(rlm_mcp.__file__).parent, target, ignore=shutil.ignore_patterns("__pycache__", "_sandbox", "_bench")
    )
    return target


@pytest.fixture
def script_root(openai_server: OpenAIServer) -> Callable[[Sequence[str]], None]:
    """Make the local server play a root model that replies with these code blocks, one per turn."""

    def script(steps: Sequence[str]) -> None:
        openai_server.responder = ScriptedRoot(lambda question, sub_calls: steps)

    return script


class RecordedRoot:
    """A scripted root replying with whole replies, as they are, that keeps every request it answered.

    `last` is its reply to the code-free request at the iteration limit (default: the scripted GAVE_UP).
    """

    def __init__(self, replies: Sequence[str], last: str | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self._root = ScriptedRoot(lambda question, sub_calls: replies, fenced=False)
        self._last = last

    def __call__(self, body: dict[str, Any]) -> str | None:
        self.requests.append(body)
        if self._last is not None and body["messages"][-1]["content"] == root_prompt.FINAL_REQUEST:
            return self._last
        return self._root(body)

    def feedback(self, turn: int) -> str:
        """The user turn the root read after its `turn`-th reply (1-based)."""
        return str(self.requests[turn]["messages"][-1]["content"])


@pytest.fixture
def script_replies(openai_server: OpenAIServer) -> Callable[..., RecordedRoot]:
    """Make the local server play a root model sending these whole replies, one per turn, recording requests."""

    def script(replies: Sequence[str], last: str | None = None) -> RecordedRoot:
        root = RecordedRoot(replies, last)
        openai_server.responder = root
        return root

    return script


@pytest.fixture
def ask_settings(make_settings: Callable[..., Settings], openai_server: OpenAIServer) -> Callable[..., Settings]:
    """Settings for the scripted root and echoing sub-model on the local server, local backend."""

    def make(**overrides: Any) -> Settings:
        llm = {
            "model": SUB_MODEL,
            "root_model": ROOT_MODEL,
            "api_base": f"{openai_server.url}/v1",
            "api_key": "test",
            "backend": "local",
            "llm_backoff_base_s": 0.01,
        }
        return make_settings(**{**llm, **overrides})

    return make
