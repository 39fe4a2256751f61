"""Languages inside others: the ``<script>`` and ``<style>`` blocks of HTML, Vue and Svelte files.

The file is parsed as HTML; each block's text is then parsed by its own grammar over its byte range
only (tree-sitter's included ranges), so its nodes carry offsets in the whole file and the split
goes on into them instead of cutting the block by lines.
"""

from __future__ import annotations

from typing import NamedTuple

import tree_sitter

from rlm_mcp.corpus.languages import grammar

# (element, value of its lang or type attribute) -> language of its text; None stands for no attribute.
_BLOCK_LANGUAGES: dict[tuple[str, str | None], str] = {
    ("script_element", None): "javascript",
    ("script_element", "js"): "javascript",
    ("script_element", "jsx"): "javascript",
    ("script_element", "module"): "javascript",
    ("script_element", "text/javascript"): "javascript",
    ("script_element", "application/javascript"): "javascript",
    ("script_element", "ts"): "typescript",
    ("script_element", "tsx"): "tsx",
    ("style_element", None): "css",
    ("style_element", "css"): "css",
    ("style_element", "text/css"): "css",
}


class Block(NamedTuple):
    """One embedded block: its language and the root of its own syntax tree."""

    language: str
    root: tree_sitter.Node


def embedded_blocks(data: bytes, root: tree_sitter.Node) -> dict[int, Block]:
    """The script and style blocks of an HTML tree that have a grammar, by the start byte of their text."""
    blocks: dict[int, Block] = {}
    pending = [root]
    while pending:
        for element in pending.pop().children:
            if element.type == "element":
                pending.append(element)
            text = next((child for child in element.children if child.type == "raw_text"), None)
            language = _BLOCK_LANGUAGES.get((element.type, _attribute(element.children[0]))) if text else None
            loaded = grammar(language) if language else None
            if text is not None and language is not None and loaded is not None:
                block_parser = tree_sitter.Parser(loaded, included_ranges=[text.range])
                blocks[text.start_byte] = Block(language, block_parser.parse(data).root_node)
    return blocks


def _attribute(start_tag: tree_sitter.Node) -> str | None:
    """The value of the tag's ``lang`` attribute, else of its ``type`` attribute, lower-cased."""
    values: dict[str, str] = {}
    for attribute in start_tag.children:
        if attribute.type != "attribute" or attribute.named_child_count < 2:
            continue
        name, value = attribute.named_children[0], attribute.named_children[-1]
        if value.type == "quoted_attribute_value" and value.named_children:
            value = value.named_children[0]
        if name.text is not None and value.text is not None:
            values[name.text.decode("utf-8", "replace").lower()] = value.text.decode("utf-8", "replace").lower()
    return values.get("lang") or values.get("type")
