"""``python -m bench.quality [--quick] [--seed N] [--window-tokens N] [--json]``; models come from RLM_* settings."""

from __future__ import annotations

import argparse
import json

from .suite import WINDOW_TOKENS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~1M-token repository, one task per kind")
    parser.add_argument("--seed", type=int, default=0, help="picks the files, the needle and the questions")
    parser.add_argument("--window-tokens", type=int, default=WINDOW_TOKENS, help="the baseline's context window")
    parser.add_argument("--json", action="store_true", help="also print the whole report as JSON")
    args = parser.parse_args(argv)
    report = run(args.quick, args.seed, window_tokens=args.window_tokens)
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
