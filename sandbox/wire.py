"""The wire contract between the host and the sandbox runtime (standard library only).

Both sides import this one module (the host as `rlm_mcp._sandbox.wire`, the runtime as `wire`):
the frame codec with its size and nesting limits, the operation names, the message shapes, the
typed records that cross, `content_sha`, and the one path-pattern dialect. Nothing about the wire
is written anywhere else.

A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one object:
a request {"id": int, "op": str, ...}, a reply {"re": int | null, "ok": bool, "result" | "error"},
or a notice {"op": str, ...} that gets no reply. Either side may send requests at any time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO, Generic, NamedTuple, Protocol, TypeVar

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 1024 * 1024
"""No frame may be larger, in either direction; the sender refuses, the receiver drops."""
MAX_DEPTH = 32
"""No frame may nest lists and objects deeper; prompts, params and records are shallow."""
MAX_ID = 2**53
MAX_OP_CHARS = 64
MAX_ERROR_CHARS = 20_000
_DISCARD_CHUNK = 1 << 20


# -- operations ------------------------------------------------------------------------------


class Op:
    """Operation names. Host -> sandbox requests first, then sandbox -> host, then notices."""

    EXEC = "exec"
    LOAD = "load"
    VARS = "vars"
    GET = "get"
    DELETE = "delete"
    RENDER = "render"
    ASSIGN = "assign"
    PING = "ping"
    SHUTDOWN = "shutdown"
    LLM = "llm"
    PARTITION = "partition"
    REFS = "refs"
    IMPORTS = "imports"
    REPO_MAP = "repo_map"
    READY = "ready"
    INTERRUPT = "interrupt"
    CANCEL = "cancel"


# -- errors ----------------------------------------------------------------------------------


class WireError(Exception):
    """A message could not be encoded or decoded; the stream stays aligned on the next frame."""


class FrameTooLarge(WireError):
    """A message is over MAX_FRAME_BYTES; the message says how big it was."""

    def __init__(self, size: int, limit: int = MAX_FRAME_BYTES) -> None:
        super().__init__(f"a message of {size:,} bytes is over the {limit:,}-byte frame limit")
        self.size = size
        self.limit = limit


# -- codec -----------------------------------------------------------------------------------


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests lists/tuples/dicts more than `limit` levels (iterative: no recursion)."""
    if not isinstance(value, list | tuple | dict):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = current.values() if isinstance(current, dict) else current
        for child in children:
            if isinstance(child, list | tuple | dict):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def encode(message: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """One frame for `message`; WireError when it nests too deep, FrameTooLarge when it is too big.

    A lone surrogate (bytes decoded with surrogateescape) has no UTF-8 form: it is sent as '?'
    rather than failing the whole message. Values JSON cannot hold are sent as their repr.
    """
    if too_deep(message):
        raise WireError(f"a message may nest lists and dicts at most {MAX_DEPTH} levels deep")
    try:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, RecursionError) as exc:  # a circular structure
        raise WireError(f"the message cannot be sent: {exc}") from None
    body = text.encode("utf-8", "replace")
    if len(body) > max_bytes:
        raise FrameTooLarge(len(body), max_bytes)
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """The object in one frame's body; WireError for anything else (bad JSON, too deep, not an object)."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"the frame is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(message, dict):
        raise WireError(f"a frame must hold a JSON object, not {type(message).__name__}")
    if too_deep(message):
        raise WireError(f"the frame nests deeper than {MAX_DEPTH} levels")
    return message


class FrameReader:
    """Reads frames from a blocking binary stream; None means the peer closed it."""

    def __init__(self, stream: BinaryIO, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._stream = stream
        self._max_bytes = max_bytes

    def read(self) -> dict[str, Any] | None:
        """The next message, None at end of stream; WireError for a bad frame (already skipped)."""
        header = self._read_exactly(HEADER.size)
        if header is None:
            return None
        (size,) = HEADER.unpack(header)
        if size > self._max_bytes:
            self._discard(size)
            raise FrameTooLarge(size, self._max_bytes)
        body = self._read_exactly(size)
        if body is None:
            return None
        return decode(body)

    def _read_exactly(self, size: int) -> bytes | None:
        data = self._stream.read(size)
        return None if data is None or len(data) < size else data

    def _discard(self, size: int) -> None:
        while size > 0:
            chunk = self._stream.read(min(size, _DISCARD_CHUNK))
            if not chunk:
                return
            size -= len(chunk)


class FrameWriter:
    """Writes frames to a blocking binary stream; safe to call from several threads."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, message: dict[str, Any]) -> None:
        """Send one message; raises WireError (nothing sent) when it cannot be framed."""
        frame = encode(message)
        with self._lock:
            self._stream.write(frame)
            self._stream.flush()


# -- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRecord:
    """Why a request failed: a short type name and a message that says what to do."""

    type: str
    message: str

    @classmethod
    def from_wire(cls, data: Any) -> ErrorRecord:
        if not isinstance(data, dict):
            return cls("ProtocolError", "the other side sent an error without details")
        return cls(_text(data.get("type"), 100, "Error"), _text(data.get("message"), MAX_ERROR_CHARS, "unknown error"))


@dataclass(frozen=True)
class Request:
    """A request: the peer owes a reply carrying `id`."""

    id: int
    op: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """The answer to request `re` (None when the request could not even be read)."""

    re: int | None
    ok: bool
    result: Any = None
    error: ErrorRecord | None = None


@dataclass(frozen=True)
class Notice:
    """A one-way message (ready, interrupt, cancel): nothing answers it."""

    op: str
    payload: dict[str, Any]


Message = Request | Reply | Notice


def request(request_id: int, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The wire form of a request (payload keys `id` and `op` are the envelope's)."""
    return {**payload, "id": request_id, "op": op}


def notice(op: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(payload or {}), "op": op}


def reply_ok(request_id: int | None, result: Any) -> dict[str, Any]:
    return {"re": request_id, "ok": True, "result": result}


def reply_error(request_id: int | None, kind: str, message: str) -> dict[str, Any]:
    return {"re": request_id, "ok": False, "error": {"type": kind, "message": message[:MAX_ERROR_CHARS]}}


def parse(message: dict[str, Any]) -> Message:
    """Classify and check a decoded frame; WireError names the first thing wrong with it."""
    if "re" in message:
        re_id = message["re"]
        if re_id is not None and not _is_id(re_id):
            raise WireError(f"a reply's 're' must be a request id (an integer), not {_kind(re_id)}")
        ok = message.get("ok")
        if not isinstance(ok, bool):
            raise WireError(f"a reply's 'ok' must be true or false, not {_kind(ok)}")
        if ok:
            return Reply(re_id, True, message.get("result"))
        return Reply(re_id, False, error=ErrorRecord.from_wire(message.get("error")))
    op = message.get("op")
    if not isinstance(op, str) or not 0 < len(op) <= MAX_OP_CHARS:
        raise WireError(f"a message needs an 'op' string of at most {MAX_OP_CHARS} characters, not {_kind(op)}")
    payload = {key: value for key, value in message.items() if key not in ("id", "op")}
    if "id" not in message:
        return Notice(op, payload)
    if not _is_id(message["id"]):
        raise WireError(f"a request's 'id' must be an integer from 0 to 2**53, not {_kind(message['id'])}")
    return Request(message["id"], op, payload)


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 <= value < MAX_ID


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _text(value: Any, limit: int, default: str) -> str:
    return value[:limit] if isinstance(value, str) and value else default


# -- waiting for replies ---------------------------------------------------------------------


class _Event(Protocol):
    def set(self) -> None: ...
    def is_set(self) -> bool: ...


E = TypeVar("E", bound=_Event)


class Pending(Generic[E]):
    """One request waiting for its reply; `done` is a threading or anyio event."""

    __slots__ = ("done", "reply")

    def __init__(self, done: E) -> None:
        self.done = done
        self.reply: Reply | None = None


class PendingReplies(Generic[E]):
    """Requests in flight by id: each reply wakes its waiter; closing wakes them all with None."""

    def __init__(self, make_event: type[E]) -> None:
        self._make_event = make_event
        self._waiting: dict[int, Pending[E]] = {}
        self._lock = threading.Lock()

    def add(self, request_id: int) -> Pending[E]:
        pending: Pending[E] = Pending(self._make_event())
        with self._lock:
            self._waiting[request_id] = pending
        return pending

    def discard(self, request_id: int) -> None:
        with self._lock:
            self._waiting.pop(request_id, None)

    def deliver(self, reply: Reply) -> bool:
        """Hand `reply` to its waiter; False when nobody waits for it (late, or never asked)."""
        with self._lock:
            pending = self._waiting.pop(reply.re, None) if reply.re is not None else None
        if pending is None:
            return False
        pending.reply = reply
        pending.done.set()
        return True

    def close(self) -> None:
        """The channel is gone: every waiter wakes up to a missing reply."""
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
        for pending in waiting:
            pending.done.set()


# -- records ---------------------------------------------------------------------------------


class FileRecord(NamedTuple):
    """One file of the context; `sha` is `content_sha` of the bytes that were indexed."""

    path: str
    language: str
    size: int
    lines: int
    sha: str


class ChunkRecord(NamedTuple):
    """A chunk: `file` indexes the file table; lines are 1-based inclusive, bytes half-open."""

    id: str
    file: int
    kind: str
    symbol: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    tokens: int


class SymbolRecord(NamedTuple):
    """A definition: qualified name, kind, `file` index into the file table, line span."""

    name: str
    kind: str
    file: int
    start_line: int
    end_line: int


class RefRecord(NamedTuple):
    """An identifier occurrence: `file` indexes the file table, 1-based line, whether it is a callee."""

    file: int
    line: int
    call: bool


class ImportRecord(NamedTuple):
    """An import: the importing `file`, the module as written, its line, the loaded file it names (-1: none)."""

    file: int
    module: str
    line: int
    resolved: int


R = TypeVar("R", FileRecord, ChunkRecord, SymbolRecord, RefRecord, ImportRecord)


def table(records: Iterable[R], record_type: type[R]) -> dict[str, Any]:
    """Records as a compact table: the field names once, then one row per record."""
    return {"fields": list(record_type._fields), "rows": [list(record) for record in records]}


def rows(data: Any, record_type: type[R]) -> list[R]:
    """The records of a table made by `table`; WireError when its fields or a row do not fit."""
    if not isinstance(data, dict) or data.get("fields") != list(record_type._fields):
        raise WireError(f"expected a {record_type.__name__} table with fields {list(record_type._fields)}")
    width = len(record_type._fields)
    table_rows = data.get("rows")
    if not isinstance(table_rows, list) or any(not isinstance(row, list) or len(row) != width for row in table_rows):
        raise WireError(f"every {record_type.__name__} row must be a list of {width} values")
    return [record_type(*row) for row in table_rows]


@dataclass(frozen=True)
class Answer:
    """One sub-call's answer, or why it failed (`ok` False: `kind` and `message` say why)."""

    ok: bool
    text: str = ""
    kind: str = ""
    message: str = ""

    def to_wire(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "text": self.text}
        return {"ok": False, "type": self.kind, "error": self.message}

    @classmethod
    def from_wire(cls, data: Any) -> Answer:
        if not isinstance(data, dict):
            return cls(False, kind="ProtocolError", message="the answer record is not an object")
        if data.get("ok") is True:
            return cls(True, text=str(data.get("text", "")))
        return cls(False, kind=_text(data.get("type"), 100, "Error"), message=str(data.get("error", "")))


@dataclass(frozen=True)
class ExecReport:
    """What one exec produced, bounded by the runtime: output heads, true sizes, value, error, changes."""

    stdout: str = ""
    stdout_chars: int = 0
    stderr: str = ""
    stderr_chars: int = 0
    value: str | None = None
    value_chars: int = 0
    error: dict[str, str] | None = None
    elapsed_s: float = 0.0
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    timed_out: bool = False

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: Any) -> ExecReport:
        """The report in an exec reply; WireError when a field has the wrong type."""
        if not isinstance(data, dict):
            raise WireError("an exec reply must be an object")
        values = {name: value for name, value in data.items() if name in _EXEC_FIELDS}
        for name, value in values.items():
            if not _EXEC_FIELDS[name](value):
                raise WireError(f"exec reply field {name!r} has the wrong type ({type(value).__name__})")
        return cls(**values)


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_EXEC_FIELDS: dict[str, Any] = {
    "stdout": lambda value: isinstance(value, str),
    "stdout_chars": _is_count,
    "stderr": lambda value: isinstance(value, str),
    "stderr_chars": _is_count,
    "value": lambda value: value is None or isinstance(value, str),
    "value_chars": _is_count,
    "error": lambda value: (
        value is None
        or (
            isinstance(value, dict)
            and {"type", "message"} <= value.keys()
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        )
    ),
    "elapsed_s": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "changed": _is_names,
    "deleted": _is_names,
    "timed_out": lambda value: isinstance(value, bool),
}
"""How each ExecReport field from the wire is checked: the sandbox may forge an exec reply."""


# -- content identity ------------------------------------------------------------------------


def content_sha(data: bytes) -> str:
    """A short content hash (64 bits, hex) naming one version of a file's bytes."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


# -- path patterns ---------------------------------------------------------------------------

MAX_PATTERNS = 256
MAX_PATTERN_CHARS = 1024
_WILDCARDS = frozenset("*?[")


class PatternError(ValueError):
    """A path pattern was malformed; the message shows the accepted forms."""


class PathPatterns:
    """The one path-pattern dialect (gitignore style) of every helper and tool argument.

    `*.py` and `tests` (no slash) match a name at any depth; `src/*.py` and `/docs` are anchored at
    the root; `**` spans folders; a trailing `/` matches folders only; a pattern that matches a folder
    selects everything under it; `!pattern` takes paths back out (the last matching pattern decides).
    Matching is linear in the pattern and path (no backtracking regex), so no pattern can stall it.
    """

    def __init__(self, patterns: str | Sequence[str]) -> None:
        items = [patterns] if isinstance(patterns, str) else patterns
        if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
            raise PatternError("path patterns must be a string or a list of strings, e.g. 'src/**/*.py'")
        if len(items) > MAX_PATTERNS:
            raise PatternError(f"at most {MAX_PATTERNS} path patterns at once (got {len(items):,})")
        self._rules: list[tuple[bool, bool, list[str]]] = []
        for item in items:
            if len(item) > MAX_PATTERN_CHARS:
                raise PatternError(f"a path pattern may have at most {MAX_PATTERN_CHARS} characters")
            rule = _compile_rule(item)
            if rule is not None:
                self._rules.append(rule)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def matches(self, path: str) -> bool:
        """Whether `path` (root-relative, '/'-separated, a file) is selected."""
        parts = path.split("/")
        selected = False
        for negated, folder_only, segments in self._rules:
            if selected == (not negated):
                continue  # this rule cannot change the outcome
            if _rule_matches(parts, folder_only, segments):
                selected = not negated
        return selected

    def select(self, paths: Iterable[str]) -> list[str]:
        return [path for path in paths if self.matches(path)]


def _compile_rule(pattern: str) -> tuple[bool, bool, list[str]] | None:
    """(negated, folder_only, segments) for one pattern, unanchored ones led by `**`; None for a blank."""
    text = pattern.strip()
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    text = text[1:] if negated else text
    folder_only = text.endswith("/")
    text = text.strip("/") if folder_only else text
    anchored = "/" in text.rstrip("/")
    text = text.lstrip("/")
    if text.startswith("./"):
        text = text[2:]
    segments = [segment for segment in text.split("/") if segment]
    if not segments:
        return None
    if not anchored:
        segments = ["**", *segments]
    return negated, folder_only, segments


def _rule_matches(parts: list[str], folder_only: bool, segments: list[str]) -> bool:
    """Whether the rule matches the path or one of its folders (a matched folder selects its contents)."""
    last = len(parts) - (1 if folder_only else 0)
    if "**" not in segments:  # anchored, fixed depth: only the prefix of that depth can match
        return len(segments) <= last and all(map(_match_name, segments, parts))
    if len(segments) == 2 and segments[1] != "**":  # a bare name at any depth, the usual case (`*.py`, `tests`)
        return any(_match_name(segments[1], part) for part in parts[:last])
    return any(_match_segments(segments, parts[:end]) for end in range(1, last + 1))


def _match_segments(pattern: list[str], parts: list[str]) -> bool:
    """Glob over path segments: `**` is any run of segments, other segments match one by `_match_name`.

    The classic greedy match with one backtrack point: O(len(pattern) * len(parts)) name matches.
    """
    p = s = 0
    star = -1
    resume = 0
    while s < len(parts):
        if p < len(pattern) and pattern[p] != "**" and _match_name(pattern[p], parts[s]):
            p += 1
            s += 1
        elif p < len(pattern) and pattern[p] == "**":
            star, resume = p, s
            p += 1
        elif star != -1:
            resume += 1
            p, s = star + 1, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "**":
        p += 1
    return p == len(pattern)


@functools.lru_cache(maxsize=1 << 16)
def _match_name(pattern: str, name: str) -> bool:
    """fnmatch-style `*`, `?` and `[...]` within one name, greedy with one backtrack point (linear-ish).

    Folder names repeat across paths, hence the cache; `*.py` and `build*` take a shortcut.
    """
    wild = _WILDCARDS.intersection(pattern)
    if not wild:
        return pattern == name
    if wild == {"*"} and pattern.count("*") == 1 and "\\" not in pattern:
        head, tail = pattern.split("*")
        return len(name) >= len(head) + len(tail) and name.startswith(head) and name.endswith(tail)
    p = n = 0
    star = -1
    resume = 0
    while n < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, n
            p += 1
            continue
        if p < len(pattern):
            step = _match_one(pattern, p, name[n])
            if step:
                p += step
                n += 1
                continue
        if star == -1:
            return False
        resume += 1
        p, n = star + 1, resume
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _match_one(pattern: str, p: int, char: str) -> int:
    """How many pattern characters match `char` at `p` (0: no match): `?`, a `[...]` class, or itself."""
    token = pattern[p]
    if token == "?":
        return 1
    if token == "[":
        end = pattern.find("]", p + 2)
        if end != -1:
            body = pattern[p + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            found = any(
                low <= char <= high
                for low, high in (
                    (body[i], body[i + 2]) if i + 2 < len(body) and body[i + 1] == "-" else (body[i], body[i])
                    for i in _class_starts(body)
                )
            )
            return end - p + 1 if found != negate else 0
    if token == "\\" and p + 1 < len(pattern):
        return 2 if pattern[p + 1] == char else 0
    return 1 if token == char else 0


def _class_starts(body: str) -> list[int]:
    """Start index of each item (`a` or `a-z`) of a character class body."""
    starts, i = [], 0
    while i < len(body):
        starts.append(i)
        i += 3 if i + 2 < len(body) and body[i + 1] == "-" else 1
    return starts
