"""The shape of what the tools return: path errors, reported sources, partial indexes, progress, status, tools/list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from tests.mcp.test_tools import call, call_error

pytestmark = pytest.mark.anyio

REPL_NAMES = (
    "grep",
    "read",
    "partition",
    "symbols",
    "find_symbols",
    "symbol_at",
    "refs",
    "callers",
    "imports",
    "importers",
    "repo_map",
    "tree",
)


@pytest.mark.parametrize("source", ["/does/not/exist", "~/project-that-is-not-here", "./missing", r"C:\Users\x\proj"])
async def test_a_missing_path_is_an_error_naming_it(client: Client, source: str) -> None:
    """A path-shaped source that does not exist is an error naming it, not a one-line text context."""
    message = await call_error(client, "rlm_load_context", source=source)
    assert repr(source) in message and "does not exist" in message and "kind='text'" in message


async def test_a_missing_home_path_names_where_tilde_led(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`~` is expanded in the error, so the agent sees which folder was looked for."""
    monkeypatch.setenv("HOME", str(tmp_path))
    message = await call_error(client, "rlm_load_context", source="~/project")
    assert str(tmp_path / "project") in message


async def test_dot_and_tilde_are_reported_as_absolute_paths(
    client: Client, sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest's `source` for '.' is the folder's absolute path, and '~/x' is expanded."""
    monkeypatch.chdir(sample_repo)
    assert json.loads(await call(client, "rlm_load_context", source="."))["source"] == str(sample_repo)
    monkeypatch.setenv("HOME", str(sample_repo.parent))
    manifest = json.loads(await call(client, "rlm_load_context", source=f"~/{sample_repo.name}"))
    assert manifest["source"] == str(sample_repo)


async def test_the_manifest_says_which_files_have_no_grammar(client: Client, tmp_path: Path) -> None:
    """Files chunked by lines without symbols are counted by language and as a share of the bytes."""
    code, config = "def main():\n    return 1\n", "replicas=3\nimage=app:latest\n"
    (tmp_path / "app.py").write_text(code)
    (tmp_path / "deploy.ini").write_text(config)
    manifest = json.loads(await call(client, "rlm_load_context", source=str(tmp_path)))
    partial = manifest["partial"]
    assert partial["no_grammar_files"] == {"text": 1}
    assert partial["no_grammar_bytes_share"] == round(len(config) / (len(code) + len(config)), 3)


async def test_a_load_reports_progress(client: Client, sample_repo: Path) -> None:
    """rlm_load_context sends progress notifications, ending at done == total."""
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    result = await client.call_tool("rlm_load_context", {"source": str(sample_repo)}, progress_callback=progress)
    assert not result.is_error
    assert len(seen) >= 2 and seen[-1][0] == seen[-1][1]


async def test_status_names_the_isolation_once(client: Client, sample_repo: Path) -> None:
    """With several sessions, the backend and its isolation appear once, not per session."""
    for name in ("one", "two"):
        await call(client, "rlm_load_context", source=str(sample_repo), session=name)
    status = await call(client, "rlm_status")
    assert status.count("isolation") == 1 and status.count("NONE") == 1


async def test_the_load_description_says_what_a_reload_keeps(client: Client) -> None:
    """The description promises kept variables only where they are kept: a docker remount restarts the sandbox."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    description = tools["rlm_load_context"].description or ""
    assert "keeps your other variables" in description and "restarts" in description and "lost" in description


async def test_the_descriptions_teach_every_helper(client: Client) -> None:
    """rlm_exec's description and the rlm_strategy prompt name every REPL helper."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    strategy = (await client.get_prompt("rlm_strategy")).messages[0].content
    strategy_text = getattr(strategy, "text", "")
    for name in REPL_NAMES:
        assert name in (tools["rlm_exec"].description or ""), name
    for name in ("repo_map", "grep", "find_symbols", "symbol_at", "refs", "callers", "imports", "importers", "tree"):
        assert name in strategy_text, name


async def test_tools_list_stays_under_16_kb(client: Client) -> None:
    """The whole tools/list an agent reads on connecting (names, descriptions, schemas) is under 16 KB."""
    tools = (await client.list_tools()).tools
    size = len(json.dumps([tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]))
    assert size < 16 * 1024, size
