"""What the root model of rlm_ask reads: the system prompt, the opening turn, feedback, the last call.

The root never sees the context itself, only the question, the bounded manifest and the bounded
output of the code it wrote. Its code runs in the session's REPL, so the README's namespace applies.
"""

from __future__ import annotations

import json
from typing import Any

from rlm_mcp.render import clip

ANSWER_VARIABLE = "FINAL_ANSWER"
"""The REPL variable the root sets, to a str, to finish: its value is the answer of rlm_ask."""

_MANIFEST_CHARS = 6000

_SUB_CALLS = """\
- `llm_query(prompt)` -> str and `llm_batch(prompts)` -> list of str: sub-LLM calls that can read
  what you cannot (e.g. a chunk's text); llm_batch runs them concurrently. They cost tokens.
"""
_METHOD = {
    True: "narrow down in code, delegate reading to\nllm_batch over the chunks that matter, aggregate in code,",
    False: "narrow down in code, read the chunks that\nmatter in code (there are no sub-LLM calls), aggregate in code,",
}


def system(sub_calls: bool = True) -> str:
    """The root's system prompt; without `sub_calls` it leaves out llm_query/llm_batch (the REPL-only RLM)."""
    return f"""\
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
{_SUB_CALLS if sub_calls else ""}- The standard library (re, ast, collections, json, ...).

Method: probe cheaply first (sizes, grep, symbols), {_METHOD[sub_calls]} and verify the few lines that support
the answer with read() or grep(). Print summaries, not whole files: output is capped.
End your reply after your code blocks: the real output comes in the next turn, so never write it
yourself. Blocks run in order; after one fails, the rest of that reply does not run.

To finish, set `{ANSWER_VARIABLE}` to a str holding the complete answer, e.g.
{ANSWER_VARIABLE} = "parse_header raises ValueError on an empty line (src/io/parse.py:88)"
Cite path:line for every claim about code. Setting {ANSWER_VARIABLE} ends the session at once,
so set it only when you are done (a block that fails after setting it does not count). A reply
without code may instead end with FINAL(your answer) on a line of its own.
Reply with one or more ```python blocks and little else."""


SYSTEM = system()
"""The system prompt of an rlm_ask with sub-calls (the default)."""


def opening(question: str, manifest: dict[str, Any], max_iterations: int, output_chars: int) -> str:
    """The first user turn: the question and the context's manifest, bounded."""
    summary = clip(json.dumps(manifest, indent=1, default=str), _MANIFEST_CHARS, "manifest cut")
    return (
        f"<question>\n{question.strip()}\n</question>\n\n"
        f"The loaded context (its manifest; the text itself is only reachable from code):\n{summary}\n\n"
        f"You have at most {max_iterations} turns; each output you see is capped at {output_chars} characters. "
        f"Start by exploring with code."
    )


NO_CODE = (
    f"No ```python block found in your reply. Write code, set {ANSWER_VARIABLE} in code to finish, "
    "or reply with FINAL(your answer) on a line of its own."
)


def feedback(iteration: int, max_iterations: int, outputs: list[str], notes: list[str] | None = None) -> str:
    """The user turn after an iteration: what the code printed, what was not used, and the turns left."""
    body = "\n\n".join(f"[block {n}]\n{text}" for n, text in enumerate(outputs, 1))
    if notes:
        body = "\n".join(f"[note] {note}" for note in notes) + ("\n\n" + body if body else "")
    elif not outputs:
        body = NO_CODE
    left = max_iterations - iteration
    return f"Output of turn {iteration} ({left} turn(s) left):\n{body}"


FINAL_REQUEST = (
    "[final turn] The limit of this session is reached: no more code will run. Answer the question "
    "now, in plain text, from what you have found so far; cite path:line where you can, and say what "
    "you could not check."
)
"""The last user turn when the iteration limit hits: ask for the best answer from what the root has."""
