"""A scripted chat model: replays given AIMessages (tool calls included) and records every request."""

from __future__ import annotations

import itertools
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

_IDS = itertools.count(1)
Reply = AIMessage | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(BaseChatModel):
    """bind_tools() records the tools and returns itself; each call pops the next scripted reply."""

    script: list[Any]
    requests: list[list[BaseMessage]] = []
    tools: list[dict] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools, **kwargs):
        self.tools = list(tools)
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.requests.append(list(messages))
        if not self.script:
            raise AssertionError(f"model called {len(self.requests)} times; script ran out")
        reply = self.script.pop(0)
        if callable(reply):
            reply = reply(list(messages))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    # what the tests look at
    def sent_text(self) -> str:
        """Everything sent to the model in every request, as one string (tool args too)."""
        parts = []
        for request in self.requests:
            for m in request:
                parts.append(m.content if isinstance(m.content, str) else str(m.content))
                parts.append(str(getattr(m, "tool_calls", "")))
        return "\n".join(parts)


def model(*replies: Reply) -> ScriptedChatModel:
    return ScriptedChatModel(script=list(replies), requests=[], tools=[])


def call(name: str, **args: Any) -> AIMessage:
    """An AIMessage with one tool call."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{next(_IDS)}"}])


def run_sql(sql: str, *, chart: dict | None = None, explanation: str | None = None) -> AIMessage:
    args: dict[str, Any] = {"sql": sql}
    if chart is not None:
        args["chart"] = chart
    if explanation is not None:
        args["explanation"] = explanation
    return call("run_sql", **args)


def text(content: str) -> AIMessage:
    return AIMessage(content=content)
