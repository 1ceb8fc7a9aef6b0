"""Matrix content both ways: reading what people typed, rendering what the bot says."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.messages import Attachment
from bot.text import escape
from bot.transport.matrix_format import (
    direct_rooms,
    file_content,
    notice_content,
    read_text_message,
    render_markdown,
    strip_reply_fallback,
    text_with_pills,
    transaction_id,
    user_id_of_link,
)

BOT = "@bot:uni.no"


def event(content: Any, *, sender: str = "@ana:uni.no", **extra: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "event_id": "$e1",
        "sender": sender,
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
        **extra,
    }


# -- rendering -------------------------------------------------------------------


def test_html_in_the_text_is_escaped_never_rendered() -> None:
    html = render_markdown("'<b>x</b>' is not a time zone <script>alert(1)</script>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>" not in html
    assert "<script>" not in html


def test_markdown_is_rendered_and_single_line_breaks_are_kept() -> None:
    html = render_markdown("**Usage:** `!tz Area/City`\nExample: `!tz Europe/Oslo`")
    assert html == (
        "<p><strong>Usage:</strong> <code>!tz Area/City</code><br />\n"
        "Example: <code>!tz Europe/Oslo</code></p>"
    )


def test_a_javascript_link_is_not_made_clickable() -> None:
    assert "href" not in render_markdown("[click](javascript:alert(1))")


def test_a_reply_is_a_notice_that_pings_nobody_unless_told() -> None:
    content = notice_content("Hi *there*", reply_to="$cmd")
    assert content == {
        "msgtype": "m.notice",
        "body": "Hi there",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p>Hi <em>there</em></p>",
        "m.mentions": {},
        "m.relates_to": {"m.in_reply_to": {"event_id": "$cmd"}},
    }
    mentioned = notice_content("Hi", mentions=("@ana:uni.no", "@ana:uni.no", "@bo:uni.no"))
    assert mentioned["m.mentions"] == {"user_ids": ["@ana:uni.no", "@bo:uni.no"]}
    assert "m.relates_to" not in mentioned


def test_the_plain_body_shows_no_markdown_escapes_or_markers() -> None:
    text = escape("M_FORBIDDEN *not* [a link]") + "\n**Rooms**\n- `!join R1` <https://x.org>"
    content = notice_content(text)
    assert content["body"] == "M_FORBIDDEN *not* [a link]\nRooms\n- `!join R1` https://x.org"
    assert "\\" not in content["body"]
    assert "<strong>Rooms</strong>" in content["formatted_body"]


def test_a_reply_to_a_command_in_a_thread_stays_in_the_thread() -> None:
    content = notice_content("ok", reply_to="$cmd", thread_root="$root")
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$cmd"},
    }


def test_images_are_m_image_other_files_m_file() -> None:
    png = file_content(Attachment("c.png", "image/png", b"123"), "mxc://s/a")
    csv = file_content(Attachment("f.csv", "text/csv", b"a,b\n"), "mxc://s/b", reply_to="$c")
    ics = file_content(Attachment("o.ics", "text/calendar", b"BEGIN"), "mxc://s/c")
    assert (png["msgtype"], csv["msgtype"], ics["msgtype"]) == ("m.image", "m.file", "m.file")
    assert csv["info"] == {"mimetype": "text/csv", "size": 4}
    assert csv["url"] == "mxc://s/b"
    assert csv["m.relates_to"] == {"m.in_reply_to": {"event_id": "$c"}}


# -- transaction ids -------------------------------------------------------------


def test_a_transaction_id_is_the_same_for_the_same_message_part() -> None:
    first = transaction_id("a1b2c3", "$cmd", "!room:s", 0, "hello")
    assert first == transaction_id("a1b2c3", "$cmd", "!room:s", 0, "hello")
    assert re.fullmatch(r"[A-Za-z0-9]+", first)  # safe in a URL path


@pytest.mark.parametrize(
    "other",
    [
        ("zzzzzz", "$cmd", "!room:s", 0, "hello"),
        ("a1b2c3", "$other", "!room:s", 0, "hello"),
        ("a1b2c3", None, "!room:s", 0, "hello"),
        ("a1b2c3", "$cmd", "@ana:s", 0, "hello"),
        ("a1b2c3", "$cmd", "!room:s", 1, "hello"),
        ("a1b2c3", "$cmd", "!room:s", 0, "hello!"),
    ],
)
def test_a_transaction_id_differs_when_any_part_differs(
    other: tuple[str, str | None, str, int, str],
) -> None:
    assert transaction_id(*other) != transaction_id("a1b2c3", "$cmd", "!room:s", 0, "hello")


# -- reading messages --------------------------------------------------------------


def test_a_text_message_is_read_with_its_ids_and_time() -> None:
    message = read_text_message(event({"msgtype": "m.text", "body": "!tz"}), BOT)
    assert message is not None
    assert (message.event_id, message.sender, message.body) == ("$e1", "@ana:uni.no", "!tz")
    assert message.origin_server_ts == 1_700_000_000_000
    assert message.thread_root is None


@pytest.mark.parametrize(
    "raw",
    [
        event({"msgtype": "m.text", "body": "!tz"}, sender=BOT),  # the bot itself
        event({"msgtype": "m.notice", "body": "!tz"}),  # another bot's notice
        event({"msgtype": "m.emote", "body": "!tz"}),
        event({"msgtype": "m.text"}),  # no body
        event({"msgtype": "m.text", "body": 42}),
        event({"msgtype": "m.text", "body": None}),
        event({"body": "!tz"}),
        event("not an object"),
        event(None),
        event({"msgtype": "m.text", "body": "* !tz",
               "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"}}),  # an edit
        {**event({"msgtype": "m.text", "body": "!tz"}), "type": "m.room.encrypted"},
        {**event({"msgtype": "m.text", "body": "!tz"}), "event_id": None},
        {**event({"msgtype": "m.text", "body": "!tz"}), "sender": 7},
        "not an event",
        None,
    ],
)
def test_what_is_not_a_person_typing_text_is_ignored(raw: Any) -> None:
    assert read_text_message(raw, BOT) is None


@pytest.mark.parametrize(
    "relates_to",
    ["not an object", {"rel_type": 5}, {"m.in_reply_to": "x"}, [1, 2],
     {"rel_type": "m.thread", "event_id": 5}],
)
def test_a_malformed_relation_still_leaves_the_command(relates_to: Any) -> None:
    raw = event({"msgtype": "m.text", "body": "!help", "m.relates_to": relates_to})
    message = read_text_message(raw, BOT)
    assert message is not None
    assert message.body == "!help"
    assert message.thread_root is None


def test_a_bad_timestamp_is_dropped_not_fatal() -> None:
    for stamp in ("yesterday", True, None, 1.5):
        message = read_text_message(
            event({"msgtype": "m.text", "body": "!tz"}, origin_server_ts=stamp), BOT
        )
        assert message is not None and message.origin_server_ts is None


def test_a_message_in_a_thread_names_its_root() -> None:
    raw = event({"msgtype": "m.text", "body": "!tz", "m.relates_to": {
        "rel_type": "m.thread", "event_id": "$root", "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$root"}}})
    message = read_text_message(raw, BOT)
    assert message is not None and message.thread_root == "$root"


# -- pills ---------------------------------------------------------------------------


def test_a_pill_becomes_the_user_id() -> None:
    raw = event({
        "msgtype": "m.text",
        "body": "!room lead add R7 Ana Lund",
        "format": "org.matrix.custom.html",
        "formatted_body": '!room lead add R7 '
        '<a href="https://matrix.to/#/@ana:uni.no">Ana Lund</a>',
    })
    message = read_text_message(raw, BOT)
    assert message is not None
    assert message.body == "!room lead add R7 @ana:uni.no"


@pytest.mark.parametrize(
    ("href", "user"),
    [
        ("https://matrix.to/#/@ana:uni.no", "@ana:uni.no"),
        ("https://matrix.to/#/%40ana%3Auni.no", "@ana:uni.no"),
        ("https://matrix.to/#/@ana:uni.no?via=uni.no", "@ana:uni.no"),
        ("matrix:u/ana:uni.no", "@ana:uni.no"),
        ("matrix:u/ana:uni.no?action=chat", "@ana:uni.no"),
        ("https://matrix.to/#/#room:uni.no", None),
        ("https://matrix.to/#/!abc:uni.no/$event", None),
        ("https://example.org/#/@ana:uni.no", None),
        ("https://matrix.to/#/@", None),
        ("", None),
    ],
)
def test_only_user_links_are_pills(href: str, user: str | None) -> None:
    assert user_id_of_link(href) == user


def test_text_around_pills_is_kept_and_entities_are_decoded() -> None:
    html = (
        '!room lead add R7 <a href="https://matrix.to/#/@ana:uni.no">Ana <b>L</b></a> '
        'and <a href="https://matrix.to/#/@bo:uni.no">Bo</a> &amp; <a href="https://x.org">x</a>'
        "<br>next line"
    )
    assert text_with_pills(html) == (
        "!room lead add R7 @ana:uni.no and @bo:uni.no & x\nnext line"
    )


def test_without_a_pill_the_plain_body_is_used() -> None:
    assert text_with_pills("<b>!tz</b> Europe/Oslo") is None
    raw = event({"msgtype": "m.text", "body": "**!tz**", "format": "org.matrix.custom.html",
                 "formatted_body": "<strong>!tz</strong>"})
    message = read_text_message(raw, BOT)
    assert message is not None and message.body == "**!tz**"


def test_a_reply_fallback_is_dropped_from_the_command() -> None:
    body = "> <@bot:uni.no> Your time zone is UTC.\n> second line\n\n!tz Europe/Oslo"
    assert strip_reply_fallback(body) == "!tz Europe/Oslo"
    assert strip_reply_fallback("> a quote I typed\n\n!tz") == "> a quote I typed\n\n!tz"
    raw = event({
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": "<mx-reply><blockquote>Your time zone is "
        '<a href="https://matrix.to/#/@bot:uni.no">bot</a></blockquote></mx-reply>'
        '!help <a href="https://matrix.to/#/@bo:uni.no">Bo</a>',
        "m.relates_to": {"m.in_reply_to": {"event_id": "$prev"}},
    })
    message = read_text_message(raw, BOT)
    assert message is not None and message.body == "!help @bo:uni.no"


def test_broken_html_does_not_break_reading() -> None:
    for html in ("<a href=", '<a href="https://matrix.to/#/@a:b">x', "<mx-reply><p>", "</a></a>"):
        text_with_pills(html)  # no exception is the test
    assert text_with_pills('<a href="https://matrix.to/#/@a:b">x') == "@a:b"


def test_direct_rooms_keep_only_well_formed_entries() -> None:
    assert direct_rooms({"@a:s": ["!r1", 5, "!r2"], "@b:s": "!r3", 7: ["!r4"]}) == {
        "@a:s": ["!r1", "!r2"]
    }
    assert direct_rooms(None) == {}
    assert direct_rooms([]) == {}
