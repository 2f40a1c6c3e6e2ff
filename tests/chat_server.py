"""Real HTTP servers that speak the OpenAI chat-completions protocol, for tests.

They stand in for a model server (vLLM, SGLang, a hosted API), which cannot run here. The server is
real — sockets, HTTP/1.1, JSON — only the "model" is a script. ScriptedChatServer: a
`reply_for(prompt, call_number)` decides what comes back, and `fault_for` injects a 429, a 500 or a
slow reply on chosen calls. Other scripts subclass ChatCompletionsServer and implement handle().
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class ChatCompletionsServer:
    """The HTTP side, shared by the scripted servers: a ThreadingHTTPServer on 127.0.0.1 with an
    ephemeral port that hands each POST to `self.handle(path, authorization, request)`, which
    returns (status, payload, headers) — or sleeps first, to play a slow model."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length))
                status, payload, headers = server.handle(self.path, self.headers.get("Authorization", ""), request)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up or was killed mid-request

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, path: str, authorization: str, request: dict) -> tuple[int, dict, dict | None]:
        raise NotImplementedError


class ScriptedChatServer(ChatCompletionsServer):
    """`with ScriptedChatServer(reply_for) as server: server.base_url` -> http://127.0.0.1:PORT/v1.

    reply_for(prompt, n) gives the reply text for the n-th successful (200) answer to that prompt.
    fault_for(prompt, attempt) may return "429", "500" or "slow" for the attempt-th request (any
    outcome) with that prompt, or None.
    """

    def __init__(self, reply_for: Callable[[str, int], str], fault_for: Callable[[str, int], str | None] | None = None,
                 api_key: str | None = None, slow_s: float = 1.5, delay_s: float = 0.0):
        super().__init__()
        self.reply_for = reply_for
        self.fault_for = fault_for or (lambda prompt, attempt: None)
        self.api_key = api_key
        self.slow_s = slow_s
        self.delay_s = delay_s
        self.attempts: dict[str, int] = defaultdict(int)
        self.answered: dict[str, int] = defaultdict(int)
        self.log: list[tuple[str, str]] = []  # (prompt, outcome)
        self.auth_seen: set[str] = set()

    def outcomes(self, outcome: str) -> int:
        with self.lock:
            return sum(1 for _, o in self.log if o == outcome)

    def handle(self, path: str, authorization: str, request: dict):
        with self.lock:
            self.auth_seen.add(authorization)
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return 401, {"error": {"message": "bad key"}}, None
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": "no such route"}}, None
        prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
        with self.lock:
            attempt = self.attempts[prompt]
            self.attempts[prompt] += 1
        fault = self.fault_for(prompt, attempt)
        if fault in ("429", "500", "slow"):
            with self.lock:
                self.log.append((prompt, fault))
        if fault == "429":
            return 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}
        if fault == "500":
            return 500, {"error": {"message": "boom"}}, None
        if fault == "slow":
            time.sleep(self.slow_s)  # the client has given up by now
            return 200, completion(request, {"role": "assistant", "content": "too late"}), None
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            n = self.answered[prompt]
            self.answered[prompt] += 1
            self.log.append((prompt, "200"))
        return 200, completion(request, {"role": "assistant", "content": self.reply_for(prompt, n)}), None


def completion(request: dict, message: dict) -> dict:
    """A chat.completion response body carrying one assistant message."""
    text = message.get("content") or ""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": request.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(text) // 4), "total_tokens": 10 + len(text) // 4},
    }
