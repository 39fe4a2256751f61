"""Big values on every backend and every Python the sandbox image may have (CI runs 3.11 and 3.13).

A trailing value or a variable with more than 10,000 items, or holding big containers inside
small ones, comes back shortened with its true size, and SHOW_VARS and `vars` still describe it.
"""

from __future__ import annotations

import pytest

from rlm_mcp.repl_client import ReplClient

pytestmark = pytest.mark.anyio

CAP = 2000
"""The cap each exec below asks for: a shortened value fits in it, its true size included."""


async def test_a_trailing_list_of_20000_items_is_shortened_with_its_length(repl: ReplClient) -> None:
    """`list(range(20000))` as the last expression: its head and its true length, not the runtime's traceback."""
    result = await repl.exec("list(range(20000))", max_chars=CAP)
    assert result.error is None
    assert result.value is not None and len(result.value) <= CAP
    assert result.value.startswith("[0, 1, 2, 3, ") and result.value.endswith("...] [20,000 items in all]")


async def test_a_trailing_dict_of_20000_items_is_shortened_with_its_length(repl: ReplClient) -> None:
    """A dict past 10,000 entries shows its first entries and its size."""
    result = await repl.exec("{i: str(i) for i in range(20000)}", max_chars=CAP)
    assert result.error is None
    assert result.value is not None and len(result.value) <= CAP
    assert result.value.startswith("{0: '0', 1: '1', ") and result.value.endswith("...} [20,000 items in all]")


@pytest.mark.parametrize(
    "code",
    [
        "[list(range(20000)) for _ in range(3)]",
        "{'rows': [{'line': i, 'tags': list(range(50))} for i in range(20000)]}",
        "import collections\ncollections.Counter(i % 15000 for i in range(100000))",
        "('x' * 3_000_000, 'y' * 3_000_000)",
        "[[0] * 1_000_000] * 5000",
        "[[[['x' * 1000] * 50] * 50] * 50] * 50",
    ],
    ids=["big-inside-small", "deep-records", "counter", "long-strings-in-a-tuple", "a-billion-zeros", "shared-rows"],
)
async def test_big_values_nested_in_containers_are_shortened(repl: ReplClient, code: str) -> None:
    """A small container holding big ones (or one many times) is cut at every level, before its repr is built."""
    result = await repl.exec(code, max_chars=CAP)
    assert result.error is None
    assert result.value is not None and len(result.value) <= CAP
    assert "..." in result.value and result.value.endswith(" in all]")


async def test_show_vars_and_vars_describe_variables_past_10000_items(repl: ReplClient) -> None:
    """After big values were made, SHOW_VARS and the `vars` request still answer, with each size."""
    await repl.exec("big = list(range(20000))\ntable = {i: i for i in range(20000)}\nlist(range(20000))")
    shown = await repl.exec("SHOW_VARS()")
    assert shown.error is None
    assert "big: list len=20,000 = [0, 1, 2" in shown.stdout and "table: dict len=20,000 = {0: 0," in shown.stdout
    rows = {row["name"]: row for row in await repl.request("vars")}
    assert (rows["big"]["len"], rows["table"]["len"]) == (20000, 20000)
    assert all(len(row["preview"]) <= 80 for row in rows.values())


async def test_small_values_keep_their_exact_repr(repl: ReplClient) -> None:
    """Shortening is only for big values: a small nested one comes back exactly as repr() writes it."""
    result = await repl.exec("{'a': [1, (2, 3)], 'b': {4}, 'c': 'text', 'd': (5,)}")
    assert result.value == "{'a': [1, (2, 3)], 'b': {4}, 'c': 'text', 'd': (5,)}"


async def test_a_cycle_is_written_once_like_repr_does(repl: ReplClient) -> None:
    """A list that holds itself among 20,000 items shows `[...]` where it recurs, as repr() would."""
    result = await repl.exec("loop = [1]\nloop.append(loop)\nloop.extend(range(20000))\nloop", max_chars=CAP)
    assert result.value is not None and result.value.startswith("[1, [...], 0, 1, 2, ")
