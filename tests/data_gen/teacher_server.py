"""A real chat-completions HTTP server for the distillation tests (a scripted teacher, named as
such: no model stands behind it).

It answers POST /v1/chat/completions as OpenAI-compatible servers do. Its reply is a pure function
of (user prompt, request seed), so a killed and resumed client gets the same replies as an
uninterrupted one: by the seed it sends the task's reference answer, its worked solution, the worked
solution as a separate `reasoning_content` field, or a near miss from `wrong_answers`. It also
answers its first request with 429 and its second with 500, and refuses a wrong API key.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from veritas.envs import worked_solution, wrong_answers

KINDS = ("answer", "wrong", "solution", "reasoning", "wrong")


def scripted_reply(task, seed: int) -> tuple[str, dict]:
    kind = KINDS[seed % len(KINDS)]
    if kind == "answer":
        return kind, {"role": "assistant", "content": task.answer}
    if kind == "solution":
        return kind, {"role": "assistant", "content": worked_solution(task)}
    if kind == "reasoning":
        return kind, {"role": "assistant", "content": task.answer, "reasoning_content": "Let me work it out.\n" + worked_solution(task)}
    near = wrong_answers(task)
    return kind, {"role": "assistant", "content": near[0] if near else "I do not know."}


def expected_text(message: dict) -> str:
    """The assistant reply the client should store for a message (reasoning as a <think> block)."""
    if message.get("reasoning_content"):
        return f"<think>\n{message['reasoning_content'].strip()}\n</think>\n\n{message['content']}"
    return message["content"]


class ScriptedTeacher:
    def __init__(self, tasks, api_key: str, faults=(429, 500), delay: float = 0.0, always: int | None = None):
        self.by_prompt = {t.prompt: t for t in tasks}
        self.api_key = api_key
        self.faults = list(faults)
        self.delay = delay
        self.always = always  # answer every request with this status (a server that stays down)
        self.lock = threading.Lock()
        self.requests = 0
        self.statuses: list[int] = []
        self.served: dict = {}  # (task_id, seed) -> (kind, message)
        self.seeds_by_task: dict = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                body = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed mid-request (the resume test does that)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length))
                status, payload, headers = server.handle(self.path, self.headers.get("Authorization"), request)
                self._send(status, payload, headers)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, path: str, auth: str | None, request: dict):
        with self.lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else self.always
        if path != "/v1/chat/completions":
            return self._status(404, {"error": {"message": "not found"}})
        if auth != f"Bearer {self.api_key}":
            return self._status(401, {"error": {"message": "invalid api key"}})
        if fault:
            return self._status(fault, {"error": {"message": "scripted fault"}}, {"Retry-After": "0"} if fault == 429 else None)
        user = [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
        task = self.by_prompt.get(user)
        if task is None:
            return self._status(400, {"error": {"message": "unknown prompt"}})
        seed = request["seed"]
        if self.delay:
            time.sleep(self.delay)
        kind, message = scripted_reply(task, seed)
        with self.lock:
            self.served[(task.task_id, seed)] = (kind, message)
            self.seeds_by_task.setdefault(task.task_id, set()).add(seed)
        return self._status(200, {
            "id": f"chatcmpl-{self.requests}", "object": "chat.completion", "model": request["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        })

    def _status(self, status, payload, headers=None):
        with self.lock:
            self.statuses.append(status)
        return status, payload, headers
