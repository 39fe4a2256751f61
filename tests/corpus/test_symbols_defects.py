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
    assert partition("include/fast_float.h", licence + CPP_HEADER, 1500).language == "cpp"  # what a load does


def test_a_c_header_stays_c_even_when_it_guards_for_cpp() -> None:
    """`extern "C"` under `#ifdef __cplusplus` is what C headers do: the file is still C."""
    assert detect_language("dict.h", C_HEADER) == "c"
    assert {name for name, *_ in partition("dict.h", C_HEADER, 1500).symbols} == {"dict", "dictSize"}


def test_a_cpp_method_followed_by_an_annotation_macro_keeps_its_name() -> None:
    """`void F(int n) LOCKS_EXCLUDED(mu) {` defines F, not a function named after the macro (both parse shapes)."""
    source = (
        b"class Counter {\n"
        b" public:\n"
        b"  void IncrementBy(int count) LOCKS_EXCLUDED(mu_) {\n    count_ += count;\n  }\n"
        b"  int Read() LOCKS_EXCLUDED(mu_) {\n    return count_;\n  }\n"
        b"};\n"
    )
    assert set(_symbols("counter.cc", source)) == {"Counter", "Counter.IncrementBy", "Counter.Read"}


def test_deleted_and_defaulted_cpp_members_are_not_definitions() -> None:
    """`X(const X&) = delete;` and `~X() = default;` have no body to read: only the real constructor is listed."""
    source = b"class X {\n  X() {}\n  X(const X&) = delete;\n  ~X() = default;\n};\n"
    assert set(_symbols("x.cc", source)) == {"X", "X.X"}


def test_members_of_java_anonymous_classes_are_not_listed_as_the_enclosing_methods_children() -> None:
    """`new Runnable() { public void run() {} }` inside `start` adds no `A.start.run`: it has no name of its own."""
    source = (
        b"class A {\n  void start() {\n    new Thread(new Runnable() {\n      public void run() {}\n    });\n  }\n}\n"
    )
    assert set(_symbols("A.java", source)) == {"A", "A.start"}


def test_rust_trait_methods_without_a_body_are_definitions() -> None:
    """A trait's required methods (`fn id(&self) -> u64;`) are part of its definition, as the provided ones are."""
    source = b'pub trait Instrumented {\n    fn id(&self) -> u64;\n    fn name(&self) -> &str { "" }\n}\n'
    assert _symbols("trace.rs", source) == {
        "Instrumented": ("class", 1, 4),
        "Instrumented.id": ("method", 2, 2),
        "Instrumented.name": ("method", 3, 3),
    }


def test_out_of_class_template_members_are_named_after_the_member() -> None:
    """`SkipList<K, C>::NewNode` is `SkipList.NewNode` (not `SkipList`); `operator<<` keeps its angle brackets."""
    source = (
        b"template <typename Key, class Comparator>\n"
        b"struct SkipList<Key, Comparator>::Node { int height; };\n"
        b"template <typename Key, class Comparator>\n"
        b"typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::NewNode(int height) { return 0; }\n"
        b"std::ostream& operator<<(std::ostream& out, const Key& key) { return out; }\n"
    )
    assert set(_symbols("skiplist.cc", source)) == {"SkipList.Node", "SkipList.NewNode", "operator<<"}


def test_a_statement_after_a_macro_call_is_no_c_function() -> None:
    """`GET_NUMERIC_TYPE(prev)` then `if (prev != ll) {` misparses as a definition: no symbol named `if` is listed."""
    source = (
        b"static int setNumeric(long ll) {\n"
        b"    GET_NUMERIC_TYPE(prev)\n"
        b"    if (prev != ll) {\n        return 1;\n    }\n"
        b"    return 0;\n}\n"
    )
    names = set(_symbols("config.c", source))
    assert "if" not in {name.rpartition(".")[2] for name in names}
    assert "setNumeric" in names


def test_macros_before_a_cpp_function_do_not_leak_into_its_name() -> None:
    """`FASTFLOAT_CONSTEXPR20 result_t\\nreport_error(...)` is `report_error`; `operator ==` is `operator==`."""
    source = (
        b"namespace ff {\n"
        b"FASTFLOAT_CONSTEXPR20 parsed_number_string_t\nreport_parse_error(const char *p) { return {}; }\n"
        b"bool operator == (const span &a, const span &b) { return true; }\n"
        b"void *operator  new[](std::size_t size) { return 0; }\n"
        b"}\n"
    )
    assert set(_symbols("ff.cc", source)) == {"ff", "ff.report_parse_error", "ff.operator==", "ff.operator new[]"}
