"""A real local HTTP server speaking the OpenAI chat-completions API, for tests and benchmarks.

Answers deterministically (``echo: <last user message>``, token counts = word counts) and
injects faults driven by markers in the last user message, so tests exercise litellm end to end:

* ``[[429]]``, ``[[500]]``, ``[[503]]``, ``[[400]]``, ... answer that status on the first
  request carrying this exact prompt; ``[[429x3]]`` on the first three, then succeed.
* ``[[retry-after=0.2]]`` adds a ``Retry-After`` header to those error answers.
* ``[[garbage]]`` answers 200 with a body that is not JSON (every time).
* ``[[hang]]`` never answers (until the server stops).
* ``[[sleep=0.3]]`` answers after that many seconds instead of the server's latency.

A ``responder`` (e.g. a scripted root model for rlm_ask) may compute the reply text from the whole
request instead; where it returns None, the echo applies. Fault markers are honoured first.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_STATUS = re.compile(r"\[\[(\d{3})(?:x(\d+))?\]\]")
_RETRY_AFTER = re.compile(r"\[\[retry-after=([\d.]+)\]\]")
_SLEEP = re.compile(r"\[\[sleep=([\d.]+)\]\]")

Responder = Callable[[dict[str, Any]], str | None]
"""Reply text for a chat-completion request body, or None for the default echo."""


def count_tokens(text: str) -> int:
    """The fake tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def answer_for(prompt: str) -> str:
    """The text the server answers to a last user message ``prompt``."""
    return f"echo: {prompt}"


class OpenAIServer:
    """Threaded OpenAI-compatible server on 127.0.0.1; one thread per connection."""

    def __init__(self, latency_s: float = 0.0, responder: Responder | None = None) -> None:
        self.latency_s = latency_s
        self.responder = responder
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._in_flight = 0
        self.peak_in_flight = 0
        """Most requests ever being answered at the same moment."""
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server; litellm's ``api_base`` is this plus ``/v1``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> int:
        """Chat-completion requests received so far, whatever their outcome."""
        with self._lock:
            return sum(self._seen.values())

    def requests_for(self, prompt: str) -> int:
        """Requests received so far whose last user message is exactly ``prompt``."""
        with self._lock:
            return self._seen[prompt]

    def start(self) -> OpenAIServer:
        """Bind an ephemeral port and serve in a background thread."""
        httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        """Status, headers and body answering one chat-completion request ``body``; None hangs up."""
        messages = body.get("messages", [])
        prompt = next((_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
        with self._lock:
            attempt = self._seen[prompt]
            self._seen[prompt] += 1
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            return self._answer(body, messages, prompt, attempt)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self, body: dict[str, Any], messages: list[dict[str, Any]], prompt: str, attempt: int
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The answer to the ``attempt``-th (0-based) request for ``prompt``, faults included."""
        if "[[hang]]" in prompt:
            self._stopping.wait()
            return None
        sleep = _SLEEP.search(prompt)
        delay = float(sleep.group(1)) if sleep else self.latency_s
        # Waiting on the stop event rather than sleeping lets stop() release slow requests at once.
        if delay and self._stopping.wait(delay):
            return None
        status = _STATUS.search(prompt)
        if status and attempt < int(status.group(2) or 1):
            headers = {}
            if retry_after := _RETRY_AFTER.search(prompt):
                headers["Retry-After"] = retry_after.group(1)
            error = {"error": {"message": f"injected {status.group(1)}", "type": "injected", "code": None}}
            return int(status.group(1)), headers, json.dumps(error).encode()
        if "[[garbage]]" in prompt:
            return 200, {}, b"this is not json {"
        scripted = self.responder(body) if self.responder is not None else None
        text = answer_for(prompt) if scripted is None else scripted
        prompt_tokens = sum(count_tokens(_text(m)) for m in messages)
        completion_tokens = count_tokens(text)
        completion = {
            "id": f"chatcmpl-{attempt}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "test-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return 200, {}, json.dumps(completion).encode()


class _QuietServer(ThreadingHTTPServer):
    """A threaded server that does not print tracebacks when a client hangs up early."""

    # listen() runs in the constructor, so the backlog must be a class attribute: the default (5)
    # drops connections when 32+ clients connect at once.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients time out or get cancelled on purpose in tests; that is not an error here."""


def _text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of text parts."""
    content = message.get("content") or ""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``server``'s behaviour and counters."""

    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections alive, as real providers do; clients pool them.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; Nagle would hold the body ~40 ms.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, b'{"error": {"message": "not found"}}')
                return
            answer = server.respond(json.loads(raw))
            if answer is None:
                self.close_connection = True
                return
            self._send(*answer)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: request logs would drown test output."""

    return Handler
