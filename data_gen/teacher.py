"""A client for any OpenAI-compatible chat-completions endpoint, with retries, and the API key
lookup (environment first, then a .env file). The key lives only in the client's request headers:
it is never logged, printed or written."""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from data_gen import DataGenError

# Worth another try: rate limits, server trouble, and proxies that time out.
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class FatalTeacherError(DataGenError):
    """The endpoint refuses every request (bad key, wrong URL or model): stop the run."""


class RequestFailed(Exception):
    """The server's definitive answer to this one request was an error (e.g. HTTP 400, prompt too
    long): the attempt is recorded as an error and not retried on resume."""


class RetriesExhausted(Exception):
    """Still failing after every retry (429/5xx/timeouts): the attempt is left undone, so the
    same command run again retries it."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None
    retries: int


def read_env_file(path: Path, name: str) -> str | None:
    """The value of `name` in a .env file (KEY=VALUE lines, optional `export `, optional quotes,
    `#` comments). Only the one key asked for is looked at."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        if not sep or key.strip() != name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        return value
    return None


def resolve_api_key(name: str, env_file: Path | None) -> str | None:
    value = os.environ.get(name)
    if value:
        return value
    if env_file is not None:
        return read_env_file(env_file, name) or None
    return None


def combine_reasoning(content: str | None, reasoning: str | None) -> str:
    """One assistant reply: a separate reasoning field (DeepSeek-R1, vLLM's reasoning parser)
    becomes a leading <think> block, which every verifier skips."""
    content = content or ""
    if reasoning and reasoning.strip():
        return f"<think>\n{reasoning.strip()}\n</think>\n\n{content.lstrip()}"
    return content


class ChatClient:
    def __init__(self, base_url: str, model: str, api_key: str | None, *, timeout: float, max_retries: int,
                 backoff_base: float, backoff_max: float, concurrency: int, params: dict,
                 keep_reasoning: bool = True):
        import httpx

        if not base_url.startswith(("http://", "https://")):
            raise DataGenError(f"--base-url must start with http:// or https://, got {base_url!r}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.params = params
        self.keep_reasoning = keep_reasoning
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._jitter = random.Random()  # private: backoff jitter only, never task content
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def _delay(self, retry: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.backoff_max, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to our own schedule
        with self._lock:
            jitter = 0.5 + self._jitter.random() / 2
        return min(self.backoff_max, self.backoff_base * (2 ** retry)) * jitter

    def complete(self, messages: list[dict], seed: int) -> Completion:
        import httpx

        body = {"model": self.model, "messages": messages, "seed": seed, **self.params}
        last = ""
        for retry in range(self.max_retries + 1):
            retry_after = None
            try:
                resp = self._http.post(self.url, json=body)
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__})"
            else:
                status = resp.status_code
                if status in (401, 403):
                    raise FatalTeacherError(f"{self.url} refused the API key (HTTP {status})")
                if status == 404:
                    raise FatalTeacherError(f"HTTP 404 from {self.url}: check --base-url (most servers want it to end "
                                            f"in /v1) and --model {self.model!r}")
                if 200 <= status < 300:
                    parsed = self._parse(resp)
                    if parsed is not None:
                        return Completion(parsed[0], parsed[1], retry)
                    last = "malformed response (no choices[0].message)"
                elif status in RETRY_STATUS:
                    last = f"HTTP {status}"
                    retry_after = resp.headers.get("retry-after")
                else:
                    raise RequestFailed(f"HTTP {status}: {resp.text[:200]}")
            if retry < self.max_retries:
                time.sleep(self._delay(retry, retry_after))
        raise RetriesExhausted(f"{last} after {self.max_retries} retries")

    def _parse(self, resp) -> tuple[str, str | None] | None:
        try:
            choice = resp.json()["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        if not isinstance(message, dict):
            return None
        content = message.get("content")
        reasoning = (message.get("reasoning_content") or message.get("reasoning")) if self.keep_reasoning else None
        if not isinstance(content, (str, type(None))) or not isinstance(reasoning, (str, type(None))):
            return None
        return combine_reasoning(content, reasoning), choice.get("finish_reason")
