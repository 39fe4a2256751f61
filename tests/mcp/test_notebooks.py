"""A notebook in a loaded folder reaches the REPL as its cells' text, outputs left out, never as its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio

OUTPUT = "an output nobody should index"


def _notebook() -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": [OUTPUT]}],
            "source": ["def total(rows):\n", "    return sum(rows)\n"],
        },
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


async def test_the_repl_reads_a_notebook_as_its_cells(client: Client, tmp_path: Path) -> None:
    """files[...].text is the percent-format cells, grep finds the code, the output is nowhere, nothing is withheld."""
    (tmp_path / "analysis.ipynb").write_text(_notebook())
    (tmp_path / "app.py").write_text("x = 1\n")
    loaded = await client.call_tool("rlm_load_context", {"source": str(tmp_path)})
    assert loaded.structured_content is not None and loaded.structured_content["files"] == 2
    assert loaded.structured_content["withheld_lines"]["files"] == 0
    code = "\n".join(
        [
            "t = files['analysis.ipynb'].text",
            "print(t.splitlines()[0])",
            f"print('OUT' if {OUTPUT!r} in t else 'clean')",
            "print([h.where for h in grep('def total')])",
            "print([s.name for s in symbols if s.where.startswith('analysis')])",
        ]
    )
    ran = await client.call_tool("rlm_exec", {"code": code})
    assert ran.structured_content is not None, ran.content
    output = ran.structured_content["output"]
    assert "# %% [markdown] 1" in output and "clean" in output
    assert "analysis.ipynb:6" in output and "['total']" in output
