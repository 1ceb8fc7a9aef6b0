"""Zulip's side of the neutral messages: reading commands, naming people, rendering."""

from __future__ import annotations

from bot.transport.zulip_format import (
    Direct,
    StreamTopic,
    command_text,
    conversation_of,
    read_message,
    render,
    split,
    user_number,
)

BOT = 9
NAMES = {12: "Ana Lopez", 5: "Bo *Bold* | x"}


def read(content: str, prefix: str = "!") -> str:
    return command_text(content, own_id=BOT, own_name="Classroom Bot", prefix=prefix,
                        resolve=lambda name: {"Ana Lopez": 12, "Bo": 5}.get(name))


def test_a_leading_mention_of_the_bot_becomes_the_prefix() -> None:
    assert read("@**Classroom Bot** help") == "!help"
    assert read("@**classroom bot**   rooms lang=de", prefix=".") == ".rooms lang=de"
    assert read("@**Classroom Bot|9** tz") == "!tz"
    assert read("@_**Classroom Bot|9** tz") == "!tz"
    # Elsewhere in the message a mention of the bot is no command.
    assert read("thanks @**Classroom Bot**") == "thanks @**Classroom Bot**"
    # Another person's mention first is not one of the bot.
    assert read("@**Ana Lopez|12** help") == "zulip:12 help"


def test_mentions_of_people_become_their_user_ids() -> None:
    assert read("!room lead add R7 @**Ana Lopez**") == "!room lead add R7 zulip:12"
    assert read("!room lead add R7 @_**Someone|44**") == "!room lead add R7 zulip:44"
    # A name nobody (or more than one person) has stays as typed: the command says so.
    assert read("!room lead add R7 @**Nobody**") == "!room lead add R7 @**Nobody**"


def test_people_are_shown_by_silent_mention_outside_code_only() -> None:
    assert render("`zulip:12` is now a team lead.", NAMES) == (
        "@_**Ana Lopez|12** is now a team lead.")
    assert render("Leads: zulip:12, zulip:5", NAMES) == (
        "Leads: @_**Ana Lopez|12**, @_**Bo Bold x|5**")
    assert render("Try `!room lead add R1 zulip:12`", NAMES) == "Try `!room lead add R1 zulip:12`"
    assert render("`zulip:77` left", NAMES) == "`zulip:77` left"  # unknown: the id stays


def test_rendering_keeps_markdown_and_turns_escapes_into_references() -> None:
    """Zulip shows a backslash escape as typed (its Markdown has none), so each
    becomes the character reference Zulip passes through."""
    assert render("See <https://x.org/a?b=1>", {}) == "See https://x.org/a?b=1"
    assert render(r"a\|b \<c\> \*x\* \_y\_ \\", {}) == (
        "a&#124;b &#60;c&#62; &#42;x&#42; &#95;y&#95; &#92;")
    assert render("**Roster** `a\\|b`", {}) == "**Roster** `a\\|b`"


def test_conversations_round_trip_through_their_keys() -> None:
    topic = StreamTopic(5, "day 1: questions")
    assert conversation_of(topic.key) == topic
    assert conversation_of(Direct((3, 12)).key) == Direct((3, 12))
    # A local room's chat is a channel, whatever the topic; a direct chat is none.
    assert topic.channel == StreamTopic(5, "other").channel == "5"
    assert Direct((3, 12)).channel is None
    for bad in ("stream:x:t", "stream:5:", "dm:", "dm:a,b", "!room:example.org", ""):
        assert conversation_of(bad) is None, bad
    assert user_number("zulip:12") == 12 and user_number("@ana:uni.no") is None


def test_messages_are_read_from_the_documented_shape() -> None:
    channel = {"id": 100, "sender_id": 12, "content": "!help", "type": "stream",
               "stream_id": 5, "subject": "general", "timestamp": 1_800_000_000}
    message = read_message(channel, BOT)
    assert message is not None and message.conversation == StreamTopic(5, "general")
    assert not message.is_direct and message.sent_at is not None
    direct = {"id": 101, "sender_id": 12, "content": "help", "type": "private",
              "display_recipient": [{"id": 12}, {"id": BOT}]}
    message = read_message(direct, BOT)
    assert message is not None and message.is_direct and message.conversation == Direct((12,))
    group = {**direct, "display_recipient": [{"id": 12}, {"id": 13}, {"id": BOT}]}
    message = read_message(group, BOT)
    assert message is not None and not message.is_direct
    assert message.conversation == Direct((12, 13))
    for bad in ({**channel, "sender_id": BOT}, {**channel, "content": None},
                {**channel, "subject": ""}, {**direct, "display_recipient": "x"},
                {**direct, "display_recipient": [{"id": "12"}]}, {"id": "1"}, None, []):
        assert read_message(bad, BOT) is None, bad


def test_long_messages_are_split_at_line_breaks() -> None:
    text = "\n".join(f"line {n:04d}" for n in range(3000))
    parts = split(text, 10_000)
    assert all(len(part) <= 10_000 for part in parts) and len(parts) == 3
    assert "\n".join(parts) == text
    assert split("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split("short") == ["short"]


def test_a_long_line_is_never_cut_inside_a_character_reference() -> None:
    """An escaped `*` is `&#42;` on Zulip: cut in two, both parts would show its pieces."""
    assert split("x" * 8 + "&#42;y", 10) == ["x" * 8, "&#42;y"]
    assert split("&#42;" * 3, 7) == ["&#42;", "&#42;", "&#42;"]
