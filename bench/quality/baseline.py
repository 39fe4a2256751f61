"""The baseline: the same root model given the raw repository, cut to its context window, and the question."""

from __future__ import annotations

import re

from rlm_mcp.llm import Message

from .repository import BYTES_PER_TOKEN

SYSTEM = (
    "You answer questions about the repository given below (each file starts with a '### path' line). "
    "It may have been cut short to fit your context window. Answer exactly in the format the question asks."
)
_HEADER = re.compile(r"^### (\S+)\n", re.MULTILINE)


def messages(sources: dict[str, str], question: str, window_tokens: int) -> list[Message]:
    """The chat: the files in path order, truncated so the whole prompt fits `window_tokens`."""
    tail = f"\n\n<question>\n{question}\n</question>"
    budget = max(window_tokens * BYTES_PER_TOKEN - len(SYSTEM) - len(tail), 0)
    body = "".join(f"### {path}\n{sources[path]}\n" for path in sorted(sources))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": body[:budget] + tail}]


def visible_sources(prompt: str) -> dict[str, str]:
    """The files (the last one possibly cut) a baseline prompt shows."""
    body = prompt[: prompt.rfind("\n\n<question>")]
    parts = _HEADER.split(body)
    return {parts[i]: parts[i + 1].removesuffix("\n") for i in range(1, len(parts) - 1, 2)}
