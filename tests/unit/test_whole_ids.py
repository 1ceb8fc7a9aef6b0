"""A user id inside free text is found only where the whole id stands."""

from __future__ import annotations

import pytest

from bot.services.whole_ids import replace, without_line

GONE = "[forgotten]"


@pytest.mark.parametrize("kept", [
    "@ana:example.org:8448",  # a port
    "@ana:example.org:1",
    "@ana:example.orgx",
    "@ana:example.org.uk",
    "@ana:example.org-2",
    "@ana:example.org_b",
    "@xana:example.org",
    "@x.ana:example.org",  # not a localpart of its own
    "@x@ana:example.org",  # a historical localpart may hold an @
    "!room@ana:example.org",
])
def test_an_id_that_merely_contains_the_forgotten_one_is_kept(kept: str) -> None:
    for text in (kept, f"see {kept} now", f"({kept})", f"{kept}\n"):
        assert replace(text, "@ana:example.org", GONE) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("@ana:example.org", GONE),
    ("thanks @ana:example.org.", f"thanks {GONE}."),  # a full stop is punctuation
    ("(@ana:example.org), @ana:example.org: hi", f"({GONE}), {GONE}: hi"),
    ("lead:@ana:example.org;host:@ana:example.org", f"lead:{GONE};host:{GONE}"),
    ("`@ana:example.org` leads R1", f"`{GONE}` leads R1"),
    ("«@ana:example.org»\t@ana:example.org\n", f"«{GONE}»\t{GONE}\n"),
    ("@ana:example.org @ana:example.org:8448", f"{GONE} @ana:example.org:8448"),
])
def test_the_whole_id_is_replaced_wherever_it_stands(text: str, expected: str) -> None:
    assert replace(text, "@ana:example.org", GONE) == expected


def test_a_port_and_ipv6_server_names_are_part_of_the_id() -> None:
    text = "@ana:[::1] @ana:[::1]:8448 @ana:[::12] @ana:example.org:8448 @ana:example.org"
    assert replace(text, "@ana:[::1]", GONE) == (
        f"{GONE} @ana:[::1]:8448 @ana:[::12] @ana:example.org:8448 @ana:example.org")
    assert replace(text, "@ana:example.org:8448", GONE) == (
        f"@ana:[::1] @ana:[::1]:8448 @ana:[::12] {GONE} @ana:example.org")
    assert replace("@ana:example.org:84489", "@ana:example.org:8448", GONE) == (
        "@ana:example.org:84489")


def test_zulip_1_is_not_zulip_12() -> None:
    text = "zulip:1 zulip:12 zulip:21 zulip:1. xzulip:1 zulip:1x (zulip:1)"
    assert replace(text, "zulip:1", GONE) == (
        f"{GONE} zulip:12 zulip:21 {GONE}. xzulip:1 zulip:1x ({GONE})")
    assert replace(text, "zulip:12", GONE) == text.replace("zulip:12", GONE)


def test_the_markdown_escaped_form_the_bot_writes_is_found_too() -> None:
    assert replace(r"to @ana\_b:uni.no: blocked", "@ana_b:uni.no", GONE) == f"to {GONE}: blocked"
    assert replace(r"@ana\_bo:uni.no", "@ana_b:uni.no", GONE) == r"@ana\_bo:uni.no"


def test_mentions_lose_exactly_the_line_of_the_id() -> None:
    mentions = "@ana:example.org:8448\n@ana:example.org\n@ana:example.orgx"
    assert without_line(mentions, "@ana:example.org") == (
        "@ana:example.org:8448\n@ana:example.orgx")
    assert without_line("@ana:example.org", "@ana:example.org") is None
    assert without_line(None, "@ana:example.org") is None
