"""README.md is true: every command in it parses with the real parser, those that can run here do, its JSON
and TOML parse, and the client entries and the manifest it shows have the shape the code produces."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from bench.__main__ import build_parser as bench_parser
from rlm_mcp.cli import build_parser
from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.support.files import write_tree
from tests.support.served import CHECKOUT

README = (CHECKOUT / "README.md").read_text()
SHOWN_COMMAND = "/home/me/.local/bin/rlm-mcp"
"""What the README shows where `setup` writes this installation's absolute command."""
NO_CLONE = "uvx --from git+https://github.com/OWNER/rlm-mcp rlm-mcp serve"
"""The quick start's first command; OWNER stands for the account the reader got rlm-mcp from."""
_FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """A fenced block: its language, its text, and the prose between it and the block before."""

    language: str
    text: str
    before: str


def _blocks(language: str) -> list[Block]:
    found, previous_end = [], 0
    for match in _FENCE.finditer(README):
        if match.group(1) == language:
            found.append(Block(language, match.group(2), README[previous_end : match.start()]))
        previous_end = match.end()
    return found


def _commands() -> Iterator[list[str]]:
    """Every command of the bash blocks, as words: continuations joined, `&&` chains split, comments dropped."""
    for block in _blocks("bash"):
        for line in block.text.replace("\\\n", " ").splitlines():
            for command in line.split("&&"):
                words = shlex.split(command, comments=True)
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value prefixes
                    words = words[1:]
                if words:
                    yield words


def _inline_commands() -> Iterator[list[str]]:
    """Backticked `rlm-mcp ...` spans in the prose that carry arguments (`rlm-mcp ask` alone names the command)."""
    for span in re.findall(r"`(rlm-mcp [^`]*)`", README):
        words = shlex.split(span)
        if len(words) >= 3 and "·" not in span and not any(re.fullmatch(r"[A-Z]+", word) for word in words):
            yield words


def _ours(words: list[str]) -> list[str] | None:
    """The arguments of an `rlm-mcp ...` command (also run through uvx), or None for another program's."""
    if words[0] == "uvx" and words[1:3] == ["--from", words[2]] and words[3] == "rlm-mcp":
        return words[4:]
    return words[1:] if words[0] == "rlm-mcp" else None


def _bench_arguments(words: list[str]) -> list[str] | None:
    if words[0] in ("python", "python3") and words[1:3] == ["-m", "bench"]:
        return words[3:]
    return None


def _refused(parse: Any, arguments: list[str]) -> str | None:
    """None when `parse` accepts `arguments` (--help counts), else why not."""
    try:
        parse(arguments)
    except SystemExit as exc:
        return None if exc.code == 0 else f"exit {exc.code}"
    return None


def test_the_quick_start_leads_with_a_command_that_needs_no_clone() -> None:
    """The first command a reader meets serves rlm-mcp straight from the repository."""
    assert next(_commands()) == shlex.split(NO_CLONE)


def test_every_rlm_mcp_command_line_parses() -> None:
    """Each `rlm-mcp ...` and `python -m bench ...` line is accepted by the real parser (bench's for its flags)."""
    checked, wrong = 0, []
    for words in [*_commands(), *_inline_commands()]:
        ours, bench = _ours(words), _bench_arguments(words)
        if ours is not None:
            checked += 1
            refused = _refused(build_parser().parse_args, ours)
            if refused is None and ours[0] == "bench":
                refused = _refused(bench_parser().parse_args, ours[1:])
            if refused:
                wrong.append(f"{shlex.join(words)}: {refused}")
        elif bench is not None:
            checked += 1
            if _refused(bench_parser().parse_args, bench):
                wrong.append(shlex.join(words))
    assert checked >= 15
    assert not wrong, wrong


def _run(arguments: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(CHECKOUT), "RLM_CACHE_DIR": str(home / "c")}
    env.update({k: v for k, v in os.environ.items() if k.startswith("DOCKER_") or k == "RLM_IMAGE"})
    return subprocess.run(
        [sys.executable, "-m", "rlm_mcp", *arguments], cwd=home, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_setup_and_doctor_commands_run_as_written(tmp_path: Path) -> None:
    """Every `rlm-mcp setup ...` line succeeds (in a scratch HOME), and `rlm-mcp doctor` reports without crashing."""
    ran = 0
    for words in _commands():
        arguments = _ours(words)
        if arguments is None or arguments[0] not in ("setup", "doctor"):
            continue
        done = _run(arguments, tmp_path)
        ran += 1
        if arguments[0] == "doctor":
            assert done.returncode in (0, 1, 2) and done.stdout.strip() and "Traceback" not in done.stderr
        else:
            assert done.returncode == 0, f"{shlex.join(words)}: {done.stderr}"
    assert ran >= 7


@pytest.mark.parametrize("block", _blocks("json") + _blocks("toml"), ids=lambda block: block.language)
def test_every_json_and_toml_block_parses(block: Block) -> None:
    """Snippets a reader copies are valid as they stand."""
    (json.loads if block.language == "json" else tomllib.loads)(block.text)


def _shown_by_setup() -> list[tuple[list[str], Block]]:
    """Blocks introduced by a backticked `rlm-mcp setup ... --print ...`, with that command's arguments."""
    shown = []
    for block in _blocks("json") + _blocks("toml"):
        commands = re.findall(r"`rlm-mcp (setup [^`]*--print[^`]*)`", block.before)
        if commands:
            shown.append((shlex.split(commands[-1]), block))
    return shown


@pytest.mark.parametrize(("arguments", "block"), _shown_by_setup(), ids=lambda value: str(value)[:40])
def test_entries_shown_are_what_setup_prints(arguments: list[str], block: Block, tmp_path: Path) -> None:
    """The VS Code and Codex entries in the README are exactly what their `setup --print` gives, but the path."""
    done = _run(arguments, tmp_path)
    assert done.returncode == 0, done.stderr
    parse = json.loads if block.language == "json" else tomllib.loads
    printed = parse(done.stdout)
    command = re.search(r'"command": "([^"]+)"' if block.language == "json" else r'command = "([^"]+)"', done.stdout)
    assert command is not None
    assert parse(block.text.replace(SHOWN_COMMAND, command.group(1))) == printed


def _shown_manifest() -> dict[str, Any]:
    (block,) = [block for block in _blocks("json") if '"token_estimate"' in block.text]
    shown: dict[str, Any] = json.loads(block.text)
    return shown


@pytest.mark.anyio
async def test_the_worked_examples_manifest_has_the_real_shape(tmp_path: Path) -> None:
    """The manifest in the worked example has the keys a real load returns, at the top and inside each part."""
    project = tmp_path / "project"
    write_tree(
        project,
        {
            "src/parse.py": "def parse(h):\n    raise ValueError(h)\n",
            "src/broken.py": "def broken(:\n",
            "notes.txt": "plain text\n",
            ".gitignore": "build/\n",
            "build/out.py": "x = 1\n",
            ".env": "KEY=1\n",
        },
    )
    settings = Settings.from_env(environ={}, backend="local", cache_dir=str(tmp_path / "cache"))
    async with Client(build_server(settings), raise_exceptions=True) as client:
        result = await client.call_tool("rlm_load_context", {"source": str(project)})
    real = json.loads(result.content[0].text)  # type: ignore[union-attr]
    shown = _shown_manifest()
    assert list(shown) == list(real)
    for part in ("skipped", "withheld_lines", "caps", "load", "sandbox"):
        assert set(shown[part]) == set(real[part]), part
    assert set(real["partial"]) <= set(shown["partial"])
    for listed in ("languages", "top_folders"):
        assert {key for value in shown[listed].values() for key in value} == {
            key for value in real[listed].values() for key in value
        }
    assert {key for item in shown["largest_files"] for key in item} == {
        key for item in real["largest_files"] for key in item
    }
