"""Answer-quality suite: needle, aggregation and code-QA tasks over a copied stdlib, rlm_ask vs a baseline.

Run ``python -m bench.quality [--quick] [--seed N]``; ``run(quick)`` returns the report as a dict.
"""

from .suite import run

__all__ = ["run"]
