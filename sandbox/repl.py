"""The persistent REPL server: one long-lived process per session (standard library only).

The host talks to it with length-prefixed JSON frames over this process's own stdin/stdout
(see protocol.py). User code runs in ONE globals dict on the main thread; a reader thread
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
from bounded import CapturedText, bounded_repr, clip
from context import ContextError
from host import HostLink
from protocol import FrameError, FrameReader, FrameWriter

DEFAULT_MAX_CHARS = 20_000
KEEP_CHARS = 8_000_000  # how much of one exec's stdout/stderr stays available in `_stdout`/`_stderr`
RESULT_NAMES = ("_", "_stdout", "_stderr")

Handler = Callable[[dict[str, Any]], Any]


class Repl:
    """The interpreter state and the operations the host can ask of it."""

    def __init__(self, writer: FrameWriter) -> None:
        self.writer = writer
        self.host = HostLink(writer)
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.work: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.executing = False
        self.cell = 0
        self.ops: dict[str, Handler] = {
            "exec": self.op_exec,
            "vars": self.op_vars,
            "load": lambda message: helpers.load_context(self, message["context"]),
            "render": lambda message: helpers.render_prompts(self, message),
            "assign": lambda message: helpers.assign_answers(self, message),
        }
        self.helper_names = helpers.install(self)

    # -- reader thread -------------------------------------------------------------------------

    def read_loop(self, reader: FrameReader) -> None:
        """Route every incoming frame; exit the process when the host goes away."""
        while True:
            try:
                message = reader.read()
            except FrameError as exc:
                self.reply_error(None, "ProtocolError", f"{exc}; the frame was dropped, the session goes on")
                continue
            if message is None:
                os._exit(0)  # stdin closed: the host is gone, nobody needs us any more
            if "re" in message:
                self.host.deliver(message)
            elif message.get("op") == "ping":
                self.reply(message, {"pong": True, "busy": self.executing, "pid": os.getpid()})
            elif message.get("op") == "interrupt":
                self.interrupt()
            elif message.get("op") == "shutdown":
                self.reply(message, {"bye": True})
                os._exit(0)
            else:
                self.work.put(message)

    def interrupt(self) -> None:
        """Raise KeyboardInterrupt in the running exec; a no-op between execs."""
        if self.executing:
            # A signal aimed at the main thread also wakes it from a blocking syscall.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def on_sigint(self, _signum: int, _frame: object) -> None:
        if self.executing:
            raise KeyboardInterrupt

    # -- main thread ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Run queued operations one at a time, forever."""
        while True:
            try:
                message = self.work.get()
                self.handle(message)
            except KeyboardInterrupt:
                continue  # a late interrupt that missed its exec

    def handle(self, message: dict[str, Any]) -> None:
        handler = self.ops.get(message.get("op", ""))
        if handler is None:
            self.reply_error(message, "ProtocolError", f"unknown operation {message.get('op')!r}")
            return
        try:
            self.reply(message, handler(message))
        except helpers.UserError as exc:
            self.reply_error(message, type(exc).__name__, str(exc))
        except Exception as exc:
            self.reply_error(message, type(exc).__name__, "".join(traceback.format_exception(exc)))

    def reply(self, message: dict[str, Any], result: Any) -> None:
        self.writer.write({"re": message.get("id"), "ok": True, "result": result})

    def reply_error(self, message: dict[str, Any] | None, kind: str, text: str) -> None:
        request_id = message.get("id") if message else None
        self.writer.write({"re": request_id, "ok": False, "error": {"type": kind, "message": text}})

    # -- operations ----------------------------------------------------------------------------

    def op_exec(self, message: dict[str, Any]) -> dict[str, Any]:
        """Run one cell; report output, the trailing expression, the error and what changed."""
        max_chars = int(message.get("max_chars") or DEFAULT_MAX_CHARS)
        self.cell += 1
        out, err = CapturedText(KEEP_CHARS), CapturedText(KEEP_CHARS)
        before = self.snapshot()
        started = time.perf_counter()
        value: Any = None
        error = None
        try:
            body, last = self.compile_cell(message.get("code", ""), f"<cell {self.cell}>")
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
            value_text = clip(bounded_repr(value, max_chars), max_chars, "the full value is in `_`")
        changed, deleted = self.diff(before)
        return {
            "stdout": clip(ns["_stdout"], max_chars, "the full output is in `_stdout`"),
            "stdout_chars": out.total_chars,
            "stderr": clip(ns["_stderr"], max_chars, "the full output is in `_stderr`"),
            "stderr_chars": err.total_chars,
            "value": value_text,
            "error": error,
            "elapsed_s": round(elapsed, 6),
            "changed": changed,
            "deleted": deleted,
        }

    def compile_cell(self, code: str, filename: str) -> tuple[CodeType, CodeType | None]:
        """Compile a cell; a trailing expression is compiled apart so its value can be shown."""
        tree = ast.parse(code, filename, "exec")
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            expression = ast.Expression(tree.body.pop().value)
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

    def op_vars(self, _message: dict[str, Any]) -> list[dict[str, Any]]:
        return helpers.describe_variables(self.user_variables())

    def user_variables(self) -> dict[str, Any]:
        """The variables the user made: no dunders, no results, no helpers left as installed."""
        return {
            name: value
            for name, value in self.namespace.items()
            if not name.startswith("_") and self.helper_names.get(name) is not value
        }


THIS_FILE = os.path.abspath(__file__)
RUNTIME_DIR = os.path.dirname(THIS_FILE)


def describe_error(exc: BaseException, message: str) -> dict[str, Any]:
    """Type, message and a traceback that shows the user's frames, not the runtime's.

    A UserError or ContextError (a helper refusing bad input or a stale file, with the fix in its
    message) hides the helpers' frames too; any other error keeps them, as they tell which helper failed.
    """
    explained = isinstance(exc, helpers.UserError | ContextError)

    def shown(frame: traceback.FrameSummary) -> bool:
        path = os.path.abspath(frame.filename)
        return path != THIS_FILE and not (explained and path.startswith(RUNTIME_DIR + os.sep))

    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if shown(frame)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    lines += traceback.format_exception_only(type(exc), exc)
    return {"type": type(exc).__name__, "message": message, "traceback": clip("".join(lines), 8_000)}


def format_syntax_error(exc: SyntaxError) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc))


def claim_protocol_streams() -> tuple[FrameReader, FrameWriter]:
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
    return FrameReader(protocol_in), FrameWriter(protocol_out)


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
    writer.write({"op": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
    repl.serve()


if __name__ == "__main__":
    main()
