"""Every limit of rlm_ask ends the loop with a partial answer and a reason (through the Python API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bench.quality.scripted import GAVE_UP, ScriptedRoot
from rlm_mcp import ask
from rlm_mcp.config import Settings
from rlm_mcp.errors import LLMError, ModelNotConfigured
from tests.support.openai_server import OpenAIServer

STILL_LOOKING = ["print('still looking')"]


def test_the_iteration_limit_asks_the_root_for_its_best_answer(
    package_copy: Path, script_root: Callable[[Sequence[str]], None], ask_settings: Callable[..., Settings]
) -> None:
    """After max_iterations turns without FINAL_ANSWER, one code-free call gives the best answer so far."""
    script_root(STILL_LOOKING)
    result = ask(package_copy, "Find it.", settings=ask_settings(), max_iterations=2)
    assert (result.finished, result.stop_reason, result.iterations) == (False, "max_iterations", 2)
    assert result.answer == GAVE_UP
    assert "max_iterations=2 limit was reached" in result.note and "best answer" in result.note


def test_the_cost_limit_returns_the_last_output(
    package_copy: Path, openai_server: OpenAIServer, ask_settings: Callable[..., Settings], priced_root: str
) -> None:
    """A priced root call spends the budget: no further call is made, the last output is the answer."""
    openai_server.responder = ScriptedRoot(lambda question, sub_calls: STILL_LOOKING, model=priced_root)
    result = ask(package_copy, "Find it.", settings=ask_settings(root_model=priced_root), max_cost_usd=0.001)
    assert (result.finished, result.stop_reason, result.iterations) == (False, "max_cost_usd", 1)
    assert "still looking" in result.answer
    assert result.usage["cost_usd"] >= 0.001 and "max_cost_usd=0.001 limit" in result.note


def test_the_token_limit_counts_root_and_sub_calls(
    package_copy: Path, script_root: Callable[[Sequence[str]], None], ask_settings: Callable[..., Settings]
) -> None:
    """Tokens of the root's prompt and of llm_batch sub-calls add up against max_tokens."""
    script_root(["print(llm_batch(['one', 'two']))"])
    result = ask(package_copy, "Find it.", settings=ask_settings(), max_tokens=20)
    assert (result.stop_reason, result.iterations) == ("max_tokens", 1)
    assert result.usage["sub"]["calls"] == 2 and "echo: one" in result.answer


def test_the_time_limit_interrupts_running_code(
    package_copy: Path, script_root: Callable[[Sequence[str]], None], ask_settings: Callable[..., Settings]
) -> None:
    """Code still running at max_seconds is interrupted and the loop stops with what it printed."""
    script_root(["print('started'); \nwhile True: pass"])
    result = ask(package_copy, "Find it.", settings=ask_settings(), max_seconds=1.0)
    assert (result.finished, result.stop_reason) == (False, "max_seconds")
    assert "started" in result.answer and "KeyboardInterrupt" in result.answer
    assert 1.0 <= result.elapsed_s < 10


def test_an_answer_from_an_earlier_ask_does_not_end_the_next(
    package_copy: Path, script_root: Callable[[Sequence[str]], None], ask_settings: Callable[..., Settings]
) -> None:
    """FINAL_ANSWER is cleared when an ask starts; the loop ends only on this ask's own answer."""
    script_root(["x = 1", "FINAL_ANSWER = f'x is {x}'"])
    result = ask(package_copy, "What is x?", settings=ask_settings())
    assert (result.answer, result.iterations) == ("x is 1", 2)


def test_without_a_root_model_the_error_says_what_to_set(
    package_copy: Path, ask_settings: Callable[..., Settings]
) -> None:
    """No RLM_ROOT_MODEL and no RLM_MODEL: the message names both settings."""
    with pytest.raises(ModelNotConfigured, match=r"RLM_ROOT_MODEL.*RLM_MODEL"):
        ask(package_copy, "Find it.", settings=ask_settings(model=None, root_model=None))


def test_a_root_model_the_user_did_not_configure_is_refused(
    package_copy: Path, ask_settings: Callable[..., Settings]
) -> None:
    """rlm_ask's root_model override may only name a configured model: an agent cannot pick another provider."""
    with pytest.raises(
        LLMError, match=r"root_model 'openai/elsewhere' is not one this server may call.*--allowed-models"
    ):
        ask(package_copy, "Find it.", settings=ask_settings(), root_model="openai/elsewhere")
