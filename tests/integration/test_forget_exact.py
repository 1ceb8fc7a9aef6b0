"""Forget-me forgets exactly one person, among people whose ids are prefixes,
suffixes and extensions of each other (hypothesis): `@ana:example.org` beside
`@ana:example.org:8448`, `@ana:example.orgx`, `@ana:example.org.uk`,
`@xana:example.org`...; `zulip:1` beside `zulip:12` and `zulip:123`.

Each example opens the bot on a fresh database (a SQLite file, then a PostgreSQL
database: the `database_kind` fixture), gives everyone a seat or a waitlist
place, some a team lead role and an onboarding sign-up, reminders, outbox rows
to them and to a room, feedback, and free text (display names, answers,
reminders, messages) naming all the others; then one of them forgets
themselves. Every row of every table is compared with a snapshot taken before:
the expected change is worked out here independently (the ids stand between
spaces or in code spans in what the test wrote), never with the bot's matching.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from bot.db.models import Base, FeedbackResponse, OutboxMessage, Person, Reminder
from bot.services import answer_items, tallies
from bot.services.forget import GONE
from bot.values import UserId
from tests.chat import ORGANIZER, ROOM, Chat
from tests.databases import SQLITE, PostgresServer

HOST = "@host:uni.no"

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


@st.composite
def matrix_family(draw: st.DrawFn) -> list[str]:
    """3 to 5 Matrix ids, each a prefix, suffix or extension of the first."""
    local = draw(st.sampled_from(["ana", "an", "a.na", "ana_b", "ana-b", "ana=b", "ana/b"]))
    host = draw(st.sampled_from(["example.org", "example.o", "ex.example.org", "[::1]",
                                 "[2001:db8::1]", "127.0.0.1"]))
    base = f"@{local}:{host}"
    variants = [f"{base}:8448", f"{base}:84", f"{base}x", f"{base}.uk", f"{base}-2",
                f"@{local}x:{host}", f"@x{local}:{host}", f"@{local}.{local}:{host}",
                f"@{local}:x{host}"]
    others = draw(st.lists(st.sampled_from(variants), min_size=2, max_size=4, unique=True))
    return draw(st.permutations([base, *others]))


@st.composite
def zulip_family(draw: st.DrawFn) -> list[str]:
    """3 to 5 Zulip ids whose numbers are prefixes of each other (`zulip:1`, `zulip:12`)."""
    first = draw(st.integers(1, 9))
    digits = draw(st.lists(st.integers(0, 9), min_size=4, max_size=4))
    numbers = [str(first)]
    for digit in digits:
        numbers.append(numbers[-1] + str(digit))
    extra = draw(st.sampled_from([f"{digits[0]}{first}", f"{first}{first}", f"9{first}"]))
    chosen = draw(st.lists(st.sampled_from(sorted({*numbers[1:], extra})), min_size=2,
                           max_size=4, unique=True))
    return draw(st.permutations([f"zulip:{n}" for n in [numbers[0], *chosen]]))


def naming(ids: list[str]) -> str:
    """Free text naming every id, each between spaces."""
    return " thanks " + " ; ".join(ids) + " ! "


def forgotten_in(text: str, gone: str) -> str:
    """The test's own oracle: the ids it wrote stand between spaces or in code spans."""
    return text.replace(f" {gone} ", f" {GONE} ").replace(f"`{gone}`", f"`{GONE}`")


async def say(chat: Chat, who: str, text: str, *, direct: bool = False) -> None:
    answer = await chat.say(who, text, direct=direct)
    assert "⚠️" not in answer.reply and "went wrong" not in answer.reply, (text, answer.reply)


async def set_up(chat: Chat, ids: list[str]) -> None:
    for who, text in [
        (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                    "days=2026-03-17,2026-03-18 time=10:00-15:00"),
        (ORGANIZER, "!onboarding add 2026-03-10 14:00"),
        (HOST, "!room add name=Oslo org=UiO mode=online lang=no capacity=2 public=yes"),
        (HOST, "!room add name=Bergen org=UiB mode=online lang=no capacity=1 public=yes"),
    ]:
        await say(chat, who, text)
    for n, user in enumerate(ids):
        await say(chat, user, f"!join R{1 + n % 2}")  # seats, then waitlist places
        if n % 2 == 0 and _parses(user):
            await say(chat, HOST, f"!room lead add R2 {user}")  # named in a room reply
            await say(chat, user, "!onboarding join O1")
    now = chat.clock.now()
    async with chat.app.sessions() as session, session.begin():
        people = {p.user_id: p for p in await session.scalars(select(Person))}
        for user in ids:
            others = [i for i in ids if i != user]
            await session.execute(update(Person).where(Person.id == people[user].id)
                                  .values(display_name=naming(others)))
            await session.execute(update(Reminder).where(Reminder.person_id == people[user].id)
                                  .values(text=Reminder.text + naming(others)))
            response = FeedbackResponse(form="daily", workshop_id=1, day=1, room_id=1,
                                        respondent=None, submitted_at=now,
                                        answers=json.dumps({"good": naming(others)}))
            session.add(response)
            await session.flush()
            await tallies.index(session, response)
        later = now + timedelta(days=30)  # not handed to the worker: they stay pending
        await session.execute(insert(OutboxMessage), [
            {"dedupe_key": f"test:{n}", "network": chat.transport.network,
             "room": ROOM if to is None else None, "person": to, "direct": to is not None,
             "text": naming(ids), "mentions": "\n".join(ids), "not_before": later,
             "reference": "test", "created_at": now}
            for n, to in enumerate([None, *ids])])


def _parses(user: str) -> bool:
    try:
        UserId.parse(user)
    except ValueError:
        return False
    return True


async def snapshot(chat: Chat) -> Rows:
    found: Rows = {}
    async with chat.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            key = [c.name for c in table.primary_key.columns]
            found[table.name] = {
                tuple(row[k] for k in key): dict(row)
                for row in (await session.execute(select(table))).mappings()}
    return found


def expected_after(before: Rows, gone: str, dm: str) -> Rows:
    """What forgetting `gone` must leave of the snapshot, worked out row by row."""
    (person_id,) = [p["id"] for p in before["person"].values() if p["user_id"] == gone]
    kept: Rows = {table: {} for table in before}
    for table, rows in before.items():
        for key, row in rows.items():
            if row.get("person_id") == person_id or (table == "person" and key == (person_id,)):
                continue
            if table == "outbox_message" and (row["person"] == gone or row["room"] == dm):
                continue
            kept[table][key] = row = dict(row)
            for column in ("display_name", "text", "answers", "label"):
                if isinstance(row.get(column), str):
                    row[column] = forgotten_in(row[column], gone)
            if table == "feedback_item" and row["text"] is not None:
                row.update(answer_items.text_columns(row["text"]))
            if table == "outbox_message" and row["mentions"]:
                row["mentions"] = "\n".join(
                    m for m in row["mentions"].split("\n") if m != gone) or None
    # A seat they held goes to the first on that room's waitlist.
    memberships = before["membership"].values()
    for seat in [m for m in memberships if m["person_id"] == person_id and m["role"] == "learner"]:
        waiting = sorted((m for m in memberships
                          if m["room_id"] == seat["room_id"] and m["role"] == "waitlist"),
                         key=lambda m: m["id"])
        if waiting:
            kept["membership"][(waiting[0]["id"],)]["role"] = "learner"
    return kept


def seats_follow(before: Rows, after: Rows) -> None:
    """The seat history is anonymous, so forget-me keeps it: a closed row stays as it
    was, an open one may be closed (the seats given up) and new ones opened (the seats
    taken from the waitlist); what stays open is what the memberships hold."""
    old, new = before["seat_history"], after["seat_history"]
    for key, row in old.items():
        assert new[key] == row or (row["until"] is None and new[key] == {
            **row, "until": new[key]["until"]}), (key, row, new[key])
    assert all(new[key]["until"] is None for key in set(new) - set(old))
    held = Counter((r["room_id"], r["kind"]) for r in new.values() if r["until"] is None)
    members = after["membership"].values()
    assert held == Counter(
        [(m["room_id"], "learner") for m in members if m["role"] == "learner"]
        + list({(m["room_id"], m["person_id"]): (m["room_id"], "staff") for m in members
                if m["role"] in ("host", "lead")}.values()))


def compare(after: Rows, expected: Rows, gone: str, dm: str) -> None:
    for table, rows in expected.items():
        if table == "seat_history":
            continue  # seats_follow
        new = {k: v for k, v in after[table].items() if k not in rows}
        if table == "outbox_message":  # the answers to forget-me, and the seat notices:
            # all to direct chats, so sent with nothing kept of what they said
            assert all(r["room"] == dm or r["person"] not in (None, gone)
                       for r in new.values()), new
            assert all(r["text"] == "" and r["status"] == "sent" for r in new.values()), new
        elif table == "reminder":  # re-planned: a seat taken from the waitlist is reminded
            assert all(r["status"] == "pending" for r in new.values()), new
        elif table not in ("handled_event", "transport_state"):
            assert not new, (table, new)
        for key, row in rows.items():
            if table == "reminder" and row["status"] == "pending":
                # Forget-me re-plans what is still to come: a lead's count of learners
                # follows the seats; the id is in no row (checked below).
                found = after[table].get(key)
                assert found is None or found["status"] == "pending", (key, found)
                continue
            assert after[table].get(key) == row, (table, key, after[table].get(key), row)
    for table, rows in after.items():  # the whole id is nowhere, but as the test DM room
        for row in rows.values():
            for column, value in row.items():
                if isinstance(value, str) and value != dm:
                    assert f" {gone} " not in value and value != gone, (table, column, value)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop:
        yield loop


@contextlib.asynccontextmanager
async def fresh_chat(request: pytest.FixtureRequest, kind: str, network: str
                     ) -> AsyncIterator[Chat]:
    with tempfile.TemporaryDirectory() as directory:
        async with contextlib.AsyncExitStack() as stack:
            url = None
            if kind != SQLITE:
                server: PostgresServer = request.getfixturevalue("postgres_server")
                url = await stack.enter_async_context(server.database(at_head=True))
            chat = await Chat.open(Path(directory), url=url, network=network)
            stack.push_async_callback(chat.close)
            yield chat


async def forget_one(request: pytest.FixtureRequest, kind: str, network: str,
                     ids: list[str], which: int) -> None:
    gone = ids[which % len(ids)]
    dm = f"!dm-{gone}"
    async with fresh_chat(request, kind, network) as chat:
        await set_up(chat, ids)
        before = await snapshot(chat)
        await say(chat, gone, "!forget-me", direct=True)
        done = await chat.say(gone, "yes", direct=True)
        assert "no longer has your user id" in done.reply
        after = await snapshot(chat)
        compare(after, expected_after(before, gone, dm), gone, dm)
        seats_follow(before, after)


EXAMPLES = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize(("network", "family"), [("test", matrix_family()),
                                                 ("zulip", zulip_family())],
                         ids=["matrix-ids", "zulip-ids"])
@EXAMPLES
@given(data=st.data(), which=st.integers(0, 4))
def test_forgetting_one_id_leaves_every_other_exactly_as_it_was(
    runner: asyncio.Runner, request: pytest.FixtureRequest, database_kind: str,
    network: str, family: st.SearchStrategy[list[str]], data: st.DataObject, which: int,
) -> None:
    """25 examples per database and family (a fresh database and some twenty commands
    each): 20-40 s each on SQLite and PostgreSQL, up to 2 minutes on a busy 2-core
    machine."""
    ids = data.draw(family, label="ids")
    runner.run(forget_one(request, database_kind, network, ids, which))
