"""Jupyter notebooks as text: the cells' sources in the "percent" format, outputs left out.

A notebook's JSON is mostly escaping and outputs (images in base64, tables); what an agent reads is
its cells. The text a notebook stands for is each cell's source after a ``# %% [kind] N`` marker
line (N counts cells from 1), markdown and raw cells commented out with ``# ``, so the whole is
valid Python: code cells parse as Python and chunks cut between cells. The JSON file itself is not
what the sandbox reads; the loader ships this text in its place.
"""

from __future__ import annotations

import json

MARKER = "# %%"


def notebook_text(data: bytes) -> bytes | None:
    """The cells of notebook ``data`` as percent-format text, or ``None`` when it is not a notebook's JSON."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return None
    parts = []
    for number, cell in enumerate(cells, 1):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        text = "".join(line for line in source if isinstance(line, str)) if isinstance(source, list) else str(source)
        if kind != "code":
            text = "\n".join(f"# {line}".rstrip() for line in text.split("\n"))
        parts.append(f"{MARKER} [{kind if isinstance(kind, str) else 'unknown'}] {number}\n{text.rstrip()}\n")
    return "\n".join(parts).encode("utf-8", "replace")


def is_notebook_json(data: bytes) -> bool:
    """Whether ``data`` is still the notebook's JSON rather than its cells' text."""
    return data.lstrip()[:1] == b"{"
