"""HTML reports: one self-contained file for a trajectory (`rlm-mcp report`) or a benchmark run (`--html`)."""

from rlm_mcp.report.page import bench_page, trajectory_page, write
from rlm_mcp.report.steps import newest, read

__all__ = ["bench_page", "newest", "read", "trajectory_page", "write"]
