"""Sub-LLM calls for a session: ``Broker`` (litellm or MCP sampling), its config and its results."""

from rlm_mcp.llm.broker import SAMPLING_MODEL, Broker, OnItem, Outcome, Prompt, Sampler
from rlm_mcp.llm.config import BrokerConfig
from rlm_mcp.llm.results import CallFailure, Completion, Message

__all__ = [
    "SAMPLING_MODEL",
    "Broker",
    "BrokerConfig",
    "CallFailure",
    "Completion",
    "Message",
    "OnItem",
    "Outcome",
    "Prompt",
    "Sampler",
]
