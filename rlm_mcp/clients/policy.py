"""A short usage policy for the agent (CLAUDE.md, AGENTS.md, GEMINI.md): when to reach for the rlm tools.

Written between markers, so running setup again replaces it and leaves the rest of the file alone.
"""

from __future__ import annotations

from pathlib import Path

from rlm_mcp.clients.files import write_with_backup

START = "<!-- rlm-mcp policy: start -->"
END = "<!-- rlm-mcp policy: end -->"


def policy(server_name: str) -> str:
    """The policy text for a server registered as `server_name`, markers included."""
    return f"""{START}
## Large contexts: the `{server_name}` MCP server (rlm-mcp)

Reach for the rlm tools when a question needs more of the repository (or of a log or dump) than you can
read file by file: where something is handled, every place that does X, an audit across many files.
For one known file or a small edit, read the file directly instead.

- `rlm_load_context(source=<folder or file>)` once; read its manifest, not the files.
- `rlm_exec` for exact questions, with no LLM calls: `grep`, `find_symbols`, `refs`, `callers`,
  `imports`, `repo_map`, `read`. Keep intermediate results in variables; print summaries.
- `rlm_query(prompt, over=...)` (or `llm_batch` in code) to map one question over many chunks.
- `rlm_ask(question)` when one cited answer is enough and the server may run the whole loop.
- `rlm_status` shows what is loaded and the sub-call budget left.

Cite `path:line` from the results, and re-read those lines before relying on them.
{END}
"""


def with_policy(existing: str, server_name: str) -> str:
    """`existing` with the policy section replaced, or appended when it has none."""
    section = policy(server_name)
    start, end = existing.find(START), existing.find(END)
    if 0 <= start < end:
        return existing[:start] + section + existing[end + len(END) :].lstrip("\n")
    return (existing.rstrip("\n") + "\n\n" if existing.strip() else "") + section


def write_policy(path: Path, server_name: str) -> Path | None:
    """Add or refresh the policy section in `path`; returns the backup of the old file, if any."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    return write_with_backup(path, with_policy(existing, server_name))
