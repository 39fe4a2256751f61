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


class BudgetExceeded(LLMError):
    """A per-session budget (calls, tokens, cost) is spent; further calls are refused."""
