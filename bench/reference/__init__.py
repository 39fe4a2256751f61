"""The reference RLM library (`rlms` on PyPI) measured side by side with rlm-mcp.

`environment` installs it into its own virtual environment and builds its Docker image without
network inside the container; `probe` runs in that environment; `compare` times both.
"""
