"""A real chat-completions HTTP server for the distillation tests (a scripted teacher, named as
such: no model stands behind it).

It answers POST /v1/chat/completions as OpenAI-compatible servers do. Its reply is a pure function
of (user prompt, request seed), so a killed and resumed client gets the same replies as an
uninterrupted one: by the seed it sends the task's reference answer, its worked solution, the worked
solution as a separate `reasoning_content` field, or a near miss from `wrong_answers`. It also
answers its first request with 429 and its second with 500, and refuses a wrong API key.
"""

from __future__ import annotations

import time

from veritas.envs import worked_solution, wrong_answers

from ..chat_server import ChatCompletionsServer, completion

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


class ScriptedTeacher(ChatCompletionsServer):
    def __init__(self, tasks, api_key: str, faults=(429, 500), delay: float = 0.0, always: int | None = None):
        super().__init__()
        self.by_prompt = {t.prompt: t for t in tasks}
        self.api_key = api_key
        self.faults = list(faults)
        self.delay = delay
        self.always = always  # answer every request with this status (a server that stays down)
        self.requests = 0
        self.statuses: list[int] = []
        self.served: dict = {}  # (task_id, seed) -> (kind, message)
        self.seeds_by_task: dict = {}

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
        return self._status(200, completion(request, message))

    def _status(self, status, payload, headers=None):
        with self.lock:
            self.statuses.append(status)
        return status, payload, headers
