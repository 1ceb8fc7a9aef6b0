"""The public room list as files for web pages and spreadsheets: inert, readable."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from bot.__main__ import parser
from bot.services.listing import PublicRoom, render
from tests.chat import ORGANIZER, Chat

TEXT_FIELDS = [f.name for f in dataclasses.fields(PublicRoom) if f.type == "str"]
assert {"name", "organization", "days", "signup_url"} <= set(TEXT_FIELDS)
PLAIN = PublicRoom(
    id="R1", name="Oslo", organization="UiO", mode="online", city="Oslo", country="NO",
    language="no", days="Tue 17 Mar", who_may_join="anyone", signup_url="", seats_left=3,
)
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "<https://evil.example>",
    "&lt;script&gt; &#60;b&#62; &amp;",
    "**bold** _em_ `code` ~~gone~~",
    r"a \| b | c \<i>",
    "# heading",
    "- item",
]


class Cells(HTMLParser):
    """The tags of a rendered page and the text of its table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_cell = self._in_cell and tag not in ("td", "th")

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def web_page(markdown: str) -> Cells:
    # The most permissive renderer a workshop site might use: raw HTML allowed.
    rendered = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    page = Cells()
    page.feed(rendered.render(markdown))
    return page


@pytest.mark.parametrize("payload", HOSTILE)
def test_markdown_export_shows_every_field_as_text_on_a_web_page(payload: str) -> None:
    entries = [dataclasses.replace(PLAIN, **{name: payload}) for name in TEXT_FIELDS]
    page = web_page(render(entries, "md"))
    assert page.tags == {"table", "thead", "tbody", "tr", "th", "td"}
    columns = len(TEXT_FIELDS) + 1
    rows = [page.cells[i : i + columns] for i in range(columns, len(page.cells), columns)]
    assert len(rows) == len(TEXT_FIELDS)
    for name, row in zip(TEXT_FIELDS, rows, strict=True):
        shown = dict(zip(page.cells[:columns], row, strict=True))
        assert shown[name] == payload, f"{name} is not shown as typed"


def test_the_table_names_the_country_and_the_data_keep_its_code() -> None:
    assert "| Norway (NO) |" in render([PLAIN], "md")
    assert '"country": "NO"' in render([PLAIN], "json")
    assert '"NO"' in render([PLAIN], "csv").splitlines()[1]


def test_a_line_break_in_a_field_does_not_break_the_table() -> None:
    page = web_page(render([dataclasses.replace(PLAIN, name="one\ntwo\r\n| x |")], "md"))
    assert len(page.cells) == 2 * (len(TEXT_FIELDS) + 1) and "one two | x |" in page.cells


# OWASP, "CSV injection": cells must not start with these.
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(start: str) -> None:
    formula = f"{start}HYPERLINK(\"https://evil.example\",\"x\")"
    entries = [dataclasses.replace(PLAIN, **{name: formula}) for name in TEXT_FIELDS]
    rows = list(csv.reader(io.StringIO(render(entries, "csv"))))
    for name, row in zip(TEXT_FIELDS, rows[1:], strict=True):
        cell = row[rows[0].index(name)]
        assert cell == "'" + formula, f"{name} {start!r}"


def test_ordinary_csv_cells_are_left_alone_and_separators_stay_inside() -> None:
    entry = dataclasses.replace(PLAIN, name="Oslo-Nord = 1+1", city="a,=1+1", country="a;=1+1")
    text = render([entry], "csv")
    assert '"a;=1+1"' in text
    header, row = list(csv.reader(io.StringIO(text)))
    shown = dict(zip(header, row, strict=True))
    assert shown["name"] == "Oslo-Nord = 1+1" and shown["city"] == "a,=1+1"
    assert shown["seats_left"] == "3" and ',3\n' in text


def test_json_export_keeps_values_as_typed() -> None:
    entry = dataclasses.replace(PLAIN, name="=1+1 <b>")
    assert json.loads(render([entry], "json"))[0]["name"] == "=1+1 <b>"


async def test_days_are_readable_and_both_exports_default_to_the_same_format(
    chat: Chat,
) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00",
    )
    await chat.say(ORGANIZER, "!room add name=A org=U mode=online capacity=3 days=1-2 public=yes")
    await chat.say(ORGANIZER, "!room add name=B org=U mode=online capacity=3 public=yes")
    answer = await chat.say(ORGANIZER, "!rooms export json")
    attachment = answer.messages[0].attachment
    assert attachment is not None
    assert [room["days"] for room in json.loads(attachment.data)] == [
        "Tue 17 Mar, Wed 18 Mar",
        "Tue 17 Mar, Wed 18 Mar, Thu 19 Mar",
    ]
    default = (await chat.say(ORGANIZER, "!rooms export")).messages[0].attachment
    command_line = parser().parse_args(["export-rooms"]).format
    assert default is not None and default.filename == f"2026-spring-rooms.{command_line}"
