"""A small client for OpenAI-compatible chat-completions endpoints (vLLM, SGLang, hosted APIs).

Used by `veritas eval` and `data_gen distill`. It retries what is worth retrying (429, 408,
5xx, timeouts, dropped connections) with exponential backoff and jitter, honours Retry-After, and
turns an endpoint that cannot serve at all (unreachable, key refused, unknown model or path)
into one EndpointError so a run stops with one clear message instead of a traceback per task.
The API key travels only in the Authorization header; it is never logged or stored.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass

import httpx

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointError(RuntimeError):
    """The endpoint cannot serve this run at all; stop and tell the user once."""


class RequestFailed(RuntimeError):
    """One request failed for good (retries exhausted or a 4xx about this request)."""


@dataclass(frozen=True)
class ChatReply:
    content: str
    reasoning: str | None
    finish_reason: str | None
    completion_tokens: int | None
    latency_s: float
    attempts: int


def load_dotenv(path: str = ".env") -> None:
    """Set variables from a .env file that are not already set. Values are never printed.

    Understands KEY=VALUE lines, `export KEY=VALUE`, comments and single or double quotes.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key.isidentifier() and key not in os.environ:
            os.environ[key] = value


def chat_completions_url(base_url: str) -> str:
    """`http://host:8000/v1` -> `http://host:8000/v1/chat/completions` (a trailing slash is fine)."""
    return base_url.rstrip("/") + "/chat/completions"


def server_message(response: httpx.Response) -> str:
    """The server's own words from an error answer: the `message` of an OpenAI-style error body
    (vLLM: {"object": "error", "message": ...}; OpenAI: {"error": {"message": ...}}), else the
    start of the body, on one line."""
    text = response.text
    try:
        data = response.json()
        inner = data.get("error") if isinstance(data.get("error"), dict) else data
        message = inner.get("message") or inner.get("detail") or data.get("detail")
        if isinstance(message, str) and message.strip():
            text = message
    except (ValueError, AttributeError):
        pass
    return " ".join(text.split())[:300]


def check_base_url(base_url: str) -> str | None:
    """Why a base URL cannot work (None when it can): it must be http(s)://host[...]."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{base_url!r} is not an http:// or https:// URL (e.g. http://localhost:8000/v1)"
    return None


class ChatClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        backoff_max_s: float = 30.0,
        seed: int = 0,
    ) -> None:
        self.url = chat_completions_url(base_url)
        self.model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self._jitter = random.Random(seed)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))

    async def __aenter__(self) -> "ChatClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.backoff_max_s, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(self.backoff_max_s, self.backoff_s * (2 ** attempt))
        return base * (0.5 + self._jitter.random() / 2)

    async def complete(self, messages: list[dict], temperature: float = 0.0, max_tokens: int = 1024,
                       **extra) -> ChatReply:
        body = {"model": self.model, "messages": messages, "temperature": temperature,
                "max_tokens": max_tokens, **extra}
        start = time.perf_counter()
        last_problem = ""
        connect_failures = 0
        for attempt in range(self.max_retries + 1):
            retry_after = None
            try:
                response = await self._http.post(self.url, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                connect_failures += 1
                last_problem = f"cannot connect ({type(exc).__name__})"
            except httpx.TimeoutException:
                last_problem = "timed out"
            except httpx.TransportError as exc:
                last_problem = f"connection dropped ({type(exc).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    return self._parse(response, start, attempt + 1)
                if status in (401, 403):
                    raise EndpointError(f"{self.url} refused the API key (HTTP {status})")
                if status == 404:
                    raise EndpointError(f"{self.url} answered 404: check --base-url (it usually ends in /v1) "
                                        f"and that model {self.model!r} is served there")
                if status not in RETRY_STATUS:
                    raise RequestFailed(f"HTTP {status}: {server_message(response)}")
                last_problem = f"HTTP {status}"
                retry_after = response.headers.get("retry-after")
            if attempt < self.max_retries:
                await asyncio.sleep(self._delay(attempt, retry_after))
        if connect_failures == self.max_retries + 1:
            raise EndpointError(f"cannot reach {self.url} after {connect_failures} attempts: is the server up?")
        raise RequestFailed(f"gave up after {self.max_retries + 1} attempts: {last_problem}")

    def _parse(self, response: httpx.Response, start: float, attempts: int) -> ChatReply:
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content") or ""
            reasoning = message.get("reasoning_content") or message.get("reasoning")
            usage = data.get("usage") or {}
            tokens = usage.get("completion_tokens")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise RequestFailed(f"unexpected response shape ({type(exc).__name__}): {response.text[:300]}") from None
        if not isinstance(content, str):
            raise RequestFailed(f"message content is {type(content).__name__}, not text")
        return ChatReply(content, reasoning if isinstance(reasoning, str) else None, choice.get("finish_reason"),
                         tokens if isinstance(tokens, int) else None, time.perf_counter() - start, attempts)
