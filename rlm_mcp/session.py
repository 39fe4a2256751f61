"""A Session: one loaded context + one sandbox REPL + one sub-LLM broker, used one call at a time.

`Sessions` holds them by name; different sessions run in parallel, calls on one session are
serialised by its lock. Nothing here knows about MCP: the server maps tools onto these methods.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup

from rlm_mcp._sandbox import wire
from rlm_mcp.backends import Backend, LaunchSpec, open_backend
from rlm_mcp.backends.base import CONTEXT_MOUNT
from rlm_mcp.config import Settings
from rlm_mcp.corpus import Corpus, load_corpus, load_text, repartition
from rlm_mcp.corpus import queries as code_queries
from rlm_mcp.corpus.exposure import Exposure
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN
from rlm_mcp.errors import ContextError, LLMError, ModelNotConfigured, ProtocolError, RLMError, SandboxError
from rlm_mcp.llm import SAMPLING_MODEL, Broker, CallFailure, Completion, Message, Outcome, Sampler
from rlm_mcp.repl_client import ExecResult, ReplClient
from rlm_mcp.sizes import parse_size

log = logging.getLogger(__name__)

SourceKind = Literal["auto", "path", "text"]
Progress = Callable[[int, int, str], Awaitable[None]]
"""(done, total, message): how a long call reports progress to whoever asked for it."""

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LONGEST_PATH = 4096
_PATH_SHAPE = re.compile(r"^(?:~[\w.-]*(?:[/\\]|$)|\.{1,2}(?:[/\\]|$)|/[^/*\s]|[A-Za-z]:[/\\]|\\\\)")
"""Absolute, home-relative, dot-relative, Windows drive or UNC: what an agent passes meaning a path."""


def looks_like_path(source: str) -> bool:
    """True when `source` is one line shaped like a path (`/x`, `~/x`, `./x`, `C:\\x`), a glob, or names a file.

    Anything else is raw text. A path-shaped source that does not exist is then an error naming it,
    not a one-line text context.
    """
    if not source or "\n" in source or len(source) > _LONGEST_PATH:
        return False
    if any(ch in source for ch in "*?[") or _PATH_SHAPE.match(source):
        return True
    try:
        return Path(source).expanduser().exists()
    except OSError:  # e.g. a component longer than the file system allows
        return False


def _answer_record(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, CallFailure):
        return wire.Answer(False, kind=outcome.error, message=outcome.message).to_wire()
    return wire.Answer(True, text=outcome.text).to_wire()


class SessionClosed(RLMError):
    """The session was closed (rlm_reset scope='session', or the server stopping) while a call waited for it."""


@dataclass(frozen=True)
class CallHooks:
    """What the current call lends the session: where progress goes, and the client's sampler if any."""

    progress: Progress | None = None
    sampler: Sampler | None = None


MAX_PARTITION_CHUNKS = 100_000
"""A re-partition that would make more chunks is refused before any work (a budget of 1 token on MBs)."""


class Session:
    """One named workspace; create through `Sessions.get`, use through `async with session.use(...)`."""

    def __init__(self, name: str, settings: Settings, backend: Backend, tasks: TaskGroup) -> None:
        self.name = name
        self.settings = settings
        self.backend = backend
        self.broker = Broker(settings.broker_config(), Path(settings.cache_dir) / "llm", sampler=self.sample)
        self.corpus: Corpus | None = None
        self._lock = anyio.Lock()
        self._closed = False
        self._hooks = CallHooks()
        self._tasks = tasks
        self._repl: ReplClient | None = None
        self._exposure: Exposure | None = None
        self._host_work = anyio.CapacityLimiter(1)
        """The one worker thread the sandbox's requests run on: however many it sends, the shared pool stays free."""
        self.created = time.time()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        """Whether a call holds the session right now."""
        return self._lock.locked()

    @asynccontextmanager
    async def use(self, progress: Progress | None = None, sampler: Sampler | None = None) -> AsyncIterator[Session]:
        """Hold the session for one call (calls on a session run one at a time), lending it the call's hooks.

        A call that waited behind a reset of the whole session is refused instead of starting a
        sandbox that no one owns.
        """
        async with self._lock:
            if self._closed:
                raise SessionClosed(
                    f"session {self.name!r} was closed while this call waited for it (rlm_reset scope='session'); "
                    "load a context again to start a new one"
                )
            self._hooks = CallHooks(progress, sampler)
            try:
                yield self
            finally:
                self._hooks = CallHooks()

    # -- the sandbox -------------------------------------------------------------------------

    async def repl(self) -> ReplClient:
        """The session's REPL, started on first use."""
        if self._closed:
            raise SessionClosed(f"session {self.name!r} is closed")
        if self._repl is None:
            repl = ReplClient(
                self.backend, self._launch_spec(), self.settings, self._tasks, self.serve_sandbox, self._reattach
            )
            self._repl = await repl.start()
        return self._repl

    def _launch_spec(self) -> LaunchSpec:
        exposure = self._exposure
        if exposure is None:
            return LaunchSpec(self.name)
        return LaunchSpec(self.name, exposure.mounts(CONTEXT_MOUNT), exposure.masked(CONTEXT_MOUNT))

    async def _reattach(self, repl: ReplClient) -> str:
        """After a restart, give the fresh REPL the context again so the next exec just works."""
        if self.corpus is None:
            return ""
        await repl.request(wire.Op.LOAD, context=self._payload(repl), timeout_s=self.settings.start_timeout_s)
        return " and the context re-attached"

    def _payload(self, repl: ReplClient) -> dict[str, Any]:
        assert self.corpus is not None
        payload = self.corpus.payload()
        payload["root"] = self._context_path(repl)
        payload["source"] = self.corpus.source
        payload["cache_bytes"] = parse_size(self.settings.text_cache)
        if self.corpus.root is None:
            payload["text"] = self.corpus.text
        return payload

    async def sample(self, messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str:
        """The broker's fallback when no model is configured: the current caller's client, if it samples."""
        sampler = self._hooks.sampler
        if sampler is None:
            raise ModelNotConfigured()
        return await sampler(messages, max_tokens=max_tokens, temperature=temperature)

    async def _report(self, done: int, total: int, message: str) -> None:
        if self._hooks.progress is not None:
            await self._hooks.progress(done, total, message)

    # -- tools -------------------------------------------------------------------------------

    async def load(
        self,
        source: str,
        kind: SourceKind = "auto",
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        chunk_tokens: int | None = None,
    ) -> dict[str, Any]:
        """Load a folder, file, glob or raw text; return the manifest. Other variables are kept."""
        as_text = kind == "text" or (kind == "auto" and not looks_like_path(source))
        if not source.strip():
            raise ContextError("source is empty: pass a folder, a file, a glob, or the text itself")
        options = self.settings.load_options(include, exclude, chunk_tokens)
        loader = load_text if as_text else load_corpus
        await self._report(0, 3, "reading the text" if as_text else f"walking and parsing {source[:200]}")
        corpus = await anyio.to_thread.run_sync(loader, source, options)
        await self._report(1, 3, f"indexed {len(corpus.files):,} files; starting the sandbox")
        notes = await self._mount(corpus.exposure)
        repl = await self.repl()
        self.corpus = corpus
        await self._report(2, 3, "handing the index to the sandbox")
        await repl.request(wire.Op.LOAD, context=self._payload(repl), timeout_s=self.settings.start_timeout_s)
        await self._report(3, 3, "loaded")
        manifest = corpus.manifest()
        manifest["sandbox"] = {
            "backend": self.backend.name,
            "isolation": self.backend.isolation,
            "context_path": self._context_path(repl),
        }
        if notes:
            manifest["notes"] = notes
        return manifest

    def _context_path(self, repl: ReplClient) -> str | None:
        """Where the sandbox sees the context's root: under its mount, or the host path (local)."""
        if self.corpus is None or self.corpus.root is None or self._exposure is None:
            return None
        return self._exposure.where(self.corpus.root, repl.paths)

    async def _mount(self, exposure: Exposure | None) -> list[str]:
        """Show the sandbox what `exposure` allows (and no more); a docker sandbox must restart to change it."""
        if exposure is None or (self._exposure is not None and self._exposure.covers(exposure)):
            return []
        self._exposure = exposure
        root = exposure.root
        if self._repl is None or self.backend.name == "local":
            return []
        lost = [row["name"] for row in await self._repl.request(wire.Op.VARS)]
        await self._repl.close()
        self._repl = None
        if not lost:
            return []
        return [
            f"The sandbox was restarted to mount {root}; these variables were lost: {', '.join(lost[:20])}. "
            "Load folders under the first one, or use one session per repository, to keep variables."
        ]

    async def exec(self, code: str, timeout_s: float | None = None, max_chars: int | None = None) -> ExecResult:
        if not code.strip():
            raise RLMError("code is empty: pass the Python to run, e.g. print(len(files))")
        repl = await self.repl()
        return await repl.exec(code, timeout_s, max_chars)

    async def variables(self) -> list[dict[str, Any]]:
        if self._repl is None:
            return []
        rows: list[dict[str, Any]] = await self._repl.request(wire.Op.VARS)
        return rows

    async def get_variable(self, name: str, max_chars: int) -> str | None:
        """A variable's text (a str as it is, anything else as its bounded repr), or None when it is not set."""
        if self._repl is None:
            return None
        found = await self._repl.request(wire.Op.GET, name=name, max_chars=max_chars)
        return str(found["text"]) if found.get("found") else None

    async def delete_variables(self, names: list[str] | None = None) -> list[str]:
        """Delete the named variables (every user variable when None); the names actually deleted."""
        if self._repl is None:
            return []
        reply = await self._repl.request(wire.Op.DELETE, names=names)
        return [str(name) for name in reply["deleted"]]

    async def _status_variables(self) -> list[dict[str, Any]] | str:
        """Variables for a status report, which must neither wait for a running exec nor restart anything."""
        if self._repl is None or not self._repl.alive:
            return "no sandbox running"
        try:
            if (await self._repl.ping())["busy"]:
                return "an exec is running; ask again when it is done"
            return await self.variables()
        except SandboxError:
            return "the sandbox is being restarted"

    async def render(
        self, prompt: str, over: str | None = None, limit: int | None = None, into: str | None = None
    ) -> list[str]:
        """The prompt(s) with their {{expr}} placeholders evaluated in the REPL.

        `into`, the variable the answers will go to, is checked here, before any call is paid for.
        """
        repl = await self.repl()
        rendered = await repl.request(
            wire.Op.RENDER, template=prompt, over=over, limit=limit, into=into, timeout_s=self.settings.exec_timeout_s
        )
        prompts = rendered.get("prompts") if isinstance(rendered, dict) else None
        if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
            raise ProtocolError("the sandbox sent malformed prompts; run rlm_query again")
        return prompts

    async def query(
        self,
        prompt: str,
        over: str | None,
        into: str,
        model: str | None,
        limit: int | None,
        sampled: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Render the prompt in the REPL (once, or per item of `over`), ask the sub-LLM, store the answers.

        `sampled` is an answer the client already gave by MCP sampling (the Resolve/Sample form).
        """
        repl = await self.repl()
        prompts = await self.render(prompt, over, limit, into)
        started = time.perf_counter()
        done = 0

        async def on_item(index: int, outcome: Outcome) -> None:
            nonlocal done
            done += 1
            await self._report(done, len(prompts), f"{done}/{len(prompts)} sub-calls answered")

        if sampled is not None:
            answer = Completion(sampled, SAMPLING_MODEL, 0, 0, 0.0, False, False, 0.0, 1)
            self.broker.ledger.record(SAMPLING_MODEL, answer)
            outcomes: list[Outcome] = [answer]
        else:
            outcomes = await self.broker.batch(prompts, model=model, on_item=on_item, options=params)
        answers = [_answer_record(o) for o in outcomes]
        await repl.request(wire.Op.ASSIGN, name=into, answers=answers, single=over is None)
        failed = [a for a in answers if not a["ok"]]
        if answers and len(failed) == len(answers):
            first = failed[0]
            raise LLMError(
                f"all {len(answers)} sub-call(s) failed (their LLMFailure objects are in `{into}`): "
                f"{first['type']}: {first['error']}"
            )
        return {
            "variable": into,
            "items": len(prompts),
            "failed": len(failed),
            "answers": answers,
            "elapsed_s": round(time.perf_counter() - started, 3),
            "usage": self.broker.usage(),
        }

    # -- requests from the sandbox (hostile input: every field is checked) --------------------

    async def serve_sandbox(self, op: str, payload: dict[str, Any]) -> Any:
        """Answer what code in the sandbox asks the host for: sub-LLM calls, re-partitioning, code queries."""
        if op == wire.Op.LLM:
            return await self._serve_llm(payload)
        if op == wire.Op.PARTITION:
            return await self._serve_partition(payload)
        if op in code_queries.OPS:
            return await self._serve_code_query(op, payload)
        raise ProtocolError(f"the sandbox asked for an unknown operation {op[:64]!r}")

    async def _serve_llm(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        prompts = payload.get("prompts")
        if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
            raise ProtocolError("llm requests carry `prompts`, a list of strings")
        model = payload.get("model")
        if model is not None and not isinstance(model, str):
            raise ProtocolError("a sub-call's model must be a string")
        params = payload.get("params") or {}
        if not isinstance(params, dict):
            raise ProtocolError("a sub-call's params must be keyword arguments")
        total, done = len(prompts), 0

        async def on_item(index: int, outcome: Outcome) -> None:
            nonlocal done
            done += 1
            await self._report(done, total, f"llm_batch: {done}/{total} answered")

        outcomes = await self.broker.batch(prompts, model=model, on_item=on_item, options=params)
        return [_answer_record(o) for o in outcomes]

    async def _serve_code_query(self, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """refs, imports, repo map: answered in a worker thread (the first one builds the corpus's index)."""
        corpus = self.corpus
        if corpus is None:
            raise ContextError("no context is loaded yet: call rlm_load_context first")
        return await anyio.to_thread.run_sync(code_queries.answer, op, corpus, payload, limiter=self._host_work)

    async def _serve_partition(self, payload: dict[str, Any]) -> dict[str, Any]:
        corpus = self.corpus
        if corpus is None:
            raise ContextError("no context is loaded yet: call rlm_load_context first")
        budget = payload.get("chunk_tokens")
        if budget is not None and (type(budget) is not int or not 50 <= budget <= 1_000_000):
            raise ContextError("partition(budget=...) takes a whole number of tokens from 50 to 1,000,000")
        files = payload.get("files")
        if files is not None and (
            not isinstance(files, list) or not all(type(i) is int and 0 <= i < len(corpus.files) for i in files)
        ):
            raise ProtocolError("partition requests name files by their index in the loaded file list")
        kinds = payload.get("kinds") or []
        if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
            raise ContextError("partition(kinds=...) takes a kind or a list of kinds, e.g. ['function', 'class']")
        chosen = range(len(corpus.files)) if files is None else files
        selected_bytes = sum(corpus.files[index].size for index in set(chosen))
        estimate = selected_bytes // (BYTES_PER_TOKEN * (budget or corpus.chunk_tokens))
        if estimate > MAX_PARTITION_CHUNKS:
            smallest = -(-selected_bytes // (BYTES_PER_TOKEN * MAX_PARTITION_CHUNKS))
            raise ContextError(
                f"that partition would make about {estimate:,} chunks (at most {MAX_PARTITION_CHUNKS:,}): "
                f"use budget >= {smallest:,} or fewer paths"
            )

        def rechunk() -> dict[str, Any]:
            subset = repartition(corpus, chunk_tokens=budget, files=files, kinds=kinds)
            return subset.chunk_records()

        return await anyio.to_thread.run_sync(rechunk, limiter=self._host_work)

    async def status(self) -> dict[str, Any]:
        manifest = self.corpus.manifest() if self.corpus is not None else None
        return {
            "session": self.name,
            "sandbox": {
                "running": self._repl is not None and self._repl.alive,
                "restarts": self._repl.restarts if self._repl else 0,
            },
            "context": _manifest_summary(manifest),
            "variables": await self._status_variables(),
            "usage": self.broker.usage(),
        }

    async def reset_variables(self) -> list[str]:
        """Drop the user's variables, keep the sandbox and the context; the names deleted."""
        return await self.delete_variables(None)

    async def close(self) -> None:
        """Stop the sandbox and release the cache; calls waiting for the session are then refused."""
        self._closed = True
        if self._repl is not None:
            await self._repl.close()
            self._repl = None
        self.broker.close()


def _manifest_summary(manifest: dict[str, Any] | None) -> dict[str, Any] | None:
    if manifest is None:
        return None
    keep = ("source", "kind", "files", "bytes", "tokens", "chunks", "symbols", "languages")
    return {key: manifest[key] for key in keep if key in manifest}


class Sessions:
    """Every session of one server, plus the backend and task group they share.

    Over stdio there is one client, and sessions are named by it. With `private` (HTTP, where any
    holder of the token may call and the 2026-07-28 protocol has no connection to tell clients
    apart) a new session is named by an unguessable handle only its creator learns, nothing lists
    the others, and a session unused for RLM_HTTP_SESSION_IDLE seconds is closed.
    """

    def __init__(
        self, settings: Settings, backend: Backend, tasks: TaskGroup, notice: str | None = None, private: bool = False
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.backend_notice = notice
        self.private = private
        self._tasks = tasks
        self._sessions: dict[str, Session] = {}
        self._used: dict[str, float] = {}

    def names(self) -> list[str]:
        """Every session's name, for the server's own bookkeeping; `listed` is what a caller may see."""
        return sorted(self._sessions)

    def listed(self) -> list[str]:
        """The sessions a caller may list: all of them for the one stdio client, none when handles are private."""
        return [] if self.private else self.names()

    def open(self, name: str) -> Session:
        """The session called `name`, or a new one: named `name`, or by a fresh handle `name-<random>` when private."""
        return self._known(name) or self._create(name)

    def get(self, name: str, create: bool = True) -> Session:
        """The session called `name`; an unknown one is created when `create`, unless handles are private.

        A private session is created only by `open`, whose caller returns the handle: one made here could
        never be named again.
        """
        session = self._known(name)
        if session is not None:
            return session
        if not create or self.private:
            raise RLMError(self._unknown(name))
        return self._create(name)

    def _known(self, name: str) -> Session | None:
        session = self._sessions.get(name)
        if session is not None:
            self._used[name] = time.monotonic()
        return session

    def _create(self, name: str) -> Session:
        if not _SESSION_NAME.match(name):
            raise RLMError(f"invalid session name {name!r}: use 1-64 letters, digits, '_', '-' or '.'")
        if len(self._sessions) >= self.settings.max_sessions:
            open_ones = "" if self.private else f" ({', '.join(self.names())})"
            raise RLMError(
                f"{len(self._sessions)} sessions are open{open_ones}, the most this server keeps (RLM_MAX_SESSIONS): "
                "reuse one, or free one with rlm_reset(session=..., scope='session')"
            )
        handle = f"{name}-{secrets.token_urlsafe(12)}" if self.private else name
        session = self._sessions[handle] = Session(handle, self.settings, self.backend, self._tasks)
        self._used[handle] = time.monotonic()
        return session

    def _unknown(self, name: str) -> str:
        if self.private:
            return (
                f"unknown session {name!r}: over HTTP a session is named by the handle rlm_load_context returned "
                f"(its 'session' field), and one unused for {self.settings.http_session_idle_s:g}s is closed; "
                "pass that handle as session=..., or call rlm_load_context to start a new one"
            )
        known = ", ".join(self.names()) or "none yet"
        return f"unknown session {name!r} (sessions: {known}); rlm_load_context creates one"

    async def drop(self, name: str) -> None:
        session = self._sessions.pop(name, None)
        self._used.pop(name, None)
        if session is not None:
            await session.close()

    async def close_idle(self) -> None:
        """Forever: close the sessions no call has named for RLM_HTTP_SESSION_IDLE seconds (their client is gone)."""
        idle = self.settings.http_session_idle_s
        while True:
            await anyio.sleep(idle / 4)
            now = time.monotonic()
            for name, session in self._sessions.items():
                if session.busy:  # a call is running (a long rlm_ask): idleness counts from its end
                    self._used[name] = now
            for name in [name for name, used in self._used.items() if used < now - idle]:
                log.info("closing session %s: unused for %gs", name.partition("-")[0], idle)
                # This loop runs in the task group every session shares: a failure must not end it.
                try:
                    with anyio.CancelScope(shield=True):
                        await self.drop(name)
                except Exception:
                    log.exception("closing idle session %s failed", name.partition("-")[0])

    async def close_all(self) -> None:
        with anyio.CancelScope(shield=True):
            for name in list(self._sessions):
                await self.drop(name)


@asynccontextmanager
async def running_sessions(settings: Settings, private: bool = False) -> AsyncIterator[Sessions]:
    """Sessions on the configured backend for the duration of the block; all removed on exit, even when cancelled.

    `private`: sessions named by unguessable handles and closed when idle (see Sessions). Catch errors
    inside the block: one escaping it arrives wrapped in an exception group.
    """
    async with anyio.create_task_group() as tasks:
        backend, notice = await open_backend(settings, tasks)
        sessions = Sessions(settings, backend, tasks, notice, private)
        if private:
            tasks.start_soon(sessions.close_idle)
        try:
            yield sessions
        finally:
            with anyio.CancelScope(shield=True):
                await sessions.close_all()
                await backend.aclose()
            tasks.cancel_scope.cancel()
