#!/usr/bin/env python3
"""A named fake of `vllm serve` (no GPU, no vLLM here): serves GET /health and chat completions on
the given port, answering every prompt with FAKE_VLLM_REPLY, and records its pid. FAKE_VLLM_MODE:
"ok" (default), "die" (exit before serving), "deny" (answer 401 to chat requests), "impostor" (start
a detached server under another model name, whose pid goes to FAKE_VLLM_PIDFILE.impostor, and exit:
someone else's server answering on the port while ours is dead)."""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> int:
    args = sys.argv[1:]
    assert args[0] == "serve", args
    port = int(args[args.index("--port") + 1])
    name = args[args.index("--served-model-name") + 1]
    mode = os.environ.get("FAKE_VLLM_MODE", "ok")
    with open(os.environ["FAKE_VLLM_PIDFILE"], "w") as fh:
        fh.write(f"{os.getpid()}\n{' '.join(args)}\n")
    if mode == "die":
        print("fake vllm: CUDA out of memory (pretend)", file=sys.stderr)
        return 1
    reply = os.environ.get("FAKE_VLLM_REPLY", "I do not know.")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, status, payload):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": name, "object": "model"}]})
                return
            self._send(200 if self.path == "/health" else 404, {})

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if mode == "deny":
                self._send(401, {"error": "no"})
                return
            self._send(200, {"model": name, "choices": [{"index": 0, "finish_reason": "stop",
                                                          "message": {"role": "assistant", "content": reply}}]})

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if mode == "impostor":
        name = "someone-elses-model"
        if os.fork() != 0:
            return 0  # our "vllm" exits; the child keeps answering on the port
        os.setsid()
        with open(os.environ["FAKE_VLLM_PIDFILE"] + ".impostor", "w") as fh:
            fh.write(f"{os.getpid()}\n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
