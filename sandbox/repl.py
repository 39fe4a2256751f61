"""The persistent REPL server: one long-lived process per session (standard library only).

The host talks to it with length-prefixed JSON frames over this process's own stdin/stdout
(the contract is wire.py). User code runs in ONE globals dict on the main thread; a reader thread
keeps listening meanwhile, so pings, interrupts and replies to the sandbox's own requests
(sub-LLM calls) get through while an exec runs. Run as: python3 -s -E -B repl.py
"""

from __future__ import annotations

import ast
import builtins
import linecache
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import CodeType
from typing import Any

import helpers
import wire
from bounded import CapturedText, bounded_repr, clip
from context import ContextError
from host import HostLink

DEFAULT_MAX_CHARS = 20_000
KEEP_CHARS = 8_000_000  # how much of one exec's stdout/stderr stays available in `_stdout`/`_stderr`
RESULT_NAMES = ("_", "_stdout", "_stderr")

Handler = Callable[[dict[str, Any]], Any]
"""Serves one request's payload; returns its JSON-able result or raises."""


class Repl:
    """The interpreter state and the operations the host can ask of it."""

    def __init__(self, writer: wire.FrameWriter) -> None:
        self.writer = writer
        self.host = HostLink(writer)
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.work: queue.SimpleQueue[wire.Request] = queue.SimpleQueue()
        self.executing = False
        """True while user code of an exec runs (ping reports it as busy)."""
        self.serving = False
        """True while any operation runs on the main thread: all of them may run user code (reprs, renders)."""
        self.cell = 0
        self.ops: dict[str, Handler] = {
            wire.Op.EXEC: self.op_exec,
            wire.Op.VARS: lambda _payload: helpers.describe_variables(self.user_variables()),
            wire.Op.GET: self.op_get,
            wire.Op.DELETE: self.op_delete,
            wire.Op.LOAD: lambda payload: helpers.load_context(self, payload["context"]),
            wire.Op.RENDER: lambda payload: helpers.render_prompts(self, payload),
            wire.Op.ASSIGN: lambda payload: helpers.assign_answers(self, payload),
        }
        self.helper_names = helpers.install(self)

    # -- reader thread -------------------------------------------------------------------------

    def read_loop(self, reader: wire.FrameReader) -> None:
        """Route every incoming frame; exit the process when the host goes away."""
        while True:
            try:
                raw = reader.read()
                if raw is None:
                    os._exit(0)  # stdin closed: the host is gone, nobody needs us any more
                message = wire.parse(raw)
            except wire.WireError as exc:
                self.send(wire.reply_error(None, "ProtocolError", f"{exc}; the frame was dropped, the session goes on"))
                continue
            if isinstance(message, wire.Reply):
                self.host.deliver(message)
            elif isinstance(message, wire.Notice):
                if message.op == wire.Op.INTERRUPT:
                    self.interrupt()
            elif message.op == wire.Op.PING:
                self.reply(message, {"pong": True, "busy": self.executing, "pid": os.getpid()})
            elif message.op == wire.Op.SHUTDOWN:
                self.reply(message, {"bye": True})
                os._exit(0)
            else:
                self.work.put(message)

    def interrupt(self) -> None:
        """Raise KeyboardInterrupt in the running exec; a no-op between execs."""
        if self.executing or self.serving:
            # A signal aimed at the main thread also wakes it from a blocking syscall.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def on_sigint(self, _signum: int, _frame: object) -> None:
        if self.executing or self.serving:
            raise KeyboardInterrupt

    # -- main thread ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Run queued operations one at a time, forever."""
        while True:
            try:
                self.handle(self.work.get())
            except KeyboardInterrupt:
                continue  # a late interrupt that missed its exec

    def handle(self, message: wire.Request) -> None:
        handler = self.ops.get(message.op)
        if handler is None:
            self.reply_error(message, "ProtocolError", f"unknown operation {message.op!r}")
            return
        try:
            self.serving = True
            try:
                result = handler(message.payload)
            finally:
                self.serving = False
            self.reply(message, result)
        except (helpers.UserError, ContextError) as exc:
            self.reply_error(message, type(exc).__name__, str(exc))
        except KeyboardInterrupt:
            self.reply_error(message, "Interrupted", f"{message.op} was interrupted; your variables are intact")
        except Exception as exc:
            self.reply_error(message, type(exc).__name__, "".join(traceback.format_exception(exc)))

    def reply(self, message: wire.Request, result: Any) -> None:
        """Answer `message`; a result that cannot be framed becomes an error reply that says so."""
        try:
            self.writer.write(wire.reply_ok(message.id, result))
        except wire.FrameTooLarge as exc:
            self.reply_error(
                message,
                "ReplyTooLarge",
                f"the {message.op} result is too large to send ({exc}); "
                "ask for less at once (fewer items, a smaller limit)",
            )
        except wire.WireError as exc:
            self.reply_error(message, "ProtocolError", f"the {message.op} result cannot be sent: {exc}")

    def reply_error(self, message: wire.Request, kind: str, text: str) -> None:
        self.send(wire.reply_error(message.id, kind, text))

    def send(self, frame: dict[str, Any]) -> None:
        self.writer.write(frame)

    # -- operations ----------------------------------------------------------------------------

    def op_exec(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Run one cell; report output heads with their true sizes, the trailing value, the error, what changed."""
        max_chars = _positive_int(payload.get("max_chars"), DEFAULT_MAX_CHARS)
        code = payload.get("code")
        if not isinstance(code, str):
            raise helpers.UserError("exec needs the code as a string")
        self.cell += 1
        out, err = CapturedText(KEEP_CHARS), CapturedText(KEEP_CHARS)
        before = self.snapshot()
        started = time.perf_counter()
        value: Any = None
        error = None
        try:
            body, last = self.compile_cell(code, f"<cell {self.cell}>")
            value = self.run_captured(body, last, out, err)
        except SyntaxError as exc:
            error = {"type": "SyntaxError", "message": str(exc), "traceback": format_syntax_error(exc)}
        except KeyboardInterrupt as exc:
            error = describe_error(exc, "interrupted; every variable defined before this exec is intact")
        except BaseException as exc:  # SystemExit too: user code must never end the REPL
            error = describe_error(exc, str(exc) + helpers.unloaded_hint(exc))
        elapsed = time.perf_counter() - started
        ns = self.namespace
        ns["_stdout"], ns["_stderr"] = out.getvalue(), err.getvalue()
        value_text = None
        if value is not None:
            ns["_"] = value
            value_text = bounded_repr(value, max_chars)
        changed, deleted = self.diff(before)
        return wire.ExecReport(
            stdout=ns["_stdout"][:max_chars],
            stdout_chars=out.total_chars,
            stderr=ns["_stderr"][:max_chars],
            stderr_chars=err.total_chars,
            value=None if value_text is None else value_text[:max_chars],
            value_chars=0 if value_text is None else len(value_text),
            error=error,
            elapsed_s=round(elapsed, 6),
            changed=changed,
            deleted=deleted,
        ).to_wire()

    def compile_cell(self, code: str, filename: str) -> tuple[CodeType, CodeType | None]:
        """Compile a cell; a trailing expression is compiled apart so its value can be shown."""
        tree = ast.parse(code, filename, "exec")
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        last = None
        if tree.body and isinstance(trailing := tree.body[-1], ast.Expr):
            tree.body.pop()
            expression = ast.Expression(trailing.value)
            last = compile(expression, filename, "eval")
        return compile(tree, filename, "exec"), last

    def run_captured(self, body: CodeType, last: CodeType | None, out: CapturedText, err: CapturedText) -> Any:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        self.executing = True
        try:
            exec(body, self.namespace)
            return eval(last, self.namespace) if last is not None else None
        finally:
            self.executing = False
            sys.stdout, sys.stderr = saved

    def snapshot(self) -> dict[str, int]:
        return {name: id(value) for name, value in self.namespace.items() if not name.startswith("__")}

    def diff(self, before: dict[str, int]) -> tuple[list[str], list[str]]:
        after = self.snapshot()
        changed = [n for n, ident in after.items() if before.get(n) != ident and n not in RESULT_NAMES]
        deleted = [n for n in before if n not in after]
        return changed, deleted

    def op_get(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One variable as text: `str()` of a string, else its bounded repr; `found` False when it is not set."""
        name = payload.get("name")
        if not isinstance(name, str) or name not in self.namespace:
            return {"found": False}
        max_chars = _positive_int(payload.get("max_chars"), DEFAULT_MAX_CHARS)
        value = self.namespace[name]
        text = value if isinstance(value, str) else bounded_repr(value, max_chars)
        return {"found": True, "type": type(value).__name__, "text": text[:max_chars], "chars": len(text)}

    def op_delete(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Delete the named variables, or every user variable when `names` is null; report what went."""
        names = payload.get("names")
        if names is None:
            names = list(self.user_variables())
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise helpers.UserError("delete takes a list of variable names")
        deleted = [name for name in names if self.namespace.pop(name, _MISSING) is not _MISSING]
        return {"deleted": deleted}

    def user_variables(self) -> dict[str, Any]:
        """The variables the user made: no dunders, no results, no helpers left as installed."""
        return {
            name: value
            for name, value in self.namespace.items()
            if not name.startswith("_") and self.helper_names.get(name) is not value
        }


_MISSING = object()


def _positive_int(value: Any, default: int) -> int:
    return value if type(value) is int and value > 0 else default


THIS_FILE = os.path.realpath(__file__)  # real paths: the runtime may be reached through a symlink
RUNTIME_DIR = os.path.dirname(THIS_FILE)


def describe_error(exc: BaseException, message: str) -> dict[str, Any]:
    """Type, message and a traceback that shows the user's frames, not the runtime's.

    A UserError or ContextError (a helper refusing bad input or a stale file, with the fix in its
    message) hides the helpers' frames too; any other error keeps them, as they tell which helper failed.
    """
    explained = isinstance(exc, helpers.UserError | ContextError)

    def shown(frame: traceback.FrameSummary) -> bool:
        path = os.path.realpath(frame.filename)
        return path != THIS_FILE and not (explained and path.startswith(RUNTIME_DIR + os.sep))

    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if shown(frame)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    lines += traceback.format_exception_only(type(exc), exc)
    return {"type": type(exc).__name__, "message": message, "traceback": clip("".join(lines), 8_000)}


def format_syntax_error(exc: SyntaxError) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc))


def claim_protocol_streams() -> tuple[wire.FrameReader, wire.FrameWriter]:
    """Take stdin/stdout for the protocol and point fds 0 and 1 at /dev/null.

    Whatever user code or its subprocesses write to fd 1 can then never corrupt a frame,
    and nothing can read the host's frames from fd 0.
    """
    protocol_in = os.fdopen(os.dup(0), "rb", buffering=1 << 16)
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    return wire.FrameReader(protocol_in), wire.FrameWriter(protocol_out)


def limit_memory(argv: list[str]) -> None:
    """Apply `--limit-memory BYTES` (the local backend's stand-in for a container limit)."""
    if "--limit-memory" in argv:
        import resource

        limit = int(argv[argv.index("--limit-memory") + 1])
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError) as exc:  # macOS may refuse it: run unlimited rather than not at all
            print(f"rlm sandbox: no memory limit ({exc})", file=sys.stderr)


def main() -> None:
    limit_memory(sys.argv)
    reader, writer = claim_protocol_streams()
    repl = Repl(writer)
    signal.signal(signal.SIGINT, repl.on_sigint)
    threading.Thread(target=repl.read_loop, args=(reader,), name="rlm-reader", daemon=True).start()
    writer.write(wire.notice(wire.Op.READY, {"pid": os.getpid(), "python": sys.version.split()[0]}))
    repl.serve()


if __name__ == "__main__":
    main()
