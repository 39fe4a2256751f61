"""Symbols are the definitions a reader sees: inside Rust item macros, Go aliases, C++ in `.h`, plain names."""

from __future__ import annotations

from rlm_mcp.corpus.languages import detect_language
from rlm_mcp.corpus.partition import partition

RUST_MACROS = b"""cfg_rt! {
    /// Spawns a task.
    pub fn spawn() {
    }

    cfg_net! {
        pub struct Listener {
            port: u16,
        }
    }
}

impl Handle {
    cfg_rt! {
        pub fn block_on(&self) {}
    }
}
"""

CPP_HEADER = b"""/* A header-only library, as C++ projects often name them: .h */
#pragma once
#include <cstdint>

namespace fast {

template <typename T> struct span {
  const T &operator[](size_t index) const noexcept { return ptr[index]; }
  const T *ptr;
};

struct adjusted {
  bool operator==(const adjusted &o) const { return true; }
};

inline bool is_digit(char c) {
  if (c < '0') { return false; }
  return c <= '9';
}

}  // namespace fast
"""

C_HEADER = b"""/* A plain C header that mentions C++ only to stay includable from it. */
#ifdef __cplusplus
extern "C" {
#endif

typedef struct dict { int size; } dict;
static inline int dictSize(const dict *d) { return d->size; }

#ifdef __cplusplus
}
#endif
"""


def _symbols(path: str, data: bytes) -> dict[str, tuple[str, int, int]]:
    return {name: (kind, start, end) for name, kind, start, end in partition(path, data, 1500).symbols}


def test_definitions_inside_rust_item_macros_are_found_with_their_lines() -> None:
    """`cfg_rt! { ... }` bodies (also nested, also inside an impl) are parsed as items; lines are the file's."""
    found = _symbols("lib.rs", RUST_MACROS)
    assert found["spawn"] == ("function", 3, 4)
    assert found["Listener"] == ("class", 7, 9)
    assert found["Handle.block_on"] == ("method", 15, 15)


def test_a_chunk_in_a_rust_macro_body_is_labelled_with_the_definition_it_holds() -> None:
    """Offsets of definitions found in a macro body map back to the file: a small chunk names its function."""
    labels = {symbol for *_, symbol, _ in partition("lib.rs", RUST_MACROS, 10).chunks}
    assert {"spawn", "Listener", "Handle.block_on"} <= labels


def test_go_type_aliases_are_definitions() -> None:
    """`type A = B`, alone or in a group, is a type definition like `type A struct{}`."""
    source = b"package p\n\ntype Alias = Original\n\ntype (\n\tID = string\n\tTable struct{}\n)\n"
    found = _symbols("p.go", source)
    assert {name: found[name][:2] for name in ("Alias", "ID", "Table")} == {
        "Alias": ("class", 3),
        "ID": ("class", 6),
        "Table": ("class", 7),
    }


def test_rust_impls_for_references_are_named_after_the_type() -> None:
    """`impl Read for &mut T` and `impl X for *const T` are impls of `T`, not of `&mut T`."""
    source = b"impl<R: Read> Read for &mut R {\n    fn read(&mut self) {}\n}\nimpl X for *const T {}\n"
    names = set(_symbols("io.rs", source))
    assert names == {"R", "R.read", "T"}


def test_quoted_method_names_lose_their_quotes() -> None:
    """`'get'() {}` and `"post"(): void {}` are methods named get and post, in JS and TS alike."""
    source = b"class Api {\n  'get'() {}\n  \"post\"() {}\n}\n"
    assert set(_symbols("api.js", source)) == {"Api", "Api.get", "Api.post"}
    assert set(_symbols("api.ts", source.replace(b"() {}", b"(): void {}"))) == {"Api", "Api.get", "Api.post"}


def test_a_header_with_cpp_only_syntax_is_parsed_as_cpp() -> None:
    """A `.h` using templates, namespaces or operators is C++: no symbols named `if` or `o`, real names instead."""
    parsed = partition("fast_float.h", CPP_HEADER, 1500)
    assert parsed.language == "cpp"
    assert {name for name, *_ in parsed.symbols} == {
        "fast",
        "fast.span",
        "fast.span.operator[]",
        "fast.adjusted",
        "fast.adjusted.operator==",
        "fast.is_digit",
    }


def test_cpp_syntax_after_a_long_licence_still_makes_a_header_cpp() -> None:
    """The rule reads the header's text, not its first line or two: a licence block does not hide C++."""
    licence = b"/*\n" + b" * Licensed under the Apache License, Version 2.0 or the MIT license.\n" * 40 + b" */\n"
    assert detect_language("include/fast_float.h", licence + CPP_HEADER) == "cpp"
    assert detect_language("include/plain.h", licence + C_HEADER) == "c"


def test_a_c_header_stays_c_even_when_it_guards_for_cpp() -> None:
    """`extern "C"` under `#ifdef __cplusplus` is what C headers do: the file is still C."""
    assert detect_language("dict.h", C_HEADER) == "c"
    assert {name for name, *_ in partition("dict.h", C_HEADER, 1500).symbols} == {"dict", "dictSize"}
