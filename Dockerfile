# The recommended rlm-mcp sandbox image: python3, the stdlib-only REPL runtime, a non-root user.
# Build it with `rlm-mcp sandbox build` (or `docker build -t rlm-mcp-sandbox .`). Any image with
# python3 >= 3.10 works as well: the server mounts its own copy of the runtime over /opt/rlm/sandbox
# and always runs the container as 65534:65534, read-only, without network or capabilities.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}
COPY sandbox/ /opt/rlm/sandbox/
RUN python3 -c "import sys; assert sys.version_info >= (3, 10), sys.version" \
 && python3 -c "import ast, json, signal, threading, reprlib"
USER 65534:65534
WORKDIR /tmp
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT []
CMD ["python3", "-s", "-E", "-B", "/opt/rlm/sandbox/repl.py"]
LABEL org.opencontainers.image.title="rlm-mcp sandbox" \
      org.opencontainers.image.description="Persistent Python REPL runtime for rlm-mcp"
