"""The text of the MCP prompt that teaches the Recursive Language Model strategy."""

STRATEGY = """\
You are working as a Recursive Language Model: the context is far larger than your window, so you
never read it whole. It lives in a persistent Python REPL; you write code against it and delegate
reading to sub-LLM calls, keeping only distilled results.

1. Load once: rlm_load_context(source="/path/to/repo"). Read the manifest (languages, sizes,
   what was skipped), not the files.
2. Probe cheaply with rlm_exec before spending tokens: repo_map(budget_tokens=1000) or
   tree(".", 2) for the layout; grep(r"def parse_", paths="src/", context=2) (per line);
   find_symbols("Config$", kind="class"); symbol_at(hit.path, hit.line) for the enclosing
   definition; refs("load") / callers("load") from the syntax tree; imports(path) /
   importers("pkg.mod"); read("src/app.py", 1, 40, numbered=True). help(grep) lists arguments;
   paths= is gitignore style everywhere ('src/', '*.py', '!tests/').
3. Narrow to the relevant part: filter `chunks` by path, language, kind or symbol, or re-cut them
   with partition(budget=800, paths="src/**"). Keep the selection in a variable.
4. Fan out: rlm_query(prompt="Does this code validate user input? Answer yes/no + path:line.",
   over="selected") or, inside code, answers = llm_batch([f"...{c}" for c in selected]).
   Each chunk's str() starts with its path:lines, so answers can cite them.
5. Keep results in variables, aggregate with code (counts, filters, joins), and call the sub-LLM
   again on the aggregate if needed (the recursion). Print summaries, not raw dumps: output is capped.
6. Verify: re-read the few lines that support the answer with read(path, start, end) or grep.
7. Answer with path:line citations for every claim about the code.

Budget: each sub-call costs tokens; rlm_status shows usage and what is left. Prefer grep and code
for exact questions, sub-calls for questions that need reading and judgement.
"""
