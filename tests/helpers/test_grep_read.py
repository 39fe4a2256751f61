"""grep and read in the REPL: per-line matches, context lines, line numbers that agree, documented arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.conftest import Workspace

pytestmark = pytest.mark.anyio


async def test_grep_matches_never_span_lines_by_default(workspace: Workspace, lines_repo: Path) -> None:
    """`\\s` and `[^x]` cannot carry a match across a newline; a cross-line match hides no later line."""
    await workspace.load(lines_repo)
    assert await workspace.value(r"[h.where for h in grep(r'Store\s+def', paths='src/')]") == []
    assert await workspace.value(r"[h.where for h in grep(r'import[^!]*Store')]") == ["src/app.py:1"]
    # 'key):' then newline would join `get` to the next line; per line, line 5 and line 8 both match alone.
    assert await workspace.value(r"[h.line for h in grep(r'def \w+\(self, key[^\n]*', paths='core.py')]") == [5, 8]
    assert await workspace.value(r"[h.line for h in grep(r'key\)[^x]*return', paths='core.py')]") == []


async def test_grep_multiline_lets_a_match_span_lines(workspace: Workspace, lines_repo: Path) -> None:
    """multiline=True finds a match across lines and reports the line it starts on."""
    await workspace.load(lines_repo)
    found = await workspace.value(r"[(h.where, h.match) for h in grep(r'class Store:.*?def get', multiline=True)]")
    assert found == [("src/pkg/core.py:4", "class Store:\n    def get")]


async def test_grep_dollar_matches_at_the_end_of_a_crlf_line(workspace: Workspace, lines_repo: Path) -> None:
    """A CRLF line is searched without its CR: `end$` matches, and the hit's text has no CR."""
    await workspace.load(lines_repo)
    assert await workspace.value(r"[(h.where, h.text) for h in grep(r'end$')]") == [("docs/dos.txt:2", "beta end")]


async def test_grep_context_gives_neighbouring_lines(workspace: Workspace, lines_repo: Path) -> None:
    """context=N keeps up to N lines on each side, cut at the file's edges, printed grep -C style."""
    await workspace.load(lines_repo)
    hit = await workspace.value("(lambda h: (h.before, h.text, h.after))(grep('def put', context=2)[0])")
    assert hit == (
        ("        return os.environ[key]", ""),
        "    def put(self, key, value):",
        ("        raise NotImplementedError", ""),
    )
    edges = await workspace.value("(lambda h: (h.before, h.after))(grep('return x', context=3)[0])")
    assert edges == (("", "", "def helper(x):"), ())
    printed = await workspace.value("grep('def put', context=1)[0].lines")
    assert printed.splitlines() == [
        "src/pkg/core.py:7- ",
        "src/pkg/core.py:8: " + "    def put(self, key, value):",
        "src/pkg/core.py:9- " + "        raise NotImplementedError",
    ]


async def test_grep_says_when_paths_match_no_file(workspace: Workspace, lines_repo: Path) -> None:
    """A `paths` pattern that selects nothing is named on stderr instead of silently giving []."""
    await workspace.load(lines_repo)
    out = await workspace.run("hits = grep('Store', paths='lib/**/*.py')")
    assert "paths='lib/**/*.py' matched no loaded file" in out
    assert "matched no" not in await workspace.run("hits = grep('no such text anywhere', paths='src/')")


async def test_grep_refuses_bad_arguments_with_the_accepted_values(workspace: Workspace, lines_repo: Path) -> None:
    """context and max_hits out of range, or a bad regex, are errors saying what is accepted."""
    await workspace.load(lines_repo)
    assert "0 to 50" in await workspace.error("grep('x', context=-1)")
    assert "at least 1" in await workspace.error("grep('x', max_hits=0)")
    assert "fixed=True" in await workspace.error("grep('(')")


async def test_read_line_numbers_agree_with_grep_after_odd_line_breaks(workspace: Workspace, lines_repo: Path) -> None:
    """After a form feed, a lone CR or U+2028, read(p, hit.line, hit.line) is the hit's own line."""
    await workspace.load(lines_repo)
    for word in ("three", "five", "seven"):
        same = await workspace.value(f"(lambda h: (h.text, read(h.path, h.line, h.line)))(grep('{word}')[0])")
        assert same[1].rstrip("\n") == same[0], word
    assert await workspace.value(
        "files['docs/notes.txt'].lines, len(read('docs/notes.txt', 1, 99).split(chr(10)))"
    ) == (4, 5)


async def test_read_numbers_its_lines_when_asked(workspace: Workspace, lines_repo: Path) -> None:
    """numbered=True prefixes each line with its number and a tab, counting from `start`."""
    await workspace.load(lines_repo)
    assert await workspace.value("read('src/app.py', 2, 3, numbered=True)") == "     2\t\n     3\tSTORE = Store()\n"
    assert await workspace.value("read('src/app.py', numbered=True).count(chr(9))") == 3
    assert "line number" in await workspace.error("read('src/app.py', '2')")


async def test_every_helper_documents_its_arguments(workspace: Workspace, lines_repo: Path) -> None:
    """help(grep), help(read), help(partition) name every argument with its type and accepted values."""
    await workspace.load(lines_repo)
    docs = await workspace.value("{f.__name__: f.__doc__ for f in (grep, read, partition)}")
    for word in ("pattern", "paths", "multiline", "context", "max_hits", "gitignore", "str"):
        assert word in docs["grep"], word
    for word in ("start", "end", "numbered", "1-based", "int"):
        assert word in docs["read"], word
    for word in ("budget", "languages", "kinds", "'method'", "unknown"):
        assert word in docs["partition"], word
