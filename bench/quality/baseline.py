"""The baseline: the same root model given the raw repository, cut to its context window, and the question.

The cut errs on the short side, so a provider never refuses the prompt as too long: 3 bytes a token
(source code tokenizes denser than the project's 4-byte estimate) and room kept for the answer.
"""

from __future__ import annotations

import re

from rlm_mcp.llm import Message

SYSTEM = (
    "You answer questions about the repository given below (each file starts with a '### path' line). "
    "It may have been cut short to fit your context window. Answer exactly in the format the question asks."
)
PROMPT_BYTES_PER_TOKEN = 3
ANSWER_TOKENS = 4096
"""Tokens of the window left free for the model's answer."""
_HEADER = re.compile(r"^### (\S+)\n", re.MULTILINE)


def messages(sources: dict[str, str], question: str, window_tokens: int) -> list[Message]:
    """The chat: the files in path order, truncated so the prompt and an answer fit `window_tokens`."""
    tail = f"\n\n<question>\n{question}\n</question>"
    budget = max((window_tokens - ANSWER_TOKENS) * PROMPT_BYTES_PER_TOKEN - len(SYSTEM) - len(tail), 0)
    body = "".join(f"### {path}\n{sources[path]}\n" for path in sorted(sources))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": body[:budget] + tail}]


def visible_sources(prompt: str) -> dict[str, str]:
    """The files (the last one possibly cut) a baseline prompt shows."""
    body = prompt[: prompt.rfind("\n\n<question>")]
    parts = _HEADER.split(body)
    return {parts[i]: parts[i + 1].removesuffix("\n") for i in range(1, len(parts) - 1, 2)}
