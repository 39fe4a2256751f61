"""The wire contract on its own: codec limits, message checks, records, the one path-pattern dialect."""

from __future__ import annotations

import fnmatch
import io
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlm_mcp._sandbox import wire

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | json_values.map(lambda value: json.dumps(value).encode()))
def test_any_frame_body_decodes_to_a_message_or_a_wire_error(body: bytes) -> None:
    """No body, however malformed, raises anything but WireError out of decode + parse."""
    try:
        message = wire.parse(wire.decode(body))
    except wire.WireError:
        return
    assert isinstance(message, wire.Request | wire.Reply | wire.Notice)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "re", "op", "ok", "error", "result", "target"]), json_values))
def test_wrong_typed_envelopes_are_refused_with_a_wire_error(message: dict[str, object]) -> None:
    """Ids, reply ids, ops and errors of any type are either valid or refused: never a TypeError."""
    try:
        parsed = wire.parse(message)
    except wire.WireError:
        return
    if isinstance(parsed, wire.Request):
        assert type(parsed.id) is int and isinstance(parsed.op, str)
    if isinstance(parsed, wire.Reply) and not parsed.ok:
        assert parsed.error is not None and isinstance(parsed.error.message, str)


def test_nesting_and_size_limits_hold_in_both_directions() -> None:
    """Encoding refuses what decoding would refuse: too deep, too big; a circular value is a WireError."""
    deep: list[object] = []
    for _ in range(wire.MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(wire.WireError, match="levels deep"):
        wire.encode({"op": "x", "p": deep})
    with pytest.raises(wire.WireError, match="deeper than"):
        wire.decode(json.dumps({"p": deep}).encode())
    with pytest.raises(wire.WireError, match="not valid JSON"):
        wire.decode(b"[" * 200_000)
    with pytest.raises(wire.FrameTooLarge, match="frame limit"):
        wire.encode({"op": "x", "p": "y" * 100}, max_bytes=50)
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(wire.WireError):
        wire.encode({"op": "x", "p": loop})


def test_the_reader_skips_an_oversized_frame_and_reads_the_next() -> None:
    """A frame over the reader's limit is skipped whole; the stream stays aligned."""
    good = wire.encode({"op": "ping", "id": 1})
    stream = io.BytesIO((200).to_bytes(4, "big") + b"z" * 200 + good)
    reader = wire.FrameReader(stream, max_bytes=100)
    with pytest.raises(wire.FrameTooLarge):
        reader.read()
    assert reader.read() == {"op": "ping", "id": 1}
    assert reader.read() is None


def test_lone_surrogates_travel_as_question_marks() -> None:
    """Text decoded with surrogateescape cannot break a frame."""
    frame = wire.encode({"op": "x", "text": "a\udcffb"})
    assert wire.decode(frame[4:])["text"] == "a?b"


def test_records_round_trip_as_tables_and_refuse_the_wrong_shape() -> None:
    """Tables carry field names once; a table of other fields or a short row is a WireError."""
    records = [wire.ChunkRecord("c1", 0, "function", "f", 1, 3, 0, 40, 10)]
    table = json.loads(json.dumps(wire.table(records, wire.ChunkRecord)))
    assert wire.rows(table, wire.ChunkRecord) == records
    with pytest.raises(wire.WireError, match="fields"):
        wire.rows(table, wire.SymbolRecord)
    with pytest.raises(wire.WireError, match="list of 9 values"):
        wire.rows({"fields": list(wire.ChunkRecord._fields), "rows": [[1, 2]]}, wire.ChunkRecord)


@pytest.mark.parametrize(
    ("patterns", "selected", "left_out"),
    [
        ("*.py", ["a.py", "src/deep/b.py"], ["a.pyc", "py/readme.md"]),
        ("src/*.py", ["src/a.py"], ["src/x/a.py", "lib/src/a.py"]),
        ("src/**/*.py", ["src/a.py", "src/x/y/a.py"], ["lib/a.py"]),
        ("tests", ["tests/a.py", "pkg/tests/b/c.py"], ["tests_old/a.py"]),
        ("/docs", ["docs/a.md"], ["pkg/docs/a.md"]),
        ("build/", ["build/out.o"], ["build", "rebuild/x"]),
        (["**/*.py", "!tests/"], ["a.py", "pkg/b.py"], ["tests/a.py"]),
        ("[ab]?.md", ["a1.md", "x/b2.md"], ["c1.md", "a12.md"]),
        ("./src/main.go", ["src/main.go"], ["main.go"]),
    ],
)
def test_one_gitignore_style_dialect(patterns: str | list[str], selected: list[str], left_out: list[str]) -> None:
    """Names match at any depth, slashes anchor, folders select their contents, `!` takes back."""
    matcher = wire.PathPatterns(patterns)
    assert [path for path in selected if not matcher.matches(path)] == []
    assert [path for path in left_out if matcher.matches(path)] == []


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab*?", min_size=1, max_size=12).filter(lambda p: "**" not in p),
    st.text(alphabet="ab", max_size=12),
)
def test_name_globs_agree_with_fnmatch(pattern: str, name: str) -> None:
    """Within one name, `*` and `?` mean what fnmatch means."""
    assert wire.PathPatterns(pattern).matches(name) == fnmatch.fnmatchcase(name, pattern)


def test_backtracking_patterns_match_in_linear_time() -> None:
    """A pattern that makes a backtracking matcher run for minutes is answered at once."""
    matcher = wire.PathPatterns(["*?" * 13 + "X", ("*a" * 500)[:1000] + "X"])
    started = time.perf_counter()
    assert not matcher.matches("/".join(["a" * 200] * 20))
    assert time.perf_counter() - started < 1.0


def test_bad_patterns_are_explained() -> None:
    """Wrong types, too many or too long patterns name the accepted forms."""
    for bad in ([1], {"a": 1}, ["x"] * (wire.MAX_PATTERNS + 1), ["y" * (wire.MAX_PATTERN_CHARS + 1)]):
        with pytest.raises(wire.PatternError):
            wire.PathPatterns(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "forged",
    [
        {"elapsed_s": "soon"},
        {"stdout_chars": -1},
        {"error": {"type": 1}},
        {"error": {}},
        {"changed": "abc"},
        {"value": 3},
    ],
)
def test_a_forged_exec_reply_is_a_wire_error(forged: dict[str, object]) -> None:
    """Sandbox code can forge an exec reply: every field's type is checked before the host formats it."""
    with pytest.raises(wire.WireError, match="wrong type"):
        wire.ExecReport.from_wire({"stdout": "", **forged})
