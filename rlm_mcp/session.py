"""A Session: one loaded context + one sandbox REPL + one sub-LLM broker, used one call at a time.

`Sessions` holds them by name; different sessions run in parallel, calls on one session are
serialised by its lock. Nothing here knows about MCP: the server maps tools onto these methods.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup

from rlm_mcp.backends import Backend, LaunchSpec, open_backend
from rlm_mcp.backends.base import CONTEXT_MOUNT
from rlm_mcp.config import Settings
from rlm_mcp.corpus import Corpus, load_corpus, load_text, repartition
from rlm_mcp.errors import ContextError, LLMError, ModelNotConfigured, RLMError, SandboxError
from rlm_mcp.llm import SAMPLING_MODEL, Broker, CallFailure, Completion, Message, Outcome, Sampler
from rlm_mcp.repl_client import ExecResult, ReplClient

log = logging.getLogger(__name__)

SourceKind = Literal["auto", "path", "text"]
Progress = Callable[[int, int, str], Awaitable[None]]
"""(done, total, message): how a long call reports progress to whoever asked for it."""

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LONGEST_PATH = 4096


def looks_like_path(source: str) -> bool:
    """True when `source` names an existing file or folder, or is a glob; anything else is raw text."""
    if not source or "\n" in source or len(source) > _LONGEST_PATH:
        return False
    if any(ch in source for ch in "*?["):
        return True
    try:
        return Path(source).expanduser().exists()
    except OSError:  # e.g. a component longer than the file system allows
        return False


def _single_file(corpus: Corpus) -> Path | None:
    """The file itself when the context is one file: mounting just it keeps its neighbours out of reach."""
    if corpus.root is None or len(corpus.files) != 1:
        return None
    path = corpus.root / corpus.files[0].path
    return path if corpus.source and Path(corpus.source).expanduser().resolve() == path else None


def _answer_record(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, CallFailure):
        return {"ok": False, "type": outcome.error, "error": outcome.message}
    return {"ok": True, "text": outcome.text}


class Session:
    """One named workspace; create through `Sessions.get`."""

    def __init__(self, name: str, settings: Settings, backend: Backend, tasks: TaskGroup) -> None:
        self.name = name
        self.settings = settings
        self.backend = backend
        self.broker = Broker(settings.broker_config(), Path(settings.cache_dir) / "llm", sampler=self.sample)
        self.lock = anyio.Lock()
        self.corpus: Corpus | None = None
        self.progress: Progress | None = None
        """Set for the duration of a call by whoever wants to hear how far it got."""
        self.client_sampler: Sampler | None = None
        """Set for the duration of a call when the caller's client can answer sub-calls (MCP sampling)."""
        self._tasks = tasks
        self._repl: ReplClient | None = None
        self._mount_root: Path | None = None
        self.created = time.time()

    # -- the sandbox -------------------------------------------------------------------------

    async def repl(self) -> ReplClient:
        """The session's REPL, started on first use."""
        if self._repl is None:
            repl = ReplClient(
                self.backend, self._launch_spec(), self.settings, self._tasks, self.serve_sandbox, self._reattach
            )
            self._repl = await repl.start()
        return self._repl

    def _launch_spec(self) -> LaunchSpec:
        mounts = {}
        if self._mount_root is not None:
            single_file = self._mount_root.is_file()
            mounts[self._mount_root] = f"{CONTEXT_MOUNT}/{self._mount_root.name}" if single_file else CONTEXT_MOUNT
        return LaunchSpec(self.name, mounts)

    async def _reattach(self, repl: ReplClient) -> str:
        """After a restart, give the fresh REPL the context again so the next exec just works."""
        if self.corpus is None:
            return ""
        await repl.request("load", context=self._payload(repl))
        return " and the context re-attached"

    def _payload(self, repl: ReplClient) -> dict[str, Any]:
        assert self.corpus is not None
        payload = self.corpus.payload()
        payload["root"] = self._context_path(repl)
        payload["source"] = self.corpus.source
        if self.corpus.root is None:
            payload["text"] = self.corpus.text
        return payload

    async def sample(self, messages: Sequence[Message], *, max_tokens: int, temperature: float | None) -> str:
        """The broker's fallback when no model is configured: the current caller's client, if it samples."""
        if self.client_sampler is None:
            raise ModelNotConfigured()
        return await self.client_sampler(messages, max_tokens=max_tokens, temperature=temperature)

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
        corpus = await anyio.to_thread.run_sync(loader, source, options)
        notes = await self._mount(_single_file(corpus) or corpus.root)
        repl = await self.repl()
        self.corpus = corpus
        await repl.request("load", context=self._payload(repl))
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
        if self.corpus is None or self.corpus.root is None:
            return None
        root = self.corpus.root
        for host, inside in repl.paths.items():
            if host == _single_file(self.corpus):  # only that file is mounted, in the mount folder
                return inside.rsplit("/", 1)[0]
            if root.is_relative_to(host):
                relative = root.relative_to(host).as_posix()
                return inside if relative == "." else f"{inside}/{relative}"
        return str(root)

    async def _mount(self, root: Path | None) -> list[str]:
        """Make `root` visible in the sandbox; a docker sandbox must restart to mount a new folder."""
        if root is None or (self._mount_root is not None and root.is_relative_to(self._mount_root)):
            return []
        self._mount_root = root
        if self._repl is None or self.backend.name == "local":
            return []
        lost = [row["name"] for row in await self._repl.request("vars")]
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
        rows: list[dict[str, Any]] = await self._repl.request("vars")
        return rows

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
        rendered = await repl.request("render", template=prompt, over=over, limit=limit, into=into)
        prompts: list[str] = rendered["prompts"]
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
            if self.progress is not None:
                await self.progress(done, len(prompts), f"{done}/{len(prompts)} sub-calls answered")

        if sampled is not None:
            answer = Completion(sampled, SAMPLING_MODEL, 0, 0, 0.0, False, False, 0.0, 1)
            self.broker.ledger.record(SAMPLING_MODEL, answer)
            outcomes: list[Outcome] = [answer]
        else:
            outcomes = await self.broker.batch(prompts, model=model, on_item=on_item, **params)
        answers = [_answer_record(o) for o in outcomes]
        await repl.request("assign", name=into, answers=answers, single=over is None)
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
            "failed": sum(1 for a in answers if not a["ok"]),
            "answers": answers,
            "elapsed_s": round(time.perf_counter() - started, 3),
            "usage": self.broker.usage(),
        }

    # -- requests from the sandbox ------------------------------------------------------------

    async def serve_sandbox(self, op: str, payload: dict[str, Any]) -> Any:
        """Answer what code in the sandbox asks the host for: sub-LLM calls and re-partitioning."""
        if op == "llm":
            prompts = [str(p) for p in payload.get("prompts", [])]
            total, done = len(prompts), 0

            async def on_item(index: int, outcome: Outcome) -> None:
                nonlocal done
                done += 1
                if self.progress is not None:
                    await self.progress(done, total, f"llm_batch: {done}/{total} answered")

            params = dict(payload.get("params") or {})
            outcomes = await self.broker.batch(prompts, model=payload.get("model"), on_item=on_item, **params)
            return [_answer_record(o) for o in outcomes]
        if op == "partition":
            if self.corpus is None:
                raise ContextError("no context is loaded yet: call rlm_load_context first")
            corpus = self.corpus

            def rechunk() -> list[list[Any]]:
                subset = repartition(
                    corpus,
                    chunk_tokens=payload.get("chunk_tokens"),
                    paths=tuple(payload.get("paths") or ()),
                    languages=tuple(payload.get("languages") or ()),
                    kinds=tuple(payload.get("kinds") or ()),
                )
                rows: list[list[Any]] = subset.chunk_records()["rows"]
                return rows

            return await anyio.to_thread.run_sync(rechunk)
        raise SandboxError(f"the sandbox asked for an unknown operation {op!r}")

    async def status(self) -> dict[str, Any]:
        manifest = self.corpus.manifest() if self.corpus is not None else None
        return {
            "session": self.name,
            "sandbox": {
                "backend": self.backend.name,
                "isolation": self.backend.isolation,
                "running": self._repl is not None and self._repl.alive,
                "restarts": self._repl.restarts if self._repl else 0,
            },
            "context": _manifest_summary(manifest),
            "variables": await self._status_variables(),
            "usage": self.broker.usage(),
        }

    async def reset_variables(self) -> list[str]:
        """Drop the user's variables, keep the sandbox and the context."""
        if self._repl is None:
            return []
        names = [row["name"] for row in await self._repl.request("vars")]
        if names:
            await self._repl.exec("\n".join(f"del {name}" for name in names))
        return names

    async def close(self) -> None:
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
    """Every session of one server, plus the backend and task group they share."""

    def __init__(self, settings: Settings, backend: Backend, tasks: TaskGroup, notice: str | None = None) -> None:
        self.settings = settings
        self.backend = backend
        self.backend_notice = notice
        self._tasks = tasks
        self._sessions: dict[str, Session] = {}

    def names(self) -> list[str]:
        return sorted(self._sessions)

    def get(self, name: str, create: bool = True) -> Session:
        """The session called `name`, created when `create` (otherwise an error naming the existing ones)."""
        session = self._sessions.get(name)
        if session is not None:
            return session
        if not create:
            known = ", ".join(self.names()) or "none yet"
            raise RLMError(f"unknown session {name!r} (sessions: {known}); rlm_load_context creates one")
        if not _SESSION_NAME.match(name):
            raise RLMError(f"invalid session name {name!r}: use 1-64 letters, digits, '_', '-' or '.'")
        if len(self._sessions) >= self.settings.max_sessions:
            raise RLMError(
                f"{len(self._sessions)} sessions are open ({', '.join(self.names())}), the most this server keeps "
                f"(RLM_MAX_SESSIONS): reuse one, or free one with rlm_reset(session=..., scope='session')"
            )
        session = self._sessions[name] = Session(name, self.settings, self.backend, self._tasks)
        return session

    async def drop(self, name: str) -> None:
        session = self._sessions.pop(name, None)
        if session is not None:
            await session.close()

    async def close_all(self) -> None:
        with anyio.CancelScope(shield=True):
            for name in list(self._sessions):
                await self.drop(name)


@asynccontextmanager
async def running_sessions(settings: Settings) -> AsyncIterator[Sessions]:
    """Sessions on the configured backend for the duration of the block; all removed on exit, even when cancelled.

    Catch errors inside the block: one escaping it arrives wrapped in an exception group.
    """
    async with anyio.create_task_group() as tasks:
        backend, notice = await open_backend(settings, tasks)
        sessions = Sessions(settings, backend, tasks, notice)
        try:
            yield sessions
        finally:
            with anyio.CancelScope(shield=True):
                await sessions.close_all()
                await backend.aclose()
            tasks.cancel_scope.cancel()
