"""Calls may name only the models the user configured: --model, --sub-model, --root-model, --allowed-models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.errors import LLMError
from rlm_mcp.llm import Broker, BrokerConfig, Message
from tests.llm.conftest import TEST_MODEL
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio


async def test_a_model_nobody_configured_is_refused_naming_the_allowed_ones(
    make_broker: Callable[..., Broker], openai_server: OpenAIServer
) -> None:
    """The message lists the permitted models and the setting that adds one; nothing is sent."""
    with pytest.raises(LLMError) as raised:
        await make_broker(sub_model="openai/sub-model").batch(["hi"], model="openai/other")
    message = str(raised.value)
    for part in ("'openai/other'", f"only {TEST_MODEL}, openai/sub-model", "--allowed-models", "RLM_ALLOWED_MODELS"):
        assert part in message
    assert openai_server.requests == 0


async def test_allowed_models_may_be_named(make_broker: Callable[..., Broker]) -> None:
    """A model listed in allowed_models is called when a call names it; the default stays the default."""
    broker = make_broker(allowed_models=("openai/other",))
    assert (await broker.query("x", model="openai/other")).model == "openai/other"
    assert (await broker.query("y")).model == TEST_MODEL


async def test_sub_model_is_the_default_and_model_may_still_be_named(make_broker: Callable[..., Broker]) -> None:
    """sub_model, when set, is what calls use unless they name a model; model itself stays allowed."""
    broker = make_broker(model="openai/root-model", sub_model="openai/sub-model")
    assert (await broker.query("x")).model == "openai/sub-model"
    assert (await broker.query("y", model="openai/root-model")).model == "openai/root-model"


async def test_with_only_sampling_no_model_may_be_named(tmp_path: Path) -> None:
    """Without a configured model, naming one cannot turn a sampled call into a litellm call with the host's keys."""

    async def sampler(messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str:
        return "sampled"

    broker = Broker(BrokerConfig(), cache_dir=tmp_path, sampler=sampler)
    assert (await broker.query("x")).text == "sampled"
    with pytest.raises(LLMError, match=r"may call none \(no --model is configured\)"):
        await broker.query("x", model="openai/gpt-5-mini")


def test_settings_permit_model_sub_model_root_model_and_the_allowed_list() -> None:
    """RLM_ALLOWED_MODELS is comma-separated (blanks ignored) and adds to the three model settings."""
    settings = Settings.from_env(
        {
            "RLM_MODEL": "openai/a",
            "RLM_SUB_MODEL": "openai/b",
            "RLM_ROOT_MODEL": "openai/r",
            "RLM_ALLOWED_MODELS": " openai/x, ,openai/a,openai/y,",
        }
    )
    assert settings.broker_config().permitted_models == ("openai/a", "openai/b", "openai/r", "openai/x", "openai/y")
