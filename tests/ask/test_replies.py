"""Reading a root reply: which blocks run, where made-up output starts, and which FINAL(...) lines count."""

from __future__ import annotations

import time

import pytest

from rlm_mcp.ask.replies import FINAL_WITH_CODE, INVENTED_OUTPUT, RootReply, final_text, parse


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("```python\nx = 1\n```\n```repl\ny = 2\n```", RootReply(["x = 1", "y = 2"])),
        ("```\nprint(1)\n```", RootReply(["print(1)"])),
        ("Tree:\n```\nsrc/\n  a.py\n```\n```py\nz = 3\n```", RootReply(["z = 3"])),
        ("```python\nprint(1)", RootReply(["print(1)"])),
        ("```python\nprint(1\n", RootReply([])),
        (
            "```python\nx = 1\n```\nOutput:\n```\n1\n```\n```python\ny = x\n```",
            RootReply(["x = 1"], dropped=INVENTED_OUTPUT),
        ),
        ("```python\nx = 1\n```\n```text\n1\n```", RootReply(["x = 1"], dropped=INVENTED_OUTPUT)),
        ("```python\nx = 1\n```\n**Result:** 1", RootReply(["x = 1"], dropped=INVENTED_OUTPUT)),
        ("```python\nx = 1\n```\n[stdout]\n1", RootReply(["x = 1"], dropped=INVENTED_OUTPUT)),
        ("```python\nx = 1\n```\nFINAL(1)", RootReply(["x = 1"], dropped=FINAL_WITH_CODE)),
        ("Found it.\nFINAL(f(x) is 2 (a.py:3))", RootReply([], final_text="f(x) is 2 (a.py:3)")),
        ("FINAL('quoted')", RootReply([], final_text="quoted")),
        ('> FINAL_VAR("answer")', RootReply([], final_variable="answer")),
        ("I will call FINAL(x) when sure.", RootReply([])),
        ("no code at all", RootReply([])),
        ("<think>Try ```python\nx = 0\n``` first?</think>\n```python\nx = 1\n```", RootReply(["x = 1"])),
        ("<think>FINAL(draft)</think>\nFINAL(done)", RootReply([], final_text="done")),
        ("<think>still thinking ```python\nx = 0\n```", RootReply([])),
    ],
)
def test_replies_are_read_by_the_protocol_rules(reply: str, expected: RootReply) -> None:
    """Code-tagged or parseable blocks run until made-up output; FINAL counts on its own line, without code;
    a reasoning model's <think> drafts (closed or cut off) count for nothing."""
    assert parse(reply) == expected


def test_the_last_code_free_answer_is_the_inside_of_final_or_the_whole_text() -> None:
    """At the iteration limit, a FINAL(...) line gives its inside; prose is kept whole."""
    assert final_text("So:\nFINAL(42)") == "42"
    assert final_text("  It is 42.  ") == "It is 42."
    assert final_text("<think>maybe 41</think>\nIt is 42.") == "It is 42."


@pytest.mark.parametrize("reply", ["```" + "a" * 50_000, "`" * 50_000, "```a```b" * 10_000])
def test_a_long_line_of_fences_without_a_newline_is_read_in_linear_time(reply: str) -> None:
    """A root reply is hostile input read on the event loop: fence-like text with no newline must not backtrack."""
    started = time.perf_counter()
    assert parse(reply) == RootReply([])
    assert time.perf_counter() - started < 0.5
