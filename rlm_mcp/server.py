"""The MCP surface: tools, resources and a prompt, mapped onto Session calls. Nothing else.

Expected failures (RLMError) become ToolErrors whose message reaches the agent; user-code
tracebacks are ordinary results. Every text returned is bounded (render.py).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Literal, TypeVar

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import MCPServerError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resolve import Resolve, Sample
from mcp_types import CallToolRequestParams, CallToolResult, CreateMessageResult, Resource, ToolAnnotations
from pydantic import Field

from rlm_mcp import __version__, render, sampling
from rlm_mcp.ask import AskLimits, run_ask, trajectory
from rlm_mcp.backends import isolation_note
from rlm_mcp.config import Settings
from rlm_mcp.doctor import startup_line
from rlm_mcp.errors import RLMError
from rlm_mcp.http_auth import HttpAccess
from rlm_mcp.keepalive import kept_alive
from rlm_mcp.prompts import STRATEGY
from rlm_mcp.session import Progress, Sessions, running_sessions
from rlm_mcp.tasks import DEFAULT_LIMITS, TaskLimits, TasksExtension, task_progress
from rlm_mcp.tool_results import (
    AskOutput,
    ExecOutput,
    LoadOutput,
    QueryOutput,
    ResetOutput,
    StatusOutput,
    exec_output,
    query_output,
    reset_output,
    shown_names,
    with_text,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SessionName = Annotated[
    str,
    Field(
        description="Workspace name; each holds its own context, sandbox and budget. Over HTTP, the handle "
        "rlm_load_context returned in 'session'."
    ),
]
OutputCap = Annotated[
    int | None,
    Field(description="Cap on the characters returned (default from RLM_MAX_OUTPUT_CHARS; hard max 100000)."),
]

INSTRUCTIONS = """\
rlm-mcp gives you a persistent Python REPL (in a sandbox) holding a whole repository or a huge text,
plus sub-LLM calls you can fan out over its pieces. Load once with rlm_load_context, explore with
rlm_exec (grep, read, find_symbols, refs, repo_map, ...), map a question over many chunks with rlm_query over=...
or llm_batch(...) in code, keep intermediate results in variables, and answer with path:line citations.
Only what you print or return comes back to you, bounded; the full values stay in the REPL."""


@contextmanager
def _as_tool_errors(kind: type[MCPServerError] = ToolError) -> Iterator[None]:
    """Our own errors carry a message for the agent: pass it on as a tool error (or another `kind`)."""
    try:
        yield
    except RLMError as exc:
        raise kind(str(exc)) from None


def _sessions(ctx: Context) -> Sessions:
    sessions = ctx.request_context.lifespan_context
    assert isinstance(sessions, Sessions)
    return sessions


def _logged(tool: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Append every call of `tool` to its session's trajectory log (rlm_mcp/ask/trajectory.py).

    The docstring, which becomes the tool's description, loses its source indentation on the way.
    """

    @functools.wraps(tool)
    async def logged(ctx: Context, **arguments: Any) -> T:
        return await trajectory.log_tool_call(_sessions(ctx), tool.__name__, arguments, tool(ctx, **arguments))

    logged.__doc__ = inspect.cleandoc(tool.__doc__ or "")
    return logged


@asynccontextmanager
async def _reporting(ctx: Context) -> AsyncIterator[Progress]:
    """Progress of the current call: into its task's status when it runs as one, else as MCP progress
    notifications, repeated while the call is quiet so that clients keep waiting."""
    in_task = task_progress.get()
    if in_task is not None:
        yield in_task
        return
    async with kept_alive(ctx.report_progress) as progress:
        yield progress


def _runs_as_task(settings: Settings) -> Callable[[CallToolRequestParams, Any], bool]:
    """Which calls may run as tasks: rlm_ask and rlm_query over items, when no sub-call needs MCP sampling
    (a task outlives the request that sampling would go through)."""
    call_model = settings.broker_config().call_model

    def eligible(params: CallToolRequestParams, _: Any) -> bool:
        arguments = params.arguments or {}
        if params.name == "rlm_ask":
            return call_model is not None and bool(arguments.get("root_model") or settings.root_model or settings.model)
        if params.name == "rlm_query":
            return arguments.get("over") is not None and bool(arguments.get("model") or call_model)
        return False

    return eligible


def _over_expression(over: str | list[Any] | None) -> str | None:
    """`over` as a REPL expression: a list of items given as JSON becomes its Python literal.

    The SDK parses a JSON-looking string argument (`["a.py", "b.py"]`, `[]`) into a list before
    validation, and agents pass real JSON lists too; both mean "these items".
    """
    return repr(over) if isinstance(over, list) else over


async def _sample_when_no_model(
    ctx: Context,
    prompt: str,
    over: str | list[Any] | None = None,
    session: str = "default",
    model: str | None = None,
) -> Sample | None:
    """Without a model, a client on MCP >= 2026-07-28 can still answer one prompt (Resolve/Sample)."""
    sessions = _sessions(ctx)
    configured = model or sessions.settings.broker_config().call_model
    if configured is not None or over is not None or sampling.resolver_sample(ctx, "", 1) is None:
        return None
    with _as_tool_errors():
        (rendered,) = await sessions.get(session).render(prompt)
    return sampling.resolver_sample(ctx, rendered, sessions.settings.sampling_max_tokens)


_SESSION_RESOURCES = (
    ("manifest", "application/json", "files, languages, sizes and what was skipped"),
    ("chunks", "text/tab-separated-values", "id, path:lines, kind, symbol, tokens, one chunk a line"),
)


async def _list_session_resources(ctx: ServerRequestContext[Sessions, Any], call_next: CallNext) -> HandlerResult:
    """resources/list also names each listed session's manifest and chunks (none over HTTP: handles are private)."""
    result = await call_next(ctx)
    if ctx.method != "resources/list" or not isinstance(result, dict):  # the handler's result, serialized
        return result
    live = [
        Resource(uri=f"rlm://{name}/{part}", name=f"{name} {part}", mime_type=mime, description=f"{name}: {what}")
        for name in ctx.lifespan_context.listed()
        for part, mime, what in _SESSION_RESOURCES
    ]
    live_json = [resource.model_dump(mode="json", by_alias=True, exclude_none=True) for resource in live]
    return {**result, "resources": [*result.get("resources", []), *live_json]}


def _hints(
    title: str,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
) -> ToolAnnotations:
    """A tool's hints for clients; everything not said is False (open world = talks to an LLM)."""
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


def build_server(
    settings: Settings, http: HttpAccess | None = None, task_limits: TaskLimits = DEFAULT_LIMITS
) -> MCPServer[Sessions]:
    """The MCP server with its tools; sessions live as long as the server's lifespan.

    With `http`, every request must carry its bearer token, and sessions are private to the client holding
    their handle (see Sessions). `task_limits` bound the calls run as MCP tasks (rlm_mcp/tasks.py).
    """

    tasks = TasksExtension(_runs_as_task(settings), task_limits)

    @asynccontextmanager
    async def lifespan(_: MCPServer[Sessions]) -> AsyncIterator[Sessions]:
        async with running_sessions(settings, private=http is not None) as sessions, tasks.running():
            url = http.url if http else None
            log.info("%s", startup_line(settings, sessions.backend, sessions.backend_notice, url))
            yield sessions

    server: MCPServer[Sessions] = MCPServer(
        "rlm-mcp",
        version=__version__,
        instructions=INSTRUCTIONS + isolation_note(settings),
        lifespan=lifespan,
        token_verifier=http.verifier if http else None,
        auth=http.auth if http else None,
        middleware=[_list_session_resources],
        extensions=[tasks],
    )
    cap_default = settings.max_output_chars

    @server.tool(annotations=_hints("Load a context", idempotent=True))
    @_logged
    async def rlm_load_context(
        ctx: Context,
        source: Annotated[str, Field(description="A folder, a file, a glob (src/**/*.py), or the raw text itself.")],
        session: SessionName = "default",
        kind: Annotated[
            Literal["auto", "path", "text"],
            Field(description="auto: a path/glob if it exists or is a glob, else raw text; or force path/text."),
        ] = "auto",
        include: Annotated[
            list[str] | None,
            Field(description="Only files matching these patterns (gitignore style, as the helpers' paths=)."),
        ] = None,
        exclude: Annotated[
            list[str] | None, Field(description="Leave out files matching these patterns; '!p' takes some back.")
        ] = None,
        chunk_tokens: Annotated[int | None, Field(description="Chunk budget in estimated tokens.", ge=50)] = None,
    ) -> Annotated[CallToolResult, LoadOutput]:
        """Load a repository, file, glob or raw text into the session's sandbox REPL (starting it if needed).

        Returns the MANIFEST only, never the content: file count, bytes, estimated tokens, languages,
        largest files, chunk and symbol counts, and what was skipped and why (.gitignore, binary,
        secrets, size caps; junk: vendored, generated, lock_file, lfs_pointer, minified, which include= brings
        back), and `session`: the name later calls pass (over HTTP a private handle, the only way
        back to this session), `partial` when some files have no grammar (line chunks, no symbols).
        Cost: no LLM calls; a few seconds for a large repository (cached after); progress is reported.
        A path that does not exist is an error (kind='text' loads a string as text). In the REPL the
        context appears as `context`, `files`, `chunks`, `symbols` with the helpers rlm_exec lists.
        Loading again replaces the context and keeps your other variables, except on docker when the
        folder is outside the one mounted: the sandbox restarts and `notes` names the variables lost.
        """
        with _as_tool_errors():
            target = _sessions(ctx).open(session)
            async with _reporting(ctx) as progress, target.use(progress):
                manifest = await target.load(source, kind, include, exclude, chunk_tokens)
            return with_text(LoadOutput.model_validate({"session": target.name, **manifest}))

    @server.tool(annotations=_hints("Run Python in the REPL"))
    @_logged
    async def rlm_exec(
        ctx: Context,
        code: Annotated[str, Field(description="Python to run; a trailing expression's value is shown.")],
        session: SessionName = "default",
        timeout_s: Annotated[
            float | None, Field(description="Time limit; the code is interrupted after it.", gt=0)
        ] = None,
        max_output_chars: OutputCap = None,
    ) -> Annotated[CallToolResult, ExecOutput]:
        """Run Python in the session's persistent REPL (variables and functions persist between calls).

        Returns stdout, stderr, the value of a trailing expression, the error with its traceback, and
        the variables created or changed, all capped (full stdout stays in `_stdout`, the last value in
        `_`). Names: `context`, `files` (path -> File .text .lines .language), `chunks` (.text .path
        .kind .symbol .where), `symbols` (.name .parent .kind .signature .where). Helpers, help(f) for
        arguments: grep(regex, paths, context=N, multiline=False) -> hits .where .text (per line);
        read(path, start, end, numbered=False); find_symbols(regex, kind, paths); symbol_at(path, line);
        refs(name), callers(name) (syntax tree, not text); imports(path), importers(module);
        repo_map(budget_tokens, focus); tree(path, depth); partition(budget, paths, languages, kinds);
        llm_query(prompt), llm_batch(prompts) (concurrent sub-LLM calls; cost tokens); SHOW_VARS().
        paths= is gitignore style everywhere ('src/', '*.py', '!tests/'). Cost: no LLM calls unless the
        code makes them. Write big results into variables and print summaries.
        """
        with _as_tool_errors():
            target = _sessions(ctx).get(session)
            cap = render.output_cap(max_output_chars, cap_default)
            async with _reporting(ctx) as progress, target.use(progress, sampling.mid_call_sampler(ctx)):
                result = await target.exec(code, timeout_s, cap)
            text = render.exec_result(result, cap)
            return with_text(exec_output(result, text), text)

    @server.tool(annotations=_hints("Ask the sub-LLM", open_world=True))
    @_logged
    async def rlm_query(
        ctx: Context,
        prompt: Annotated[
            str,
            Field(description="The prompt; {{expr}} is replaced by a REPL expression's value, e.g. {{item.text}}."),
        ],
        over: Annotated[
            str | list[Any] | None,
            Field(
                description="A REPL expression giving a list (e.g. chunks[:50], hits), or a JSON list of the items "
                "themselves; the prompt runs once per item."
            ),
        ] = None,
        session: SessionName = "default",
        into: Annotated[
            str, Field(description="REPL variable that receives the answers.", pattern=r"^[A-Za-z_]\w*$")
        ] = "answers",
        model: Annotated[str | None, Field(description="litellm model string; default: the configured one.")] = None,
        limit: Annotated[int | None, Field(description="Use only the first N items of `over`.", ge=1)] = None,
        max_output_chars: OutputCap = None,
        sampled: Annotated[CreateMessageResult | None, Resolve(_sample_when_no_model)] = None,
    ) -> Annotated[CallToolResult, QueryOutput]:
        """Call the sub-LLM once, or once per item of `over` concurrently, and store the answers in a REPL variable.

        Without `over`: one call; the answer goes into `into` (a str) and is shown (capped). With `over`:
        every item is rendered into the prompt ({{item}} / {{item.text}} / {{index}}; if the prompt does
        not mention item, the item's text is appended) and all calls run in parallel; `into` receives
        the list of answers in order, a failed item holding an LLMFailure. Returns a bounded preview, the
        failures, and usage (calls, tokens, cost, cache hits, remaining budget). Cost: one sub-LLM call
        per item. Progress is reported as items finish. Then aggregate the answers with rlm_exec.
        """
        with _as_tool_errors():
            target = _sessions(ctx).get(session)
            cap = render.output_cap(max_output_chars, cap_default)
            async with _reporting(ctx) as progress, target.use(progress, sampling.mid_call_sampler(ctx)):
                answer = sampling.answer_text(sampled) if sampled is not None else None
                outcome = await target.query(prompt, _over_expression(over), into, model, limit, sampled=answer)
            text = render.query_result(outcome, cap)
            return with_text(query_output(outcome, text), text)

    @server.tool(annotations=_hints("Answer a question with the whole RLM loop", open_world=True))
    @_logged
    async def rlm_ask(
        ctx: Context,
        question: Annotated[str, Field(description="The question to answer over the session's loaded context.")],
        session: SessionName = "default",
        root_model: Annotated[
            str | None, Field(description="litellm model that writes the code; default RLM_ROOT_MODEL, else --model.")
        ] = None,
        max_iterations: Annotated[
            int | None, Field(description="Most root turns (default RLM_ASK_MAX_ITERATIONS).", ge=1)
        ] = None,
        max_seconds: Annotated[
            float | None, Field(description="Wall-time limit (default RLM_ASK_MAX_SECONDS).", gt=0)
        ] = None,
        max_tokens: Annotated[
            int | None, Field(description="Token limit, root + sub-calls (default RLM_ASK_MAX_TOKENS).", ge=1)
        ] = None,
        max_cost_usd: Annotated[
            float | None,
            Field(description="Spend limit in USD, root + sub-calls (default RLM_ASK_MAX_COST_USD).", gt=0),
        ] = None,
        max_output_chars: OutputCap = None,
    ) -> Annotated[CallToolResult, AskOutput]:
        """Answer a question over the loaded context by running the whole RLM loop on the server, in one call.

        A root model sees only the question and the manifest, writes Python that runs in this session's
        REPL (grep, chunks, llm_batch, ...), reads the capped output, and repeats until it sets
        FINAL_ANSWER. Returns `answer` (with the path:line citations the model gave), `finished`,
        `stop_reason` (answered, max_iterations, max_seconds, max_tokens, max_cost_usd, root_failed),
        `note`, `iterations`, `elapsed_s`, `usage` (root and sub-call tokens and cost) and `trajectory`
        (a JSONL file with every iteration). When a limit hits, `answer` is partial and `note` says why.
        Cost: one root-model call per iteration plus the sub-calls its code makes; seconds to minutes.
        Use it to delegate a whole question (needs rlm_load_context first); drive rlm_exec/rlm_query
        yourself instead when you want to steer each step or keep intermediate results in view.
        Progress is reported once per iteration. Your REPL variables stay; FINAL_ANSWER is overwritten.
        """
        with _as_tool_errors():
            target = _sessions(ctx).get(session, create=False)
            limits = AskLimits.from_settings(
                settings,
                max_iterations=max_iterations,
                max_seconds=max_seconds,
                max_tokens=max_tokens,
                max_cost_usd=max_cost_usd,
            )
            cap = render.output_cap(max_output_chars, cap_default)
            async with _reporting(ctx) as progress, target.use(sampler=sampling.mid_call_sampler(ctx)):
                result = await run_ask(
                    target, question, root_model=root_model, limits=limits, answer_chars=cap, progress=progress
                )
            return with_text(AskOutput.model_validate(result.to_dict()))

    @server.tool(annotations=_hints("Status", read_only=True, idempotent=True))
    @_logged
    async def rlm_status(
        ctx: Context,
        session: Annotated[str | None, Field(description="One session, or all when omitted.")] = None,
    ) -> Annotated[CallToolResult, StatusOutput]:
        """Sessions, their sandbox backend and isolation, context summary, variables, usage and budget left.

        Cost: nothing (no LLM calls, nothing started).
        """
        with _as_tool_errors():
            sessions = _sessions(ctx)
            names = [session] if session is not None else sessions.listed()
            report: dict[str, Any] = {
                "backend": sessions.backend.name,
                "isolation": sessions.backend.isolation,
                "sessions": [await sessions.get(name, create=False).status() for name in names],
            }
            if sessions.backend_notice:
                report["notice"] = sessions.backend_notice
            if sessions.private and session is None:
                report["sessions_note"] = "sessions are private over HTTP: pass session=<your handle>"
            return with_text(StatusOutput.model_validate(render.bounded_json(report, cap_default)))

    @server.tool(annotations=_hints("Reset", destructive=True, idempotent=True))
    @_logged
    async def rlm_reset(
        ctx: Context,
        session: SessionName = "default",
        scope: Annotated[
            Literal["variables", "session"],
            Field(
                description="variables: drop your variables, keep the context; "
                "session: stop the sandbox and forget everything."
            ),
        ] = "variables",
    ) -> Annotated[CallToolResult, ResetOutput]:
        """Drop the session's variables (keeping the loaded context), or the whole session (sandbox, context, usage).

        Cost: nothing. A dropped session is recreated by the next rlm_load_context.
        """
        with _as_tool_errors():
            sessions = _sessions(ctx)
            target = sessions.get(session, create=False)
            if scope == "session":
                async with target.use():
                    await sessions.drop(session)
                text = f"session {session!r} closed: sandbox stopped, context and variables dropped"
                return with_text(reset_output(scope, text, []), text)
            async with target.use():
                dropped = await target.reset_variables()
            shown = shown_names(dropped)
            names = ", ".join(shown) + (" ..." if len(dropped) > len(shown) else "")
            text = f"dropped {len(dropped)} variable(s): {names or 'none'}; the context is still loaded"
            return with_text(reset_output(scope, text, dropped), text)

    @server.resource("rlm://{session}/manifest", mime_type="application/json")
    async def manifest_resource(session: str, ctx: Context) -> str:
        """The manifest of a session's loaded context (files, languages, sizes, skipped)."""
        with _as_tool_errors(ResourceNotFoundError):
            target = _sessions(ctx).get(session, create=False)
            return render.manifest_json(target)

    @server.resource("rlm://{session}/chunks", mime_type="text/tab-separated-values")
    async def chunks_resource(session: str, ctx: Context) -> str:
        """The chunk list of a session's context: id, path:lines, kind, symbol, tokens (capped)."""
        with _as_tool_errors(ResourceNotFoundError):
            target = _sessions(ctx).get(session, create=False)
            return render.chunk_table(target, cap_default)

    @server.prompt(name="rlm_strategy")
    def rlm_strategy(question: str = "") -> str:
        """How to answer a question over a large context with the RLM tools, step by step."""
        return STRATEGY + (f"\n\nThe question: {question}" if question else "")

    return server
