"""Grammars for the data, markup and config formats real repositories hold: chunks fall on their structure."""

from __future__ import annotations

import re

import pytest

from rlm_mcp.corpus.languages import detect_language, structured
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, partition

BUDGET_TOKENS = 100


def _items(template: str, count: int = 20) -> str:
    return "".join(template.format(i=i) for i in range(count))


# file name, text of several top-level items each well under the budget, what each item starts with
CASES = [
    (
        "compose.yaml",
        _items("service_{i}:\n  image: registry.example/app-{i}:1.0\n  ports:\n    - '80{i:02}:80'\n  restart: no\n"),
        rb"service_\d+:",
    ),
    (
        "config.json",
        "{\n"
        + _items('  "key{i}": {{\n    "enabled": true,\n    "limit": {i},\n    "name": "entry {i}"\n  }},\n')
        + '  "last": null\n}\n',
        rb'  "(key\d+|last)"',
    ),
    ("settings.toml", _items('[tool.part{i}]\nname = "part {i}"\nenabled = true\nlimits = [1, 2, 3]\n\n'), rb"\[tool"),
    (
        "page.html",
        "<html>\n<body>\n"
        + _items('<section id="s{i}">\n  <h2>Part {i}</h2>\n  <p>Some words about part {i}.</p>\n</section>\n')
        + "</body>\n</html>\n",
        rb"<section",
    ),
    ("style.css", _items(".block-{i} {{\n  color: #{i:03};\n  margin: {i}px;\n  padding: 0;\n}}\n\n"), rb"\.block"),
    (
        "schema.sql",
        _items("CREATE TABLE table_{i} (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL,\n  size INTEGER\n);\n\n"),
        rb"CREATE TABLE",
    ),
    (
        "main.tf",
        _items('resource "aws_s3_bucket" "b{i}" {{\n  bucket = "bucket-{i}"\n  tags = {{\n    n = "{i}"\n  }}\n}}\n\n'),
        rb"resource ",
    ),
    ("init.lua", _items("function M.step_{i}(x)\n  local y = x * {i}\n  return y + {i}\nend\n\n", 30), rb"function M"),
]


@pytest.mark.parametrize(("name", "text", "item"), CASES, ids=[case[0] for case in CASES])
def test_chunks_start_where_a_top_level_item_starts(name: str, text: str, item: bytes) -> None:
    """Each format is parsed by its grammar, and every chunk but the first begins with one of its items."""
    data = text.encode()
    parsed = partition(name, data, BUDGET_TOKENS)
    assert not parsed.parse_error
    assert parsed.language == detect_language(name)
    texts = [data[row[1] : row[2]] for row in parsed.chunks]
    assert b"".join(texts) == data
    assert len(texts) > 2 and max(map(len, texts)) <= BUDGET_TOKENS * BYTES_PER_TOKEN
    assert all(re.match(item, text) for text in texts[1:]), texts


def test_lua_functions_are_symbols() -> None:
    """Lua's functions (module ones like ``M.step_3`` and local ones) are listed as definitions."""
    data = b"local M = {}\n\nfunction M.step(x)\n  return x\nend\n\nlocal function helper()\nend\n\nreturn M\n"
    assert {"M.step", "helper"} <= {name for name, *_ in partition("init.lua", data, 1500).symbols}


def test_rst_sections_are_named_and_nested_by_adornment() -> None:
    """reST titles (over- and underlined, underlined) nest in the order their styles appear; a transition is none."""
    prose = "".join(f"Sentence {i} of a paragraph about this part.\n" for i in range(12))
    data = (
        f"=====\nGuide\n=====\n\nIntro.\n\nInstall\n-------\n\n{prose}\n----------\n\n{prose}\n"
        f"Usage\n-----\n\n{prose}\nDetails\n~~~~~~~\n\n{prose}"
    ).encode()
    parsed = partition("guide.rst", data, BUDGET_TOKENS)
    assert [name for name, *_ in parsed.symbols] == [
        "Guide",
        "Guide > Install",
        "Guide > Usage",
        "Guide > Usage > Details",
    ]
    texts = [data[row[1] : row[2]] for row in parsed.chunks]
    assert b"".join(texts) == data
    assert all(re.match(rb"(=====\nGuide|Install|Sentence|Usage|Details)", text) for text in texts), texts


def test_proto_messages_services_and_rpcs_are_symbols_and_chunk_starts() -> None:
    """A ``.proto`` file is outlined by its blocks: nested names are dotted, and chunks start at a
    message's doc comment, not inside a message; braces and keywords in strings or comments are ignored."""
    fields = "".join(f"  string field_{i} = {i + 1};  // not a message Fake {{\n" for i in range(5))
    messages = "".join(f"// Doc of Item{i}.\nmessage Item{i} {{\n{fields}}}\n\n" for i in range(6))
    data = (
        'syntax = "proto3";\n\npackage demo;\n\noption note = "message Nope {";\n\n'
        f"{messages}message Outer {{\n  message Inner {{\n    int32 x = 1;\n  }}\n"
        "  enum Mode {\n    A = 0;\n  }\n}\n\n"
        "service Store {\n  rpc Get (Item0) returns (Item1);\n  rpc Watch (Item0) returns (stream Item1) {}\n}\n"
    ).encode()
    parsed = partition("demo.proto", data, BUDGET_TOKENS)
    names = [name for name, *_ in parsed.symbols]
    nested = ["Outer", "Outer.Inner", "Outer.Mode", "Store", "Store.Get", "Store.Watch"]
    assert names == [*(f"Item{i}" for i in range(6)), *nested]
    texts = [data[row[1] : row[2]] for row in parsed.chunks]
    assert b"".join(texts) == data
    assert all(re.match(rb"(syntax|// Doc of Item|message Outer|service Store)", text) for text in texts), texts


def test_outlined_formats_do_not_count_as_line_windows() -> None:
    """The manifest's `partial` counts only plain line windows: outlined formats and grammars are structured."""
    assert all(structured(language) for language in ("markdown", "rst", "proto", "notebook", "yaml", "vue", "lua"))
    assert not structured("text") and not structured("xml")
