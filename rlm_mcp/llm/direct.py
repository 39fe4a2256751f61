"""The direct path to OpenAI-compatible endpoints: the request litellm would send, sent without litellm.

One call through litellm costs 5-9 ms of event-loop CPU; the HTTP round trip it wraps, ~0.2 ms. So for
``openai/`` and ``hosted_vllm/`` models at a configured ``api_base`` litellm decides, once per model and
set of options, what it would send (``return_raw_request``: options renamed, dropped or refused), and
this module sends that body with the call's messages over a pooled aiohttp session. Answers are
priced from litellm's local cost map (``pricing.py``) and HTTP errors are mapped by litellm's own
``exception_type``, so both match a call through litellm. A call litellm would send differently
(messages it rewrites, a model or option it refuses, no key to send) goes through litellm as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from rlm_mcp.llm import http_pool, pricing
from rlm_mcp.llm.litellm_client import key_for, load_litellm
from rlm_mcp.llm.results import Message, Reply

PROVIDERS = frozenset({"openai", "hosted_vllm"})
"""litellm providers whose requests are the OpenAI chat-completions body as it is."""
MAX_ANSWER_BYTES = 32 * 2**20
"""Largest answer body read from an endpoint; a bigger one fails the call (no real completion comes near)."""

_ROLES = frozenset({"system", "user", "assistant"})
# Every role a direct call may carry, in a chat litellm passes on unchanged when it passes this one on unchanged.
_PROBE = [
    {"role": "system", "content": "s"},
    {"role": "user", "content": "u"},
    {"role": "assistant", "content": "a"},
    {"role": "user", "content": "v"},
]
_MAX_SHAPES = 256
_MAX_ERROR_CHARS = 1000
_MAX_TOKENS = 2**53


@dataclass(frozen=True)
class Shape:
    """litellm's request for one model and set of options: where it goes and the body around the messages."""

    url: str
    template: Mapping[str, Any]
    proxy: str | None
    """The proxy the environment names for ``url``, if any."""


@dataclass(frozen=True)
class Endpoint:
    """Everything one direct call needs; the key stays out of ``repr``."""

    provider: str
    name: str
    shape: Shape
    api_key: str = field(repr=False)


_shapes: dict[tuple[str, str, str], Shape | None] = {}


async def endpoint(
    model: str, messages: Sequence[Message], *, api_base: str | None, api_key: str | None, params: Mapping[str, Any]
) -> Endpoint | None:
    """Where this call goes directly, or None when it must go through litellm."""
    provider, _, name = model.partition("/")
    if provider not in PROVIDERS or not name or api_base is None or not _plain(messages):
        return None
    key = key_for(model, api_base, api_key)
    # Without a key litellm reads the provider's own variable (OPENAI_API_KEY): that is its business.
    if key is None or not _on_asyncio():
        return None
    options = json.dumps(params, sort_keys=True, default=str)
    cache_key = (model, api_base, options)
    if cache_key not in _shapes:
        # Milliseconds of litellm (seconds the very first time): off the event loop, once per model and options.
        shape = await anyio.to_thread.run_sync(_shape, model, api_base, dict(params))
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        _shapes[cache_key] = shape
    shape = _shapes[cache_key]
    return None if shape is None else Endpoint(provider, name, shape, key)


def _on_asyncio() -> bool:
    """Whether this runs on an asyncio loop, the only one aiohttp runs on (anyio may run on trio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _plain(messages: Sequence[Message]) -> bool:
    """Whether every message is a text message in a role the probe covers, with nothing else in it."""
    return all(
        type(message) is dict
        and message.keys() == {"role", "content"}
        and message["role"] in _ROLES
        and type(message["content"]) is str
        for message in messages
    )


def _shape(model: str, api_base: str, params: dict[str, Any]) -> Shape | None:
    """The request litellm would make for ``model`` with ``params``, if it passes the messages on as they are."""
    litellm = load_litellm()
    from litellm.types.utils import CallTypes

    raw = litellm.utils.return_raw_request(
        CallTypes.completion, {"model": model, "messages": _PROBE, "api_base": api_base, **params}
    )
    body = raw.get("raw_request_body")
    if raw.get("error") or not isinstance(body, dict) or body.get("messages") != _PROBE:
        return None
    # The OpenAI client merges extra_body (options the OpenAI API does not name, such as top_k) into the body.
    template = {key: value for key, value in body.items() if key not in ("messages", "extra_body")}
    template.update(body.get("extra_body") or {})
    url = str(raw.get("raw_request_api_base") or api_base)
    if not url.rstrip("/").endswith("/chat/completions"):
        url = url.rstrip("/") + "/chat/completions"
    return Shape(url=url, template=template, proxy=http_pool.proxy_for(url))


async def complete(target: Endpoint, messages: Sequence[Message]) -> Reply:
    """One chat completion straight to the endpoint; errors are litellm's exceptions for the same answer."""
    import aiohttp

    body = json.dumps({**target.shape.template, "messages": messages}, ensure_ascii=False).encode()
    headers = {"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/json"}
    try:
        async with http_pool.session().post(
            target.shape.url, data=body, headers=headers, proxy=target.shape.proxy
        ) as response:
            raw = await _read(response, target)
            # Lower-cased, as litellm's own (case-insensitive) headers are read: retry.retry_after_s.
            status, response_headers = response.status, {k.lower(): v for k, v in response.headers.items()}
    except aiohttp.ClientError as exc:
        raise load_litellm().APIConnectionError(
            message=f"{type(exc).__name__}: {exc}", llm_provider=target.provider, model=target.name
        ) from exc
    if status >= 400:
        raise _status_error(target, status, raw, response_headers)
    try:
        return _reply(target, json.loads(raw))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise load_litellm().InternalServerError(
            message=f"Invalid response object from the endpoint ({type(exc).__name__}: {str(exc)[:200]})",
            llm_provider=target.provider,
            model=target.name,
        ) from exc


class AnswerTooLarge(Exception):
    """The endpoint sent a body over ``MAX_ANSWER_BYTES``: not read further, not retried."""


async def _read(response: Any, target: Endpoint) -> bytes:
    """The whole body, or AnswerTooLarge as soon as it passes the cap."""
    declared = response.content_length
    if declared is not None and declared > MAX_ANSWER_BYTES:
        raise AnswerTooLarge(_too_large(target, declared))
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(_too_large(target, size))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(target: Endpoint, size: int) -> str:
    """What AnswerTooLarge says (never the URL: an api_base may carry credentials)."""
    return (
        f"the endpoint sent {target.provider}/{target.name} an answer of at least {size:,} bytes (the limit is "
        f"{MAX_ANSWER_BYTES:,}); it was dropped. Check that api_base points at a chat-completions server."
    )


def _reply(target: Endpoint, data: Any) -> Reply:
    """The answer's text, token counts and price; TypeError, KeyError, IndexError... for a malformed one."""
    message = data["choices"][0]["message"]
    content = message.get("content")
    if content is not None and type(content) is not str:
        raise TypeError(f"the message content is a {type(content).__name__}, not text")
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise TypeError("usage is not an object")
    prompt_tokens = _tokens(usage.get("prompt_tokens"))
    completion_tokens = _tokens(usage.get("completion_tokens"))
    return Reply(
        text=content or "",
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=pricing.price(
            target.provider, target.name, usage, (prompt_tokens, completion_tokens), data.get("service_tier")
        ),
    )


def _tokens(value: Any) -> int:
    """A token count from the answer: absent is 0, anything but a whole number >= 0 is malformed."""
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value < _MAX_TOKENS:
        raise TypeError(f"a token count of {str(value)[:40]!r} is not a whole number of tokens")
    return value


def _status_error(target: Endpoint, status: int, raw: bytes, headers: dict[str, str]) -> Exception:
    """The litellm exception a call through litellm raises for this HTTP error answer."""
    litellm = load_litellm()
    from litellm.llms.openai.common_utils import OpenAIError

    original = OpenAIError(status_code=status, message=_error_text(raw), headers=headers)
    try:
        mapped = litellm.exception_type(
            model=target.name, original_exception=original, custom_llm_provider=target.provider
        )
    # exception_type raises the mapped exception (and returns only what it does not know how to map).
    except Exception as exc:
        return exc
    return mapped if isinstance(mapped, Exception) else original


def _error_text(raw: bytes) -> str:
    """The provider's error message (``error.message`` of a JSON body), else the start of the body."""
    text = raw[: 4 * _MAX_ERROR_CHARS].decode("utf-8", "replace")
    try:
        message = json.loads(raw)["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return text[:_MAX_ERROR_CHARS] or "(empty body)"
    return str(message)[:_MAX_ERROR_CHARS]
