"""Notebooks: the cells' sources as percent-format text, outputs left out, code cells parsed as Python."""

from __future__ import annotations

import json
import re

from rlm_mcp.corpus.notebook import notebook_text
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, partition

SECRET_OUTPUT = "an output nobody should index"


def _notebook(code_cells: int) -> bytes:
    cells: list[dict[str, object]] = [{"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n", "Steps."]}]
    for i in range(code_cells):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": i,
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [SECRET_OUTPUT]}],
                "source": [f"def step_{i}(rows):\n", f"    total = sum(rows) * {i}\n", "    return total\n"],
            }
        )
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1).encode()


def test_a_notebooks_text_is_its_cells_with_markers_and_no_outputs() -> None:
    """Each cell follows a ``# %% [kind] N`` line; markdown is commented out; outputs are not there."""
    text = notebook_text(_notebook(2))
    assert text is not None
    assert text.startswith(b"# %% [markdown] 1\n# # Analysis\n# Steps.\n\n# %% [code] 2\ndef step_0(rows):\n")
    assert SECRET_OUTPUT.encode() not in text
    assert notebook_text(b'{"name": "not a notebook"}') is None
    assert notebook_text(b"not json") is None


def test_notebook_chunks_start_at_cells_and_code_cells_are_python() -> None:
    """Chunked at a small budget, every chunk starts at a cell marker and the cells' functions are symbols."""
    text = notebook_text(_notebook(30))
    assert text is not None
    parsed = partition("analysis.ipynb", text, 50)
    assert parsed.language == "notebook" and not parsed.parse_error
    chunks = [text[row[1] : row[2]] for row in parsed.chunks]
    assert b"".join(chunks) == text and max(map(len, chunks)) <= 50 * BYTES_PER_TOKEN
    assert len(chunks) > 3 and all(re.match(rb"# %% \[(markdown|code)\] \d+\n", chunk) for chunk in chunks)
    assert {f"step_{i}" for i in range(30)} <= {name for name, *_ in parsed.symbols}


def test_a_notebooks_raw_json_is_still_chunked_by_its_structure() -> None:
    """Handed the JSON itself (cells not extracted), a notebook tiles exactly and is parsed as JSON."""
    data = _notebook(30)
    parsed = partition("analysis.ipynb", data, 50)
    assert not parsed.parse_error
    assert b"".join(data[row[1] : row[2]] for row in parsed.chunks) == data
