"""``python -m bench.quality``: the question set through rlm_ask (with and without sub-calls) and the cut baseline.

With no model given (here or in RLM_* settings) a scripted root plays the model: a plumbing check.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rlm_mcp.config import Settings

from .questions import SIZES, write
from .repository import fetch_packages
from .suite import packages_folder, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the quick questions of the 128k set (CI)")
    parser.add_argument("--sizes", nargs="+", choices=SIZES, help="sizes of the full run (default all)")
    parser.add_argument("--model", help="litellm model of the sub-calls (and of the root unless --root-model)")
    parser.add_argument("--root-model", help="litellm model that writes the code, and answers in the baseline")
    parser.add_argument("--api-base", help="endpoint of an OpenAI-compatible or local server")
    parser.add_argument("--backend", choices=("docker", "local"), help="where the sandbox runs (default: auto)")
    parser.add_argument("--window-tokens", type=int, help="the baseline's window (default: the model's, else 128k)")
    parser.add_argument("--out", type=Path, help="folder for report.json and trajectories (default: cache dir)")
    parser.add_argument("--regenerate", action="store_true", help="draw the set afresh from this Python's stdlib")
    parser.add_argument("--longbench", type=Path, help="LongBench-v2 data.json: run its code-repository questions")
    parser.add_argument("--repoqa", type=Path, help="RepoQA repoqa-2024-04-20.json(.gz): run its needle functions")
    parser.add_argument("--json", action="store_true", help="also print the whole report as JSON")
    parser.add_argument("--write-set", action="store_true", help="rewrite the committed sets of --sizes, run nothing")
    parser.add_argument("--fetch-packages", action="store_true", help="pip-download the pinned sdists (1M, 10M)")
    args = parser.parse_args(argv)
    chosen = {"model": args.model, "root_model": args.root_model, "api_base": args.api_base, "backend": args.backend}
    settings = Settings.from_env(**{name: value for name, value in chosen.items() if value is not None})
    if args.fetch_packages:
        fetch_packages(packages_folder(settings))
    if args.write_set:
        write(args.sizes or list(SIZES), packages_folder(settings))
        return 0
    report = run(
        args.quick,
        args.sizes,
        settings=settings,
        out=args.out,
        window_tokens=args.window_tokens,
        regenerate=args.regenerate,
        external=[(kind, path) for kind, path in (("longbench", args.longbench), ("repoqa", args.repoqa)) if path],
    )
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
