"""`escape` makes any text literal, on every network, at any place in a line.

For any text t: the console and a Matrix `body` (`render.plain_text`) show t; a
Matrix `formatted_body` parsed as a browser would (html5lib) holds the text t
and no element beyond the wrapping paragraph; `- {escape(t)}` stays one list
item holding t; Zulip gets nothing of t it reads as syntax (its documented
Markdown: docs/subsystems/markdown.md and zerver/lib/markdown in zulip/zulip).
"""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.forms import engine
from bot.forms.definitions import Audience, Form, Kind, Question
from bot.render import html as render_html
from bot.render import plain_text
from bot.services.summary import render as summary
from bot.text import _escaped, escape
from bot.transport.matrix_format import notice_content
from bot.transport.zulip_format import render as zulip

# Pieces that mean something to some Markdown at the start of a line or inside one.
MARKUP = [
    "#", "# ", "## x", "-", "- ", "+ ", "* ", "> ", "1. ", "1) ", "12.", "---", "===", "***",
    "___", "- - -", "```", "~~~", "```spoiler x", "|", "| a | b |", "    ", "\t", " ", "  ",
    "\u00a0", "\u3000", "&#10;", "&#x0A;", "&amp;", "&lt;b&gt;", "&copy", "&", "\\", "\\n",
    "*", "**", "_", "__", "`", "``", "~~", "[", "]", "(", ")", "![x](y)", "[l](javascript:x)",
    "<", ">", "<b>", "<https://x.org>", "<time:2026-03-02T10:00Z>", "$$x^2$$", "$", ":",
    ":smile:", ":+1:", "@**all**", "@_**Ana|12**", "@*group*", "#**general**",
    "#**a>b**", "/me ", "/me", "zulip:12", "zulip:", "@ana:uni.no", "10:00", "https://x.org/",
    "!", "=", ".", "é", "\u0301", "ﷺ", "\U0001f600", "a", "b c",
]
LINE_BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f"]
_BREAK = re.compile("\r\n|[\n\r\v\f\x85\u2028\u2029]")
# Any character a one-line field can hold: no control characters, no line breaks.
CHARACTER = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"
)
ONE_LINE = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.text(CHARACTER, max_size=4)), max_size=12
).map("".join)
SEVERAL_LINES = st.lists(st.one_of(ONE_LINE, st.sampled_from(LINE_BREAKS)), max_size=8).map(
    "".join
)
EXAMPLES = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))


def parsed(fragment: str) -> Element:
    """The body of the HTML as a browser builds it."""
    document = html5lib.parse(fragment, namespaceHTMLElements=False)
    body = document.find("body")
    assert body is not None
    return body


def tags(element: Element) -> list[str]:
    return [child.tag for child in element.iter()][1:]


@EXAMPLES
@given(ONE_LINE)
def test_the_console_and_matrix_show_the_text_itself(text: str) -> None:
    """500 examples, about 2.5 s (measured on 2 shared, busy cores)."""
    content = notice_content(escape(text))
    assert plain_text(escape(text)) == text == content["body"]
    body = parsed(content["formatted_body"])
    assert "".join(body.itertext()) == text
    assert tags(body) in ([], ["p"])


@EXAMPLES
@given(ONE_LINE.filter(bool))  # an empty item after a line is a setext underline: no text
def test_text_in_a_list_item_stays_inside_that_item(text: str) -> None:
    """500 examples, about 2.7 s (measured on 2 shared, busy cores)."""
    markdown = f"Answers:\n- {escape(text)}\n- {escape(text)}"
    body = parsed(render_html(markdown))
    assert tags(body) == ["p", "ul", "li", "li"]
    assert ["".join(item.itertext()) for item in body.iter("li")] == [text, text]
    assert plain_text(markdown) == f"Answers:\n- {text}\n- {text}"


@EXAMPLES
@given(ONE_LINE.filter(bool))
def test_text_inside_the_bots_bold_stays_inside_it(text: str) -> None:
    """500 examples, about 5 s (measured on 2 shared, busy cores). Titles and names
    are shown in bold: the bold holds exactly the text, whatever it begins or ends
    with (`*`, a space, a backslash)."""
    for markdown, held in [(f"**{escape(text)}**", text),
                           (f"- **R1 · {escape(text)}** ({escape(text)})", f"R1 · {text}")]:
        [bold] = parsed(render_html(markdown)).iter("strong")
        assert "".join(bold.itertext()) == held


@EXAMPLES
@given(ONE_LINE)
def test_zulip_gets_no_syntax_of_the_texts_making(text: str) -> None:
    """500 examples, about 1.6 s (measured on 2 shared, busy cores). Zulip has no
    backslash escapes but passes character references through, so every character
    it could read as syntax arrives as one, and decoding them gives the text back.
    What is left untouched: bare addresses (Zulip links them, showing the same
    text) and an organization's own linkifiers."""
    sent = zulip(escape(text), {12: "Ana"})
    raw = re.sub(r"&#\d+;", " ", sent)  # references: no pattern reads into them
    assert not set(raw) & set("\\`*_[]<>~|$&"), sent
    assert not re.search(r":[\w+-]+:|zulip:\d|@_?\*|#\*\*", raw), sent
    assert not re.match(r"\s|[#+\-=/>]|\d+[.)]", sent), sent  # no block of its own
    assert html.unescape(sent) == text
    assert zulip(f"- {escape(text)}", {}) == f"- {sent}"
    assert zulip(f"Name: **{escape(text)}**", {}) == f"Name: **{sent}**"


@EXAMPLES
@given(SEVERAL_LINES)
def test_several_lines_keep_their_breaks_inside_one_block(text: str) -> None:
    """500 examples, about 4.3 s (measured on 2 shared, busy cores). Each break is a
    line break in the same paragraph or list item, never a new block; breaks at the
    very end show nothing."""
    lines = _BREAK.sub("\n", text).rstrip("\n")
    assert plain_text(escape(text)) == lines
    paragraph = parsed(render_html(escape(text)))
    assert "".join(paragraph.itertext()) == lines
    assert set(tags(paragraph)) <= {"p", "br"} and tags(paragraph).count("p") <= 1
    item = parsed(render_html(f"- {escape(text)}\nAfter the list."))
    assert tags(item).count("li") == 1 and set(tags(item)) <= {"ul", "li", "br", "p"}
    assert "".join(next(item.iter("li")).itertext()) == lines
    sent = zulip(f"- {escape(text)}", {})  # an empty line is a space: Zulip keeps it
    first, *rest = lines.split("\n")
    shown = "\n".join([f"- {first}", *(f"  {line or ' '}" for line in rest)])
    assert "\\" not in sent and html.unescape(sent) == shown


def test_what_rendered_as_markup_on_main_is_text() -> None:
    """The cases of the issue: a heading inside a summary's list item, and a
    character reference that became a line break in a one-line field."""
    assert render_html(f"- {escape('# Great day')}") == "<ul>\n<li># Great day</li>\n</ul>"
    assert plain_text(f"**R1** {escape('Oslo&#10;Room')}") == "R1 Oslo&#10;Room"
    assert render_html(escape("1. first")) == "<p>1. first</p>"
    assert render_html(escape("    indented")) == "<p>    indented</p>"  # no code block


@EXAMPLES
@given(st.one_of(SEVERAL_LINES, st.text(max_size=30)))
def test_text_returned_as_it_is_is_what_the_rules_would_make_of_it(text: str) -> None:
    """The shortcut for plain text (most names) changes no answer."""
    assert escape(text) == _escaped(text)


def test_the_escapes_are_few_where_nothing_needs_them() -> None:
    """Ordinary names stay readable in the Markdown source (and in test assertions)."""
    for text in ("Oslo classroom", "St Mary's College", "@ana:uni.no", "10:00",
                 "Room 101, 2nd floor", "https://uio.no/s?a=1"):
        assert escape(text) == text
    assert escape("- x") == "\\- x" and escape("a-b") == "a-b"
    # `:00-15:` could be a custom emoji's name on Zulip
    assert escape(":tada: at 10:00-15:00") == "\\:tada: at 10\\:00-15:00"


def test_a_forms_configured_texts_are_shown_as_written() -> None:
    """Titles, questions and choices come from TOML and are text: the question, the
    answers to confirm and the summary show them as written, like the answers."""
    asked = Question("q", Kind.CHOICE, "# Was it *fast*?", ("- yes", "1. no"))
    free = Question("t", Kind.TEXT, "> Why?")
    form = Form("f", "Day_1 <b>", Audience.LEARNERS, (asked, free))
    question = engine.ask(form, engine.State(), "!")
    confirm = engine.ask(form, engine.State(2, {"q": "- yes", "t": "# Great\n---"}), "!")
    total = summary("Day_1 <b> (f)", [], 0, [])
    # Only the bot's own structure: its numbered choices, its list of answers.
    assert tags(parsed(render_html(question))) == [
        "p", "strong", "br", "ol", "li", "li", "p", "br", "code"]
    assert tags(parsed(render_html(confirm)))[:6] == ["p", "strong", "ul", "li", "li", "br"]
    assert tags(parsed(render_html(total))) == ["p", "strong"]
    assert "# Was it *fast*?\n1. - yes\n2. 1. no" in plain_text(question)
    assert "- > Why?: # Great\n" in plain_text(confirm)
    assert plain_text(total).startswith("Day_1 <b> (f): 0 responses")
