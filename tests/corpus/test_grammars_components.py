"""Vue and Svelte components and HTML pages: their script and style blocks are parsed by their own grammar."""

from __future__ import annotations

import pytest

from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, partition

BUDGET_TOKENS = 100


def _script(count: int) -> str:
    return "".join(
        f"function step{i}(value) {{\n  const next = value * {i}\n  return next + {i}\n}}\n\n" for i in range(count)
    )


def _texts(name: str, data: bytes) -> list[bytes]:
    chunks = partition(name, data, BUDGET_TOKENS).chunks
    texts = [data[row[1] : row[2]] for row in chunks]
    assert b"".join(texts) == data
    assert max(map(len, texts)) <= BUDGET_TOKENS * BYTES_PER_TOKEN
    return texts


@pytest.mark.parametrize("name", ["Steps.vue", "Steps.svelte"])
def test_a_components_script_is_split_at_its_statements(name: str) -> None:
    """A long ``<script lang="ts">`` is cut between functions, which are symbols; markup and style are apart."""
    data = (
        f'<script lang="ts">\n{_script(20)}</script>\n\n'
        '<template>\n  <div class="steps">{{ total }}</div>\n</template>\n\n'
        "<style scoped>\n.steps {\n  color: red;\n}\n</style>\n"
    ).encode()
    texts = _texts(name, data)
    inside = [text for text in texts if b"<template>" not in text and not text.startswith(b"<script")]
    assert inside and all(text.startswith(b"function step") for text in inside)
    assert any(text.startswith(b"<template>") or b"\n<template>" in text for text in texts)
    symbols = {symbol for symbol, *_ in partition(name, data, BUDGET_TOKENS).symbols}
    assert {f"step{i}" for i in range(20)} <= symbols


def test_an_html_pages_inline_script_is_split_at_its_statements() -> None:
    """A long inline ``<script>`` of a page is cut between functions, not in line windows."""
    data = f"<html>\n<body>\n<p>Hi</p>\n<script>\n{_script(20)}</script>\n</body>\n</html>\n".encode()
    texts = _texts("page.html", data)
    assert all(text.startswith((b"function step", b"<html>")) for text in texts)
    assert "step7" in {symbol for symbol, *_ in partition("page.html", data, BUDGET_TOKENS).symbols}
