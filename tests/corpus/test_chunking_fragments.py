"""Chunking does not shred: headers, closing brackets and comments stay with the code they belong to."""

from __future__ import annotations

import pytest

from rlm_mcp.corpus.fragments import fragment_bytes
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, ChunkRow, partition

from .conftest import SAMPLES
from .test_partition import _stdlib_slice

BUDGET_TOKENS = 200
BUDGET = BUDGET_TOKENS * BYTES_PER_TOKEN


def _texts(path: str, data: bytes, tokens: int = BUDGET_TOKENS) -> list[bytes]:
    """The chunks' texts, after checking they tile ``data`` exactly and stay within the budget."""
    chunks = partition(path, data, tokens).chunks
    texts = [data[row[1] : row[2]] for row in chunks]
    assert b"".join(texts) == data
    assert max(map(len, texts)) <= tokens * BYTES_PER_TOKEN
    return texts


def _holding(texts: list[bytes], piece: bytes) -> bytes:
    return next(text for text in texts if piece in text)


def test_a_call_whose_argument_is_over_budget_keeps_its_head_and_closing_paren() -> None:
    """``describe('add', `` and the final ``)`` are not chunks of their own: each rides with test code."""
    cases = "".join(f"  it('case {i}', () => {{\n    expect(add({i}, 1)).toBe({i + 1})\n  }})\n\n" for i in range(40))
    data = f"import {{ add }} from './add'\n\ndescribe('add', () => {{\n{cases}}})\n".encode()
    texts = _texts("add.spec.ts", data)
    assert b"it('case 0'" in _holding(texts, b"describe('add', ")
    assert texts[-1].endswith(b"})\n") and b"it('case 39'" in texts[-1]
    assert min(map(len, texts)) > 100


def test_a_long_go_function_keeps_its_signature_and_closing_brace_with_statements() -> None:
    """Go's ``statement_list`` no longer leaves ``func F() {`` and ``}`` as 1-6-token chunks."""
    body = "".join(f"\tif x == {i} {{\n\t\treturn {i * 3}\n\t}}\n" for i in range(120))
    data = f"package p\n\nfunc Long(x int) int {{\n{body}\treturn 0\n}}\n".encode()
    texts = _texts("long.go", data)
    assert b"if x == 0 {" in _holding(texts, b"func Long(x int) int {")
    assert texts[-1].endswith(b"\treturn 0\n}\n") and b"if x == 119" in texts[-1]
    rows = partition("long.go", data, BUDGET_TOKENS).chunks
    assert {(row[5], row[6]) for row in rows} == {("function", "Long")}


def test_a_long_leading_comment_is_cut_between_lines_not_inside_the_declaration() -> None:
    """A Javadoc over budget is cut at line ends; ``@Override public String toString()`` stays whole."""
    doc = "".join(f"     * Line {i} of a long explanation of what this method does and why.\n" for i in range(40))
    data = (
        "package p;\n\npublic class A {\n    /**\n" + doc + "     */\n"
        '    @Override\n    public String toString() {\n        return "A";\n    }\n}\n'
    ).encode()
    texts = _texts("A.java", data)
    assert all(text.endswith(b"\n") for text in texts)
    assert b"*/\n    @Override\n    public String toString() {" in texts[-1]
    rows = partition("A.java", data, BUDGET_TOKENS).chunks
    assert (rows[-1][5], rows[-1][6]) == ("method", "A.toString")


def test_items_sharing_lines_are_cut_where_a_line_starts() -> None:
    """A long initializer with several items per line is cut at line starts, not between two items."""
    rows = "".join("    " + ", ".join(f'"k{row}_{col}"' for col in range(8)) + ",\n" for row in range(200))
    data = f"static const char *keys[] = {{\n{rows}}};\n".encode()
    texts = _texts("keys.c", data)
    assert len(texts) > 5
    assert all(text.endswith(b"\n") for text in texts)


def _leftover_fragments(path: str, data: bytes, tokens: int) -> list[int]:
    """Indexes of fragments that a neighbour could still have taken within the budget."""
    chunks: tuple[ChunkRow, ...] = partition(path, data, tokens).chunks
    budget, small = tokens * BYTES_PER_TOKEN, fragment_bytes(tokens * BYTES_PER_TOKEN)
    sizes = [row[2] - row[1] for row in chunks]
    return [
        index
        for index, size in enumerate(sizes)
        if size < small
        and any(0 <= other < len(sizes) and sizes[other] + size <= budget for other in (index - 1, index + 1))
    ]


@pytest.mark.parametrize("tokens", [50, 200, 1500])
def test_no_fragment_is_left_where_a_neighbour_has_room(tokens: int) -> None:
    """Over every sample and a slice of the standard library, a small piece joins a neighbour if one has room."""
    paths = [path for path in SAMPLES.iterdir() if path.suffix != ".md"] + _stdlib_slice(40)
    for path in paths:
        assert _leftover_fragments(path.name, path.read_bytes(), tokens) == [], path


def test_a_heading_before_a_long_section_is_not_a_chunk_of_its_own() -> None:
    """``# Guide`` directly followed by a long ``## Install`` section joins that section's first chunk."""
    steps = "".join(f"Step {i}: run the installer again and read what it prints.\n" for i in range(60))
    data = f"# Guide\n\n## Install\n\n{steps}\n## Use\n\nRun it.\n".encode()
    texts = _texts("GUIDE.md", data)
    assert texts[0].startswith(b"# Guide\n\n## Install\n\nStep 0")
    assert min(map(len, texts)) > 100
