"""The agent: a small, explicit tool-calling loop (question -> schema context -> SQL -> result -> answer).

Why a hand-written loop and not an AgentExecutor / create_agent graph, nor plan-then-generate:
- Every safety rule must hold at one visible place: SQL from a run_sql call or from a fenced reply is
  fence-stripped and goes only through Workspace.run_sql (guard in the target dialect, read-only
  session, row limit, timeout, query log). Nothing else the model says is ever executed.
- The retry policy is ours, not the framework's: a guard or database error is fed back verbatim
  (scrubbed of row values when data exposure is off), at most `max_attempts` SQL tries in all, then
  the loop stops with the real last error - no hidden 4th call, no swallowed error.
- A tool-calling agent beats a fixed plan-then-generate chain here because the schema context is a
  budgeted retrieval: when retrieval misses a table, the model can search/describe the cached
  catalog instead of guessing; when it hits, one model call suffices. Catalog steps are capped.
- Data exposure is decided per call: with it off, the model sees schema, question, its SQL, column
  names and row counts only, and the figures in the answer are computed locally (summary.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from olympus.agent import prompts
from olympus.agent.answer import AgentAnswer, Attempt, Turn
from olympus.agent.context import SchemaIndex
from olympus.agent.llm import LLMError, as_llm_error, chat_model
from olympus.agent.replies import chart_for, follow_ups, split_follow_ups, sql_in_text, text_of
from olympus.agent.summary import scrub, summarize
from olympus.agent.tokens import count_tokens
from olympus.agent.tools import Toolbox, cap_rows, tool_specs
from olympus.errors import ConfigError, OlympusError, QueryCancelled
from olympus.guard import strip_fences
from olympus.semantic.glossary import expansion, prompt_block

if TYPE_CHECKING:
    from olympus.config import Settings
    from olympus.runner import QueryHandle, QueryResult
    from olympus.workspace import Workspace

MAX_CATALOG_STEPS = 6  # model calls allowed on top of the SQL attempts (catalog look-ups)
HISTORY_TURNS = 6
RESULT_SAMPLE_ROWS = 20


class AgentGaveUp(OlympusError):
    """The model answered in words, or kept browsing the catalog, without a query that ran."""

    kind, title = "agent", "No query produced"
    suggestion = "Rephrase the question, name the tables it is about, or write the SQL yourself."


def ask(workspace: "Workspace", connection_name: str, question: str, *,
        history: Iterable[Any] = (), pinned: Iterable[str] = (), dropped: Iterable[str] = (),
        llm: Any = None, settings: "Settings | None" = None, max_attempts: int = 3,
        budget_tokens: int = 4000, handle: "QueryHandle | None" = None) -> AgentAnswer:
    """Answer one question; SQL/model failures come back in AgentAnswer.error (and the query log).
    `handle.cancel()` from another thread stops the statement running on the server and the loop
    (the answer's error is then QueryCancelled).

    Raises only before any work: an empty question, an unknown connection (NotFound), no LLM key
    (LLMNotConfigured), or a schema that cannot be read (the connector's own error).
    """
    question = str(question or "").strip()
    if not question:
        raise ConfigError("There is no question to answer.", title="Empty question",
                          suggestion="Type a question about your data.")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    settings = settings or workspace.settings
    record = workspace.get(connection_name)
    model = llm if llm is not None else chat_model(settings)
    dialect = workspace.connector_class(record.name).dialect
    index = workspace.described_index(record.name, SchemaIndex.from_snapshot)  # + Olympus descriptions
    turns = [t for t in map(Turn.of, history) if t is not None][-HISTORY_TURNS:]
    dropped = list(dropped)
    pins = [*pinned, *earlier_tables(turns, dialect, index)]
    examples = workspace.verified_examples(record.name, question, index=index,  # few-shot
                                           budget_tokens=budget_tokens)
    terms = workspace.glossary_matches(record.name, question, [t.question for t in turns])
    glossary = prompt_block(terms)  # the business terms the question uses, within the budget
    context = index.context(question, dialect=dialect, pinned=pins, dropped=dropped,
                            budget_tokens=budget_tokens - count_tokens(examples) - count_tokens(glossary),
                            history=[t.question for t in turns], expand=expansion(terms))
    run = AgentRun(workspace, record, model, index, dialect, question, context=context,
                   examples=examples, glossary=glossary,
                   max_attempts=max_attempts, row_limit=settings.row_limit,
                   secrets=(settings.openai_api_key or "",), handle=handle)
    started = time.perf_counter()
    answer = run.go(turns)
    workspace.audit_ask(record, answer, elapsed_ms=(time.perf_counter() - started) * 1000)
    return answer


def earlier_tables(turns: list[Turn], dialect: str, index: SchemaIndex) -> list[str]:
    """Tables the latest earlier SQL used: a follow-up ("now only 2024") needs them again."""
    import sqlglot
    from sqlglot import exp

    sql = next((t.sql for t in reversed(turns) if t.sql), None)
    if not sql:
        return []
    try:
        tree = sqlglot.parse_one(sql, read=prompts.sqlglot_dialect(dialect))
    except Exception:
        return []
    finder = Toolbox(index, dialect)
    found = (finder.find(f"{t.db}.{t.name}" if t.db else t.name) for t in tree.find_all(exp.Table))
    return list(dict.fromkeys(index.keys[i] for i in found if i is not None))


class AgentRun:
    """State of one question: messages, SQL attempts, model calls and tokens."""

    def __init__(self, ws: "Workspace", record, model, index: SchemaIndex, dialect: str,
                 question: str, *, context, max_attempts: int, row_limit: int,
                 secrets: tuple[str, ...] = (), examples: str = "", glossary: str = "",
                 handle: "QueryHandle | None" = None) -> None:
        self.handle = handle  # Cancel: every statement runs under it; the loop stops on it
        self.examples = examples  # verified question -> SQL pairs like this one (prompt text)
        self.glossary = glossary  # glossary terms the question uses (prompt text)
        self.ws, self.record, self.model, self.index = ws, record, model, index
        self.secrets = secrets  # the API key: servers echo it back in error bodies
        self.dialect, self.question, self.context = dialect, question, context
        self.max_attempts, self.row_limit = max_attempts, row_limit
        self.expose = bool(record.expose_data_to_llm)
        self.toolbox = Toolbox(index, dialect, sample=self._sample if self.expose else None)
        self.attempts: list[Attempt] = []
        self.last_error: OlympusError | None = None
        self.calls = self.tokens = 0
        self.bound = None

    # ---- the loop ---------------------------------------------------------------------------
    def go(self, turns: list[Turn]) -> AgentAnswer:
        messages = self.opening(turns)
        try:
            self.bound = self.model.bind_tools(tool_specs(expose_data=self.expose))
            for _ in range(self.max_attempts + MAX_CATALOG_STEPS):
                ai = self.invoke(messages)
                done = self.tool_round(ai, messages) if ai.tool_calls else self.text_reply(ai, messages)
                if done is not None:
                    return done
        except (LLMError, QueryCancelled) as err:  # Cancel: its statement stopped on the server
            return self.fail(err)
        return self.fail(AgentGaveUp(f"The model made {self.calls} calls without a query that ran."))

    def opening(self, turns: list[Turn]) -> list:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        ctx = self.context
        system = prompts.system_prompt(self.dialect, ctx.text, shown=len(ctx.tables),
                                       total=ctx.total_tables, expose_data=self.expose,
                                       row_limit=self.row_limit, max_attempts=self.max_attempts,
                                       examples=self.examples, glossary=self.glossary)
        messages: list = [SystemMessage(system)]
        for turn in turns:  # answers hold row values: replayed only when data may be shared
            messages += [HumanMessage(turn.question),
                         AIMessage(prompts.history_reply(turn.sql, turn.answer if self.expose else None))]
        return messages + [HumanMessage(self.question)]

    def invoke(self, messages: list):
        if self.handle is not None:  # cancelled while the model or a look-up was busy: stop
            self.handle.check()
        self.calls += 1
        try:
            ai = self.bound.invoke(messages)
        except OlympusError:
            raise
        except Exception as exc:  # network, auth, rate limit, malformed reply: the real words
            raise as_llm_error(exc, secrets=self.secrets) from None
        usage = getattr(ai, "usage_metadata", None) or {}
        self.tokens += int(usage.get("total_tokens") or 0) or self._estimate(messages, ai)
        messages.append(ai)
        return ai

    def tool_round(self, ai, messages: list) -> AgentAnswer | None:
        from langchain_core.messages import ToolMessage

        calls = list(ai.tool_calls)
        for k, call in enumerate(calls):
            args = call.get("args") or {}
            if call["name"] != "run_sql":
                messages.append(ToolMessage(self.toolbox.call(call["name"], args), tool_call_id=call["id"]))
                continue
            result = self.try_sql(args.get("sql"), messages, lambda text: ToolMessage(text, tool_call_id=call["id"]))
            if result is None:
                if len(self.attempts) >= self.max_attempts:
                    return self.fail(self.last_error)
                continue
            messages.append(ToolMessage(self.result_note(result), tool_call_id=call["id"]))
            messages += [ToolMessage("Not run: the query above already answered the question.",
                                     tool_call_id=rest["id"]) for rest in calls[k + 1:]]
            return self.finish(result, messages, args)
        return None

    def text_reply(self, ai, messages: list) -> AgentAnswer | None:
        from langchain_core.messages import HumanMessage

        text = text_of(ai).strip()
        sql = sql_in_text(text)
        if sql is None:
            return self.no_sql(text)
        result = self.try_sql(sql, messages, HumanMessage)
        if result is None:
            return self.fail(self.last_error) if len(self.attempts) >= self.max_attempts else None
        messages.append(HumanMessage(self.result_note(result)))
        return self.finish(result, messages, {"follow_ups": split_follow_ups(text)[1]})

    # ---- SQL ----------------------------------------------------------------------------------
    def try_sql(self, raw: Any, messages: list, reply) -> "QueryResult | None":
        """Fences off, then the guarded runner; an error is recorded and fed back for a retry."""
        sql = strip_fences(str(raw or ""))
        try:
            return self.ws.run_sql(self.record.name, sql, question=self.question,
                                   handle=self.handle)
        except OlympusError as err:
            err.sql = err.sql or sql
            self.last_error = err
            self.attempts.append(Attempt(sql, f"{err.title}: {err.message}"))
            if isinstance(err, QueryCancelled):
                raise  # no retry: the person stopped it
            left = self.max_attempts - len(self.attempts)
            messages.append(reply(prompts.RETRY.format(error=self._for_model(err, sql), left=left,
                                                       label=prompts.rules(self.dialect).label)))
            return None

    def _for_model(self, err: OlympusError, sql: str) -> str:
        text = f"{err.title}: {err.message}"
        if err.detail:
            text += f" ({err.detail})"
        if self.expose:
            return text
        names = {p for key in self.index.keys for p in (key, *key.split("."))}
        names |= {c.name for t in self.index.tables for c in t.columns}
        return scrub(text, names, sql)

    def result_note(self, result: "QueryResult") -> str:
        cut = ", cut at the row limit" if result.truncated else ""
        columns = ", ".join(f"{c} ({t})" for c, t in zip(result.columns, result.types))
        if not self.expose:
            return prompts.RESULT_OFF.format(rows=result.row_count, cut=cut, columns=columns)
        rows = cap_rows(result.rows(), RESULT_SAMPLE_ROWS)
        return prompts.RESULT_ON.format(rows=result.row_count, cut=cut, columns=columns,
                                        shown=len(rows), sample=json.dumps(rows, default=str))

    def _sample(self, sql: str) -> tuple[list[str], list]:
        result = self.ws.run_sql(self.record.name, sql, limit=5, question=self.question,
                                 handle=self.handle)
        return list(result.columns), result.rows()

    # ---- endings ------------------------------------------------------------------------------
    def finish(self, result: "QueryResult", messages: list, args: Mapping[str, Any]) -> AgentAnswer:
        local = summarize(result)
        explanation = str(args.get("explanation") or "").strip()
        answer = f"{explanation} {local}".strip() if explanation else local
        suggested = follow_ups(args.get("follow_ups"))
        if self.expose:  # the model saw a capped sample: let it phrase the answer
            try:
                phrased, listed = split_follow_ups(text_of(self.invoke(messages)).strip())
                answer, suggested = phrased or answer, suggested or listed
            except LLMError:
                pass  # the result stands; the local summary answers
        return self._answer(sql=result.sql, result=result, answer=answer,
                            chart=chart_for(args.get("chart"), result), follow_ups=suggested)

    def no_sql(self, text: str) -> AgentAnswer:
        self.ws.log_event(self.record.id, question=self.question, status="no_sql",
                          error=text[:500] or None)
        message = text or "The model replied without a query."
        return self._answer(sql=None, answer=text, error=AgentGaveUp(message))

    def fail(self, err: OlympusError) -> AgentAnswer:
        if not self.attempts:  # nothing reached the runner, so nothing is logged yet
            self.ws.log_event(self.record.id, question=self.question, error=f"{err.title}: "
                              f"{err.message}", status="cancelled"
                              if isinstance(err, QueryCancelled) else "error")
        return self._answer(sql=self.attempts[-1].sql if self.attempts else None, error=err)

    def _answer(self, **values: Any) -> AgentAnswer:
        sent = tuple(dict.fromkeys([*self.context.tables, *self.toolbox.looked_up]))
        return AgentAnswer(question=self.question, tables_sent=sent, attempts=tuple(self.attempts),
                           tokens=self.tokens, context_tokens=self.context.tokens,
                           model_calls=self.calls, **values)

    def _estimate(self, messages: list, ai) -> int:
        sent = sum(count_tokens(text_of(m)) + 4 for m in messages)
        calls = json.dumps(getattr(ai, "tool_calls", None) or [], default=str)
        return sent + count_tokens(text_of(ai)) + count_tokens(calls)
