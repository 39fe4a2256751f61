"""`python -m rlm_mcp` is the `rlm-mcp` command."""

from rlm_mcp.cli import main

main()
