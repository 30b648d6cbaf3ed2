"""A scripted OpenAI-compatible server (/v1/chat/completions with tool calls) for the real client.

Tests give it the replies in order - {"content": "..."} or {"tool_calls": [{"name", "arguments"}]},
or a callable(request_body) -> one of those - and read back every request it received (JSON body
and headers), e.g. to prove no row value was sent when data exposure is off.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any, Callable

Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


class FakeOpenAI:
    """Start with .start() (or as a context manager); point base_url at .base_url."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = self._thread = None
        self.port: int | None = None

    # ---- scripting --------------------------------------------------------------------------
    def script(self, *replies: Reply) -> "FakeOpenAI":
        with self._lock:
            self.replies = list(replies)
            self.requests.clear()
            self.headers.clear()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def sent_text(self) -> str:
        """Every message content and tool-call argument of every request, as one string."""
        return "\n".join(json.dumps(r.get("messages", [])) for r in self.requests)

    # ---- HTTP ---------------------------------------------------------------------------------
    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def completions(request):
            body = await request.json()
            with self._lock:
                self.requests.append(body)
                self.headers.append(dict(request.headers))
                reply = self.replies.pop(0) if self.replies else None
            if body.get("stream"):
                return _error(400, "this fake server does not stream; call it with stream=false")
            if reply is None:
                return _error(400, f"fake server: script ran out after {len(self.requests) - 1} replies")
            if callable(reply):
                reply = reply(body)
            if "error" in reply:
                return _error(reply.get("status", 400), reply["error"])
            return JSONResponse(self.completion(body, reply))

        async def models(request):
            return JSONResponse({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

        def _error(status: int, message: str):
            return JSONResponse({"error": {"message": message, "type": "invalid_request_error",
                                           "code": None, "param": None}}, status_code=status)

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"]),
                                 Route("/v1/models", models)])

    def completion(self, body: dict, reply: dict) -> dict:
        calls = [{"id": f"call_{next(self._ids)}", "type": "function",
                  "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))}}
                 for c in reply.get("tool_calls", ())]
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
        if calls:
            message["tool_calls"] = calls
        prompt = len(json.dumps(body.get("messages", []))) // 4
        done = len(json.dumps(message)) // 4
        return {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion",
                "created": int(time.time()), "model": body.get("model", "unknown"),
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": "tool_calls" if calls else "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": done,
                          "total_tokens": prompt + done}}

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "FakeOpenAI":
        import uvicorn

        from tests.services import free_port

        self.port = free_port()
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def tool_call(name: str, **arguments: Any) -> dict:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def run_sql(sql: str, **extra: Any) -> dict:
    return tool_call("run_sql", sql=sql, **extra)


def say(content: str) -> dict:
    return {"content": content}
