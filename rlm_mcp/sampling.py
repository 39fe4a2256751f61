"""MCP sampling as the sub-LLM of last resort: with no model configured, the client's model answers.

Protocols up to 2025-11-25 let a tool call send `sampling/createMessage` while it runs, so every
sub-call (llm_batch in code, rlm_query over items) can go to the client. From 2026-07-28 on, a
server may only ask through the SDK's Resolve/Sample form before the tool body runs, which fits
one rlm_query prompt; batches then need a configured model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Sample
from mcp.shared.message import ServerMessageMetadata
from mcp_types import (
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    SamplingMessage,
    TextContent,
)
from mcp_types.version import is_version_at_least

from rlm_mcp.llm import Message, Sampler

MID_CALL_REQUESTS_END = "2026-07-28"


def _client_samples(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    return capabilities is not None and capabilities.sampling is not None


def _modern(ctx: Context) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, MID_CALL_REQUESTS_END)


def mid_call_sampler(ctx: Context) -> Sampler | None:
    """A sampler asking this call's client mid-call, when it samples and its protocol allows it."""
    if not _client_samples(ctx) or _modern(ctx):
        return None

    async def sample(messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str:
        request = CreateMessageRequest(params=_request_params(messages, max_tokens, temperature))
        metadata = ServerMessageMetadata(related_request_id=ctx.request_id)
        result = await ctx.session.send_request(request, CreateMessageResult, metadata=metadata)
        return answer_text(result)

    return sample


def resolver_sample(ctx: Context, prompt: str, max_tokens: int) -> Sample | None:
    """The Resolve/Sample request for one prompt, when only that form can reach the client's model."""
    if not _client_samples(ctx) or not _modern(ctx):
        return None
    return Sample([_message("user", prompt)], max_tokens=max_tokens)


def answer_text(result: Any) -> str:
    """The text of a sampling result (its first text block)."""
    content = result.content
    blocks = content if isinstance(content, list) else [content]
    return "".join(block.text for block in blocks if isinstance(block, TextContent))


def _message(role: str, text: str) -> SamplingMessage:
    return SamplingMessage(
        role="assistant" if role == "assistant" else "user", content=TextContent(type="text", text=text)
    )


def _request_params(
    messages: Sequence[Message], max_tokens: int, temperature: float | None
) -> CreateMessageRequestParams:
    system = "\n\n".join(str(m["content"]) for m in messages if m.get("role") == "system") or None
    chat = [_message(str(m.get("role")), str(m.get("content", ""))) for m in messages if m.get("role") != "system"]
    return CreateMessageRequestParams(
        messages=chat, max_tokens=max_tokens, temperature=temperature, system_prompt=system
    )
