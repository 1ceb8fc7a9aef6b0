"""When an answer may leave out `m.mentions`: only when the legacy push rules (a
member's display name or localpart, or `@room`, in the body) could ping nobody."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.transport.matrix_format import could_ping, notice_content


def legacy_rules_ping(body: str, names: list[str]) -> bool:
    """The homeserver's legacy rules, as the spec words them: a whole-word match, any
    case, of a member's display name or localpart, or of `@room`."""
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", body, re.IGNORECASE)
               for word in [*names, "@room"] if word)


def test_an_answer_naming_nobody_leaves_m_mentions_out() -> None:
    content = notice_content("**Everyone**\n- `!help`", reply_to="$cmd",
                             members=["asker-3f", "Asker", "organizer-9"])
    assert "m.mentions" not in content


def test_a_members_name_in_any_case_keeps_the_empty_m_mentions() -> None:
    members = ["ana", "Ana Lima", "bo"]
    assert notice_content("Room of ANA LIMA", members=members)["m.mentions"] == {}
    assert notice_content("hosted by @ana:uni.no", members=members)["m.mentions"] == {}


def test_at_room_or_unknown_members_or_wildcards_keep_it() -> None:
    assert notice_content("tell @ROOM now", members=[])["m.mentions"] == {}
    assert notice_content("nothing here")["m.mentions"] == {}  # members not known
    assert notice_content("nothing here", members=["b*"])["m.mentions"] == {}


def test_people_meant_are_listed_whatever_the_members() -> None:
    content = notice_content("hi", mentions=["@ana:uni.no"], members=[])
    assert content["m.mentions"] == {"user_ids": ["@ana:uni.no"]}


@st.composite
def bodies_and_names(draw: st.DrawFn) -> tuple[str, list[str]]:
    alphabet = st.sampled_from("aAbBßSsẞſİiIıKk\u212a@ _-.:!\n")
    body = draw(st.text(alphabet, max_size=40))
    names = draw(st.lists(st.text(alphabet, min_size=1, max_size=6), max_size=4))
    if body and draw(st.booleans()):  # a name taken out of the body, its case changed
        start = draw(st.integers(0, len(body) - 1))
        piece = body[start:start + draw(st.integers(1, 6))]
        names.append(piece.swapcase() if draw(st.booleans()) else piece)
    if draw(st.booleans()):
        body += draw(st.sampled_from(["@room", "@Room!", "x@roomy"]))
    return body, names


@settings(max_examples=500)
@given(bodies_and_names())
def test_left_out_only_when_the_legacy_rules_ping_nobody(case: tuple[str, list[str]]) -> None:
    body, names = case
    if not could_ping(body, names):
        assert not legacy_rules_ping(body, names)
