"""What the root model of rlm_ask reads: the system prompt, the opening turn, feedback, the last call.

The root never sees the context itself, only the question, the bounded manifest and the bounded
output of the code it wrote. Its code runs in the session's REPL, so the README's namespace applies.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rlm_mcp.render import clip

ANSWER_VARIABLE = "FINAL_ANSWER"
"""The REPL variable the root sets, to a str, to finish: its value is the answer of rlm_ask."""

_MANIFEST_CHARS = 6000
_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)

SYSTEM = f"""\
You answer a question about a context that is far too large to read: usually a whole repository,
sometimes a huge text. It is loaded in a persistent Python REPL. You work by writing Python, in
```python blocks; each block runs in the REPL, and you see what it prints (capped), then write more.
Variables persist between your turns.

The REPL already holds:
- `context`: the repository object (or a str for raw text); `files`: dict path -> File
  (.text, .lines, .language, .size); `chunks`: list of Chunk (.path, .start_line, .end_line,
  .symbol, .kind, .text, .where; str(chunk) starts with "# path:lines"); `symbols`: definitions
  (.name, .kind, .path, .start_line, .where).
- `grep(pattern, paths=None, ignore_case=False, fixed=False)` -> hits (.path, .line, .text, .where);
  `read(path, start, end)` -> lines of one file; `partition(budget, paths, languages, kinds)`.
- `llm_query(prompt)` -> str and `llm_batch(prompts)` -> list of str: sub-LLM calls that can read
  what you cannot (e.g. a chunk's text); llm_batch runs them concurrently. They cost tokens.
- The standard library (re, ast, collections, json, ...).

Method: probe cheaply first (sizes, grep, symbols), narrow down in code, delegate reading to
llm_batch over the chunks that matter, aggregate in code, and verify the few lines that support
the answer with read() or grep(). Print summaries, not whole files: output is capped.

To finish, set `{ANSWER_VARIABLE}` to a str holding the complete answer, e.g.
{ANSWER_VARIABLE} = "parse_header raises ValueError on an empty line (src/io/parse.py:88)"
Cite path:line for every claim about code. Setting {ANSWER_VARIABLE} ends the session at once,
so set it only when you are done. Reply with one or more ```python blocks and little else."""


def opening(question: str, manifest: dict[str, Any], max_iterations: int, output_chars: int) -> str:
    """The first user turn: the question and the context's manifest, bounded."""
    summary = clip(json.dumps(manifest, indent=1, default=str), _MANIFEST_CHARS, "manifest cut")
    return (
        f"<question>\n{question.strip()}\n</question>\n\n"
        f"The loaded context (its manifest; the text itself is only reachable from code):\n{summary}\n\n"
        f"You have at most {max_iterations} turns; each output you see is capped at {output_chars} characters. "
        f"Start by exploring with code."
    )


def feedback(iteration: int, max_iterations: int, outputs: list[str]) -> str:
    """The user turn after an iteration: what the code printed, and how many turns are left."""
    if not outputs:
        body = f"No ```python block found in your reply. Write code, or set {ANSWER_VARIABLE} to finish."
    else:
        body = "\n\n".join(f"[block {n}]\n{text}" for n, text in enumerate(outputs, 1))
    left = max_iterations - iteration
    return f"Output of turn {iteration} ({left} turn(s) left):\n{body}"


FINAL_REQUEST = (
    "[final turn] The limit of this session is reached: no more code will run. Answer the question "
    "now, in plain text, from what you have found so far; cite path:line where you can, and say what "
    "you could not check."
)
"""The last user turn when the iteration limit hits: ask for the best answer from what the root has."""


def code_blocks(reply: str) -> list[str]:
    """The Python blocks of a reply, in order; empty blocks dropped."""
    return [block.rstrip() for block in _CODE_BLOCK.findall(reply) if block.strip()]
