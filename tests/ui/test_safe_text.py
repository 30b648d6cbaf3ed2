"""Untrusted text never becomes a markdown image, link or HTML: the helpers, payload by payload."""

from __future__ import annotations

import re

import pytest

from olympus.ui.safe_text import badge_text, md_code, md_text, safe_answer_markdown
from olympus.ui.schema import dot_label
from tests.ui.helpers import as_read

HOST = "http://127.0.0.1:9/leak"
PAYLOADS = [
    f"![x]({HOST}/i?d=1)",
    f"[click]({HOST}/click)",
    f"<img src={HOST}/img.png>",
    f'<a href="{HOST}/a">x</a>',
    f"![x][1]\n\n[1]: {HOST}/ref.png",
    f"[x][r]\n[r]: <{HOST}/ref2>",
    f"<{HOST}/auto>",
    f"see {HOST}/bare.png and www.evil.example and mail me@evil.example",
    f"&lt;img src={HOST}/entity.png&gt; &#33;&#91;x&#93;({HOST}/e)",
    f"[![x]({HOST}/nested.png)](/Ask)",
    f"\\![x]({HOST}/backslash)",
    f"`code` ![x]({HOST}/after-code) `open",
    f"| a | `b|![x]({HOST}/table-code)` |\n|---|---|\n| 1 | 2 |",
    f"```\n![x]({HOST}/fenced)\n```\n![y]({HOST}/after-fence)",
    f"- item\n  ```\n![x]({HOST}/list-fence)\n```",
    f":red[![x]({HOST}/directive)] :material/home:",
    f"$\\href{{{HOST}/math}}{{x}}$",
    f"[x](javascript:alert(1)) [y](//evil.example/p) [z](/\\evil.example) [w](data:image/png,1)",
]
RELATIVE = re.compile(r"\]\((?!//)[A-Za-z0-9_\-./?#=%~+]+\)")


def live_markup(markdown: str) -> list[str]:
    """The constructs in `markdown` a CommonMark/GFM renderer (Streamlit's) would turn into an
    image, a link, an HTML tag or an entity; escaped characters, code spans and fenced blocks
    (shown literally) don't count, nor do links to the app itself (relative targets)."""
    text = re.sub(r"\\[!-/:-@\[-`{-~]", "\x00", markdown)  # escaped punctuation: literal
    text = re.sub(r"(?ms)^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", "", text)  # fenced blocks
    cells = [cell for line in text.split("\n") for cell in line.split("|")]  # GFM table cells
    text = "\n".join(re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", c) for c in cells)
    text = RELATIVE.sub(")", text)
    return re.findall(r"!\[|\]\(|\]\[|<|&#?\w+;|https?://|(?i:www)\.|[-.\w+]@[-\w]+(?:\.[-\w]+)+"
                      r"|^\s*\[[^\]]*\]:", text, re.M)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_checker_sees_each_raw_payload(payload):
    assert live_markup(payload), payload  # so the checks below can fail


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_text_is_literal_and_reads_exactly_as_written(payload):
    out = md_text(payload)
    assert live_markup(out) == []
    assert as_read(out) == payload  # escapes and word joiners are invisible


@pytest.mark.parametrize("payload", PAYLOADS)
def test_answers_lose_images_links_and_html(payload):
    out = safe_answer_markdown(payload)
    assert live_markup(out) == [], out


def test_answer_keeps_bold_italic_strikethrough_code_lists_and_tables():
    text = "**Total**: _3_ ~~old~~ `SUM(amount)`\n- East\n1. West\n| a | b |\n|---|---|\n| 1 | 2 |"
    out = safe_answer_markdown(text)
    assert out == ("**Total**: _3_ ~~old~~ ` SUM\\(amount\\) `".replace("\\(", "(")
                   .replace("\\)", ")")
                   + "\n- East\n1. West\n| a | b |\n|---|---|\n| 1 | 2 |")


def test_answer_keeps_links_to_the_app_itself():
    for link in ("[the Ask page](/Ask)", "[schema](Schema?conn=Demo#orders)", "[top](#top)",
                 "[rel](./x/y.csv)"):
        assert safe_answer_markdown(link) == link
    assert safe_answer_markdown("[off](/Ask)", links=False) == "off"


@pytest.mark.parametrize("target", ["http://evil.example/x", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "mailto:a@b.c",
                                    "data:text/html,x", "javascript&#58;alert(1)", "HTTP://E/x"])
def test_answer_links_leaving_the_app_become_their_text(target):
    out = safe_answer_markdown(f"see [the docs]({target}) now")
    assert "the docs" in out and live_markup(out) == [], out


def test_images_become_their_alt_text_and_html_shows_as_text():
    assert safe_answer_markdown(f"![chart of rows]({HOST}/x.png)") == "chart of rows"
    assert as_read(safe_answer_markdown("<b>hi</b> & <br>")) == "<b>hi</b> & <br>"


def test_fenced_code_stays_verbatim_behind_a_fence_nothing_inside_can_close():
    out = safe_answer_markdown("```sql\nSELECT '```' AS x, '![a](http://e)' AS y\n````\nafter")
    assert out == "````sql\nSELECT '```' AS x, '![a](http://e)' AS y\n````\nafter"
    unclosed = safe_answer_markdown("~~~\n![a](http://e)")  # runs to the end, as CommonMark does
    assert unclosed == "```\n![a](http://e)\n```"


def test_code_span_in_a_table_row_cannot_be_split_into_an_image():
    out = safe_answer_markdown(f"| `a|![x]({HOST}/t)` |")
    cells = out.split("|")  # GFM splits table cells at | even inside code
    assert all(live_markup(cell.replace("`", "")) == [] for cell in cells), out


def test_md_code_fence_outlasts_any_backtick_run_and_stays_on_one_line():
    assert md_code("a ``b`` c\nd") == "``` a ``b`` c d ```"
    assert md_code(None) == "`  `"


def test_badge_text_leaves_brackets_for_st_badge_to_escape():
    label = badge_text(f"AI · ![x]({HOST}/b)")
    body = ":violet-badge[" + label.replace("[", "\\[").replace("]", "\\]") + "]"  # st.badge
    assert live_markup(body[len(":violet-badge["):-1]) == []


def test_dot_labels_hold_no_quote_or_backslash_and_decode_to_the_name():
    import html

    for name in ['cust" URL="http://e/x" a="', "ends with\\", "two\\\\", "<b>&amp;", "a\nb\tc"]:
        label = dot_label(name)
        assert '"' not in label and "\\" not in label and "<" not in label and "\n" not in label
        # Graphviz decodes entities, then reads \\ as one backslash
        shown = html.unescape(label).replace("\\\\", "\\")
        assert shown == name.replace("\n", " ").replace("\t", " ")
