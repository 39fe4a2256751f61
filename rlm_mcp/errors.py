"""The one exception hierarchy of rlm-mcp.

Every message says what happened and what to do next: the MCP layer passes it verbatim
to the agent as a tool error.
"""

from __future__ import annotations


class RLMError(Exception):
    """Base of every error rlm-mcp raises on purpose."""


class ConfigError(RLMError):
    """A setting is missing or invalid."""


class SandboxError(RLMError):
    """The sandbox could not be started, reached or kept alive."""


class SandboxUnavailable(SandboxError):
    """The requested backend cannot run here (no Docker engine, missing image, ...)."""


class EngineUnreachable(SandboxUnavailable):
    """No Docker engine answers at all: the one case where `--backend auto` runs sandboxes locally."""


class SandboxRestarted(SandboxError):
    """The sandbox process died or had to be killed; its variables are gone."""


class ProtocolError(SandboxError):
    """A frame on the host/sandbox channel was malformed or too large."""


class ContextError(RLMError):
    """A context source could not be loaded (missing path, nothing readable, ...)."""


class LLMError(RLMError):
    """A sub-LLM call could not be made or failed for good."""


class ModelNotConfigured(LLMError):
    """No sub-call model is configured and no sampling-capable client is connected."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "No sub-LLM model is configured and this MCP client cannot answer sub-calls by sampling. "
            "Set --model / RLM_MODEL to any litellm model string (e.g. anthropic/claude-haiku-4-5 with "
            "ANTHROPIC_API_KEY set), or --api-base / RLM_API_BASE for Ollama, vLLM or llama.cpp."
        )


class BudgetExceeded(LLMError):
    """A per-session budget (calls, tokens, cost) is spent; further calls are refused."""
