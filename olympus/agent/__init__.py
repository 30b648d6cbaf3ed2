"""Text-to-SQL: schema context, prompts, the LangChain agent and its tools."""

from olympus.agent.answer import AgentAnswer, Attempt, Turn
from olympus.agent.llm import LLMError, LLMNotConfigured, chat_model
from olympus.agent.loop import ask

__all__ = ["AgentAnswer", "Attempt", "LLMError", "LLMNotConfigured", "Turn", "ask", "chat_model"]
