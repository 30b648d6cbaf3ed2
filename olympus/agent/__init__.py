"""Text-to-SQL: schema context, prompts, the LangChain agent and its tools."""
