"""A real HTTP server that speaks the OpenAI chat-completions protocol, for tests.

It stands in for a model server (vLLM, SGLang, a hosted API), which cannot run here. The server is
real — sockets, HTTP/1.1, JSON — only the "model" is a script: `reply_for(prompt, call_number)`
decides what comes back, and `faults` injects a 429, a 500 or a slow reply on chosen calls.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class ScriptedChatServer:
    """`with ScriptedChatServer(reply_for) as server: server.base_url` -> http://127.0.0.1:PORT/v1.

    reply_for(prompt, n) gives the reply text for the n-th successful (200) answer to that prompt.
    fault_for(prompt, attempt) may return "429", "500" or "slow" for the attempt-th request (any
    outcome) with that prompt, or None.
    """

    def __init__(self, reply_for: Callable[[str, int], str], fault_for: Callable[[str, int], str | None] | None = None,
                 api_key: str | None = None, slow_s: float = 1.5, delay_s: float = 0.0):
        self.reply_for = reply_for
        self.fault_for = fault_for or (lambda prompt, attempt: None)
        self.api_key = api_key
        self.slow_s = slow_s
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = defaultdict(int)
        self.answered: dict[str, int] = defaultdict(int)
        self.log: list[tuple[str, str]] = []  # (prompt, outcome)
        self.auth_seen: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "ScriptedChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outcomes(self, outcome: str) -> int:
        with self.lock:
            return sum(1 for _, o in self.log if o == outcome)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
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
                    pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length))
                auth = self.headers.get("Authorization", "")
                with server.lock:
                    server.auth_seen.add(auth)
                if server.api_key is not None and auth != f"Bearer {server.api_key}":
                    self._send(401, {"error": {"message": "bad key"}})
                    return
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "no such route"}})
                    return
                prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
                with server.lock:
                    attempt = server.attempts[prompt]
                    server.attempts[prompt] += 1
                fault = server.fault_for(prompt, attempt)
                if fault == "429":
                    with server.lock:
                        server.log.append((prompt, "429"))
                    self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
                    return
                if fault == "500":
                    with server.lock:
                        server.log.append((prompt, "500"))
                    self._send(500, {"error": {"message": "boom"}})
                    return
                if fault == "slow":
                    with server.lock:
                        server.log.append((prompt, "slow"))
                    time.sleep(server.slow_s)  # the client has given up by now
                    self._send(200, _completion(request, "too late"))
                    return
                if server.delay_s:
                    time.sleep(server.delay_s)
                with server.lock:
                    n = server.answered[prompt]
                    server.answered[prompt] += 1
                    server.log.append((prompt, "200"))
                self._send(200, _completion(request, server.reply_for(prompt, n)))

        return Handler


def _completion(request: dict, text: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": request.get("model", ""),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(text) // 4), "total_tokens": 10 + len(text) // 4},
    }
