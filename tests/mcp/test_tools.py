"""Every MCP tool through the SDK's in-memory client, including the errors an agent must be able to read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.anyio


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def call(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return text_of(result)


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"expected an error, got: {text_of(result)}"
    return text_of(result)


async def test_tools_are_listed_with_descriptions_and_annotations(client: Client) -> None:
    """An agent reading only the tool list learns what each tool returns and costs."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"rlm_load_context", "rlm_exec", "rlm_query", "rlm_ask", "rlm_status", "rlm_reset"}
    for tool in tools.values():
        assert tool.description and "Cost" in tool.description
    assert tools["rlm_status"].annotations and tools["rlm_status"].annotations.read_only_hint
    assert tools["rlm_reset"].annotations and tools["rlm_reset"].annotations.destructive_hint
    assert tools["rlm_query"].annotations and tools["rlm_query"].annotations.open_world_hint


async def test_load_returns_the_manifest_not_the_content(client: Client, sample_repo: Path) -> None:
    """The manifest counts files, tells what was skipped and how isolated the sandbox is; no file text comes back."""
    manifest = json.loads(await call(client, "rlm_load_context", source=str(sample_repo)))
    assert manifest["files"] == 5
    assert "sk-secret" not in json.dumps(manifest)
    assert set(manifest["languages"]) >= {"python", "javascript", "markdown"}
    assert manifest["sandbox"]["isolation"].startswith("NONE")  # these tests run on the local backend


async def test_loaded_context_is_usable_from_exec(client: Client, sample_repo: Path) -> None:
    """files, chunks, symbols, grep and read work on the loaded repository; secrets are not loaded."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    out = await call(
        client,
        "rlm_exec",
        code="sorted(files), [h.where for h in grep('parse_shape')], [s.name for s in symbols if s.kind != 'section']",
    )
    assert "'.env'" not in out and "build/out.py" not in out
    assert "pkg/shapes.py:6" in out and "README.md:7" in out
    assert "Circle.area" in out
    assert "def area" in await call(client, "rlm_exec", code="print(read('pkg/shapes.py', 2, 3))")


async def test_reload_replaces_the_context_and_keeps_variables(client: Client, sample_repo: Path) -> None:
    """Loading again swaps `context` but leaves the user's own variables alone."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    await call(client, "rlm_exec", code="mine = 'kept'")
    await call(client, "rlm_load_context", source="just some raw text\nover two lines")
    out = await call(client, "rlm_exec", code="mine, type(context).__name__, len(files)")
    assert "('kept', 'str', 1)" in out


async def test_long_multiline_text_is_loaded_as_text(client: Client) -> None:
    """A huge multi-line string is raw text, never a 'file name too long' crash."""
    text = ("a line of a log file " * 50 + "\n") * 2000
    manifest = json.loads(await call(client, "rlm_load_context", source=text))
    assert manifest["files"] == 1
    assert "2000" in await call(client, "rlm_exec", code="len(context.splitlines())")


async def test_missing_path_with_kind_path_is_a_clear_error(client: Client, tmp_path: Path) -> None:
    """Forcing kind=path on something that does not exist says what to pass instead."""
    message = await call_error(client, "rlm_load_context", source=str(tmp_path / "nope"), kind="path")
    assert "does not exist" in message


async def test_exec_returns_errors_as_data_and_keeps_state(client: Client) -> None:
    """A traceback is an ordinary result; invalid code is a SyntaxError result; state survives both."""
    await call(client, "rlm_exec", code="x = 41")
    assert "ZeroDivisionError" in await call(client, "rlm_exec", code="1/0")
    assert "SyntaxError" in await call(client, "rlm_exec", code="def (:")
    assert "42" in await call(client, "rlm_exec", code="x + 1")


async def test_exec_output_is_capped_with_a_pointer_to_the_full_value(client: Client) -> None:
    """Output above the cap is cut, and the notice names the variable that keeps all of it."""
    out = await call(client, "rlm_exec", code="print('z' * 200_000)", max_output_chars=3000)
    assert len(out) <= 3000
    assert "_stdout" in out


async def test_empty_code_and_unknown_session_are_tool_errors(client: Client) -> None:
    """Bad arguments get a message that says what to do."""
    assert "code is empty" in await call_error(client, "rlm_exec", code="   ")
    assert "unknown session 'ghost'" in await call_error(client, "rlm_status", session="ghost")
    assert "invalid session name" in await call_error(client, "rlm_exec", code="1", session="no spaces!")


async def test_helpers_before_loading_say_to_load_first(client: Client) -> None:
    """grep, or a context name like `chunks`, with nothing loaded tells the agent to call rlm_load_context."""
    assert "rlm_load_context" in await call(client, "rlm_exec", code="grep('x')")
    assert "NameError: name 'chunks' is not defined (no context is loaded yet: call the rlm_load_context" in (
        await call(client, "rlm_exec", code="len(chunks)")
    )


@pytest.mark.parametrize("edit", ["longer", "same-size"])
async def test_a_file_edited_after_loading_asks_for_a_reload(client: Client, sample_repo: Path, edit: str) -> None:
    """Chunks and line numbers of an edited file would be wrong: the agent is told to reload, which fixes it."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    shapes = sample_repo / "pkg" / "shapes.py"
    text = shapes.read_text()
    shapes.write_text(text + "# edited\n" if edit == "longer" else text.replace("3.14", "3.15"))
    stale = await call(client, "rlm_exec", code="grep('area')")
    assert "pkg/shapes.py changed since the context was loaded" in stale and "rlm_load_context" in stale
    assert "context.py" not in stale  # the user's line, not the runtime's frames
    await call(client, "rlm_load_context", source=str(sample_repo))
    assert "pkg/shapes.py:2" in await call(client, "rlm_exec", code="grep('area')")


async def test_invalid_regex_in_grep_is_explained(client: Client, sample_repo: Path) -> None:
    """A bad pattern comes back as a clear message, not a traceback from the server."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    out = await call(client, "rlm_exec", code="grep('(unclosed')")
    assert "invalid regular expression" in out and "re.escape" in out
    assert "<cell" in out and "helpers.py" not in out  # the user's line, not the runtime's frames


async def test_query_without_over_stores_one_answer(client: Client) -> None:
    """One sub-call; the answer is shown and kept in the named variable."""
    out = await call(client, "rlm_query", prompt="say {{1 + 1}}", into="reply")
    assert "echo: say 2" in out
    assert "echo: say 2" in await call(client, "rlm_exec", code="reply")


async def test_query_over_200_items_returns_all_answers_in_order_with_progress(client: Client) -> None:
    """200 items fan out concurrently; answers land in order; the client receives progress."""
    await call(client, "rlm_exec", code="items = [f'item-{i}' for i in range(200)]")
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    result = await client.call_tool(
        "rlm_query", {"prompt": "upper {{item}}", "over": "items"}, progress_callback=on_progress
    )
    assert not result.is_error, text_of(result)
    assert "stored 200 answer(s) in `answers` (0 failed)" in text_of(result)
    ordered = await call(client, "rlm_exec", code="all(a == f'echo: upper item-{i}' for i, a in enumerate(answers))")
    assert "True" in ordered
    assert len(progress) == 200 and max(progress) == 200


@pytest.mark.parametrize("over", ['["a.py", "b.py"]', ["a.py", "b.py"]], ids=["json-in-a-string", "json-list"])
async def test_query_over_a_json_list_runs_once_per_item(client: Client, over: str | list[str]) -> None:
    """A list literal the SDK would parse as JSON, or a real JSON list, is taken as the items."""
    out = await call(client, "rlm_query", prompt="Review {{item}}", over=over, into="reviews")
    assert "stored 2 answer(s)" in out
    assert "['echo: Review a.py', 'echo: Review b.py']" in await call(client, "rlm_exec", code="reviews")


@pytest.mark.parametrize("into", ["grep", "chunks"])
async def test_query_into_a_name_of_the_repl_is_refused_before_any_call(
    client: Client, sample_repo: Path, openai_server: OpenAIServer, into: str
) -> None:
    """Answers never overwrite a helper or a context name, and nothing is spent finding that out."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    assert "store the answers under another name" in await call_error(client, "rlm_query", prompt="hi", into=into)
    assert openai_server.requests == 0
    assert "<class 'list'>" in await call(client, "rlm_exec", code="type(chunks)")


async def test_query_over_chunks_appends_the_chunk_text(client: Client, sample_repo: Path) -> None:
    """When the prompt does not mention the item, each chunk's text (with its path:lines) is appended."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    await call(
        client,
        "rlm_query",
        prompt="Summarise:",
        over="[c for c in chunks if c.path == 'web.js']",
        into="notes",
    )
    out = await call(client, "rlm_exec", code="notes[0]")
    assert "web.js:1-3" in out and "function greet" in out


async def test_status_reports_backend_context_variables_and_usage(client: Client, sample_repo: Path) -> None:
    """rlm_status tells isolation, the context summary, variables and usage."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    await call(client, "rlm_exec", code="found = grep('def')")
    status = json.loads(await call(client, "rlm_status"))
    assert status["backend"] == "local" and "NONE" in status["isolation"]
    (session,) = status["sessions"]
    assert session["context"]["files"] == 5
    assert [row["name"] for row in session["variables"]] == ["found"]
    assert session["usage"]["total"]["calls"] == 0


async def test_reset_variables_keeps_context_and_reset_session_forgets_it(client: Client, sample_repo: Path) -> None:
    """rlm_reset drops variables only, or the whole session."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    await call(client, "rlm_exec", code="a = 1\nb = 2")
    assert "dropped 2 variable(s): a, b" in await call(client, "rlm_reset")
    assert "5" in await call(client, "rlm_exec", code="len(files)")
    await call(client, "rlm_reset", scope="session")
    assert "unknown session" in await call_error(client, "rlm_status", session="default")


async def test_sessions_are_independent(client: Client, sample_repo: Path) -> None:
    """Two sessions hold two contexts and separate variables."""
    await call(client, "rlm_load_context", source=str(sample_repo), session="one")
    await call(client, "rlm_load_context", source="other text", session="two")
    assert "5" in await call(client, "rlm_exec", code="len(files)", session="one")
    assert "'other text'" in await call(client, "rlm_exec", code="context", session="two")


async def test_sessions_beyond_the_limit_are_refused_until_one_is_reset(
    server_settings: Callable[..., Settings],
) -> None:
    """A runaway agent cannot open sandbox after sandbox: past the limit it is told how to free one."""
    async with Client(build_server(server_settings(max_sessions=2))) as client:
        await call(client, "rlm_exec", code="1", session="one")
        await call(client, "rlm_exec", code="2", session="two")
        refused = await call_error(client, "rlm_exec", code="3", session="three")
        assert "RLM_MAX_SESSIONS" in refused and "one, two" in refused and "rlm_reset" in refused
        await call(client, "rlm_reset", session="one", scope="session")
        assert "3" in await call(client, "rlm_exec", code="3", session="three")


async def test_resources_give_manifest_and_chunks(client: Client, sample_repo: Path) -> None:
    """The manifest and chunk list are readable as resources."""
    await call(client, "rlm_load_context", source=str(sample_repo))
    manifest = await client.read_resource("rlm://default/manifest")
    assert '"files": 5' in getattr(manifest.contents[0], "text", "")
    chunks = await client.read_resource("rlm://default/chunks")
    assert "pkg/shapes.py:" in getattr(chunks.contents[0], "text", "")


async def test_chunk_resource_is_capped_in_whole_rows(
    server_settings: Callable[..., Settings], sample_repo: Path
) -> None:
    """A context with more chunks than fit gets whole rows up to the output cap, then where to find the rest."""
    (sample_repo / "many.py").write_text("".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(400)))
    async with Client(build_server(server_settings(max_output_chars=1000, chunk_tokens=50))) as client:
        await call(client, "rlm_load_context", source=str(sample_repo))
        table = getattr((await client.read_resource("rlm://default/chunks")).contents[0], "text", "")
    assert len(table) <= 1000
    assert table.splitlines()[-1].endswith("more chunks: list them with `chunks` in rlm_exec")
    assert all(row.count("\t") == 4 for row in table.splitlines()[:-1])


async def test_strategy_prompt_teaches_the_rlm_loop(client: Client) -> None:
    """The prompt covers probing, partitioning, batching, variables, verification and citations."""
    prompt = await client.get_prompt("rlm_strategy", {"question": "where is auth?"})
    text = getattr(prompt.messages[0].content, "text", "")
    for idea in ("grep", "partition", "llm_batch", "variable", "Verify", "path:line", "where is auth?"):
        assert idea in text


async def test_no_model_configured_is_a_tool_error_saying_how(
    make_settings: Callable[..., Settings],
) -> None:
    """Without a model (and no sampling client) a sub-call explains --model / RLM_MODEL."""
    async with Client(build_server(make_settings(backend="local")), raise_exceptions=True) as bare:
        message = await call_error(bare, "rlm_query", prompt="hello")
    assert "RLM_MODEL" in message


@pytest.mark.usefixtures("litellm_clients_closed")
async def test_budget_exhaustion_keeps_answers_already_obtained(
    server_settings: Callable[..., Settings],
) -> None:
    """With max_calls=3, three items are answered and the rest fail with a budget message."""
    async with Client(build_server(server_settings(max_calls=3, llm_concurrency=1)), raise_exceptions=True) as c:
        await call(c, "rlm_exec", code="items = list('abcde')")
        out = await call(c, "rlm_query", prompt="{{item}}", over="items")
        assert "(2 failed)" in out and "BudgetExceeded" in out
        kept = await call(c, "rlm_exec", code="[bool(a) for a in answers]")
        assert "[True, True, True, False, False]" in kept
        assert "max_calls" in await call_error(c, "rlm_query", prompt="one more")
