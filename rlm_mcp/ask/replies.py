"""Reading a root model's reply: which code to run, and whether it gave its final answer as text.

Real models stray from the protocol (as seen in the reference library's issues): they go on after a
code block with output they imagined, tag blocks ```repl, write FINAL(...) in prose, or send no code;
reasoning models served locally put drafts in <think> ... </think>, which are dropped first.
Only code written before any imagined output runs, and FINAL(...) counts only in a reply with no code,
since a model writing code alongside it has not seen that code's output yet.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

CODE_TAGS = frozenset({"", "python", "py", "python3", "repl", "ipython"})
"""Fence tags whose block is run; an untagged block must also parse as Python."""

_FENCE = re.compile(r"(```|~~~)[ \t]*+([\w+-]*+)[^\n]{0,200}+\n(.*?)(?:\1|\Z)", re.DOTALL)
"""A fence, its tag, its body; possessive and bounded so a long line without a newline costs linear time."""
_OUTPUT_HEADING = re.compile(
    r"^[ \t>#*_]*(?:(?:repl|code|execution|expected|sample|actual|program|console)\s+)?"
    r"(?:output|result)s?\b[^\n]{0,40}?:"
    r"|^[ \t]*\[(?:block \d+|stdout|stderr|value|error)\]",
    re.IGNORECASE | re.MULTILINE,
)
_FINAL = re.compile(r"^[ \t>*_]*FINAL(_VAR)?\(", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_]\w*")
_THINKING = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)

INVENTED_OUTPUT = (
    "Your reply went on after the code with output you wrote yourself; that part was ignored. "
    "Stop after your code blocks: the real output comes in the next turn."
)
EMPTY_FINAL = "FINAL() holds no answer: write the answer inside the parentheses, or set FINAL_ANSWER in code."
FINAL_WITH_CODE = (
    "FINAL(...) in a reply that also has code is ignored: you had not seen that code's output yet. "
    "Read the output above, then finish."
)


@dataclass(frozen=True)
class RootReply:
    """What one root reply asks for: code blocks to run, or a final answer as text or as a variable's name."""

    code: list[str]
    final_text: str | None = None
    """The answer of a FINAL(...) line in a reply without code."""
    final_variable: str | None = None
    """The variable named by a FINAL_VAR(name) line in a reply without code."""
    dropped: str = ""
    """Why part of the reply was not used ('' when all of it was): said back to the model."""


def parse(reply: str) -> RootReply:
    """The code to run and the final answer in `reply`, by the rules in this module's docstring."""
    reply = _THINKING.sub("", reply)
    code: list[str] = []
    prose: list[str] = []
    position = 0
    invented = False
    for fence in _FENCE.finditer(reply):
        before = reply[position : fence.start()]
        if code and _OUTPUT_HEADING.search(before):
            invented = True
            break
        prose.append(before)
        position = fence.end()
        tag, body = fence.group(2).lower(), fence.group(3).rstrip()
        closed = fence.group(0).endswith(fence.group(1))
        if tag not in CODE_TAGS or not ((tag and closed) or _parses(body)):
            if code:  # a non-code block after code holds output or an answer the model made up
                invented = True
                break
            continue
        if body.strip():
            code.append(body)
    else:
        tail = reply[position:]
        invented = bool(code) and _OUTPUT_HEADING.search(tail) is not None
        prose.append(tail)
    final = _final(prose)
    if code:
        dropped = INVENTED_OUTPUT if invented else FINAL_WITH_CODE if final is not None else ""
        return RootReply(code, dropped=dropped)
    if final is None:
        return RootReply([])
    is_variable, text = final
    if is_variable:
        name = _NAME.search(text)
        return RootReply([], final_variable=name.group() if name else None)
    return RootReply([], final_text=text)


def final_text(reply: str) -> str:
    """A code-free reply's answer: the inside of its FINAL(...) line if it has one, else all of it."""
    reply = _THINKING.sub("", reply)
    found = _final([reply])
    return found[1] if found is not None and not found[0] else reply.strip()


def _final(prose: list[str]) -> tuple[bool, str] | None:
    """(names a variable, text) of the first FINAL(...) or FINAL_VAR(...) starting a line of prose."""
    for text in prose:
        found = _FINAL.search(text)
        if found is not None:
            return found.group(1) is not None, _unquoted(_balanced(text[found.end() :]).strip())
    return None


def _balanced(text: str) -> str:
    """`text` up to the parenthesis closing FINAL( (the last one when they never balance)."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[:index]
            depth -= 1
    return text


def _unquoted(text: str) -> str:
    """A quoted string literal's value (FINAL("42") means 42); anything else as it is."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            value = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return text
        return value if isinstance(value, str) else text
    return text


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True
