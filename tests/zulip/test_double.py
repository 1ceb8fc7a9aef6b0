"""The Zulip API double answers what the official `zulip` client expects.

Each test drives the double with the official client package (as the people
of the end-to-end tests do), so a double that drifted from the documented API
would break the client here first.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
import zulip

from tests.zulip.conftest import MakeClient
from tests.zulip.double import ZulipDouble
from tests.zulip.realm import ADMINISTRATOR, ADMINS, MODERATOR, NOBODY


def test_the_client_connects_and_reads_its_own_profile(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana = double.add_user("Ana Lopez", "ana@uni.no", role=MODERATOR)
    client = client_for(ana)  # reads server_settings for the feature level
    assert client.feature_level > 0
    me = client.get_profile()
    assert me["result"] == "success"
    assert (me["user_id"], me["full_name"], me["role"]) == (ana.user_id, "Ana Lopez", MODERATOR)


def test_users_are_listed_with_their_roles(double: ZulipDouble, client_for: MakeClient) -> None:
    ana = double.add_user("Ana", "ana@uni.no", role=ADMINISTRATOR)
    bot = double.add_user("Bot", "bot@uni.no", is_bot=True)
    members = client_for(ana).get_members()["members"]
    by_id = {m["user_id"]: m for m in members}
    assert by_id[ana.user_id]["role"] == ADMINISTRATOR and by_id[ana.user_id]["is_admin"]
    assert by_id[bot.user_id]["is_bot"] and by_id[bot.user_id]["email"] == "bot@uni.no"


def test_a_hidden_address_is_a_fake_email_and_a_delivery_email_for_who_may_see_it(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana = double.add_user("Ana", "ana@uni.no", address_visibility=ADMINS)
    eve = double.add_user("Eve", "eve@uni.no", address_visibility=NOBODY)
    bo = double.add_user("Bo", "bo@uni.no")
    admin = double.add_user("Admin", "admin@uni.no", role=ADMINISTRATOR)
    as_bo = {m["user_id"]: m for m in client_for(bo).get_members()["members"]}
    as_admin = {m["user_id"]: m for m in client_for(admin).get_members()["members"]}
    assert as_bo[ana.user_id]["email"] == f"user{ana.user_id}@hidden.zulip.test"
    assert as_bo[ana.user_id]["delivery_email"] is None
    assert as_admin[ana.user_id]["email"] == as_bo[ana.user_id]["email"]
    assert as_admin[ana.user_id]["delivery_email"] == "ana@uni.no"
    assert as_admin[eve.user_id]["delivery_email"] is None
    assert as_bo[bo.user_id]["email"] == as_bo[bo.user_id]["delivery_email"] == "bo@uni.no"
    me = client_for(ana).get_profile()  # she logs in with her real address
    assert me["delivery_email"] == "ana@uni.no" and me["email"] != "ana@uni.no"


def test_a_wrong_api_key_is_an_error_in_zulips_shape(double: ZulipDouble) -> None:
    ana = double.add_user("Ana", "ana@uni.no")
    client = zulip.Client(email=ana.email, api_key="wrong", site=double.url)
    answer = client.get_profile()
    assert answer["result"] == "error" and answer["code"] == "UNAUTHORIZED"
    assert answer["msg"]


def test_channel_messages_reach_every_subscriber_queue_with_topic(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana, bo, eve = (double.add_user(n, f"{n}@uni.no") for n in ("ana", "bo", "eve"))
    double.add_stream("workshop", ana, bo)
    bo_client = client_for(bo)
    queue = bo_client.register(event_types=["message"])
    assert queue["last_event_id"] == -1 and queue["event_queue_longpoll_timeout_seconds"] > 0
    eve_queue = client_for(eve).register(event_types=["message"])
    sent = client_for(ana).send_message(
        {"type": "stream", "to": "workshop", "topic": "day 1", "content": "!help"})
    assert sent["result"] == "success"
    events = bo_client.get_events(queue_id=queue["queue_id"], last_event_id=-1)["events"]
    [event] = [e for e in events if e["type"] == "message"]
    message = event["message"]
    assert message["id"] == sent["id"] and message["content"] == "!help"
    assert (message["type"], message["display_recipient"], message["subject"]) == (
        "stream", "workshop", "day 1")
    assert message["sender_id"] == ana.user_id
    # Eve is not subscribed: her queue gets only a heartbeat after the long-poll.
    eve_events = client_for(eve).get_events(queue_id=eve_queue["queue_id"],
                                            last_event_id=-1)["events"]
    assert [e["type"] for e in eve_events] == ["heartbeat"]


def test_events_already_seen_are_not_returned_again(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana, bo = double.add_user("ana", "ana@uni.no"), double.add_user("bo", "bo@uni.no")
    bo_client = client_for(bo)
    queue = bo_client.register(event_types=["message"])
    for text in ("one", "two"):
        client_for(ana).send_message({"type": "private", "to": [bo.user_id], "content": text})
    first = bo_client.get_events(queue_id=queue["queue_id"], last_event_id=-1)["events"]
    assert [e["message"]["content"] for e in first] == ["one", "two"]
    client_for(ana).send_message({"type": "direct", "to": [bo.user_id], "content": "three"})
    later = bo_client.get_events(queue_id=queue["queue_id"],
                                 last_event_id=first[-1]["id"])["events"]
    assert [e["message"]["content"] for e in later] == ["three"]


def test_an_expired_queue_answers_bad_event_queue_id(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    bo = double.add_user("bo", "bo@uni.no")
    client = client_for(bo)
    queue = client.register(event_types=["message"])
    assert double.expire_queues(bo) == 1
    answer = client.get_events(queue_id=queue["queue_id"], last_event_id=-1)
    assert answer["result"] == "error" and answer["code"] == "BAD_EVENT_QUEUE_ID"
    assert answer["queue_id"] == queue["queue_id"]


def test_history_with_anchor_and_narrow(double: ZulipDouble, client_for: MakeClient) -> None:
    ana, bo = double.add_user("ana", "ana@uni.no"), double.add_user("bo", "bo@uni.no")
    stream = double.add_stream("workshop", ana, bo)
    ids = [double.post(ana, f"m{n}", stream=stream, topic="t").id for n in range(5)]
    dm = double.post(ana, "private", to=(bo,)).id
    client = client_for(bo)
    after = client.get_messages({"anchor": ids[1], "num_before": 0, "num_after": 10,
                                 "include_anchor": False, "apply_markdown": False})
    assert [m["id"] for m in after["messages"]] == [*ids[2:], dm]
    assert after["found_newest"]
    page = client.get_messages({"anchor": "newest", "num_before": 2, "num_after": 0,
                                "narrow": [{"operator": "channel", "operand": "workshop"},
                                           {"operator": "topic", "operand": "t"}]})
    assert [m["content"] for m in page["messages"]] == ["<p>m3</p>", "<p>m4</p>"]
    direct = client.get_messages({"anchor": "newest", "num_before": 5, "num_after": 0,
                                  "narrow": [{"operator": "dm", "operand": [ana.user_id]}],
                                  "apply_markdown": False})
    assert [(m["id"], m["type"]) for m in direct["messages"]] == [(dm, "private")]


def test_rate_limits_are_429_with_retry_after(double: ZulipDouble, client_for: MakeClient) -> None:
    ana = double.add_user("ana", "ana@uni.no")
    client = client_for(ana)
    double.rate_limit(1, retry_after=2.5, who=ana, path="/messages")
    limited = client.send_message({"type": "private", "to": [ana.user_id], "content": "x"})
    assert limited["result"] == "error" and limited["code"] == "RATE_LIMIT_HIT"
    assert limited["retry-after"] == 2.5
    assert double.calls[-1].status == 429
    raw = requests.post(f"{double.url}/api/v1/messages", auth=(ana.email, ana.api_key),
                        data={"type": "private", "to": f"[{ana.user_id}]", "content": "y"},
                        timeout=10)
    assert raw.status_code == 200  # only the next call was limited
    double.rate_limit(1, retry_after=3)
    raw = requests.get(f"{double.url}/api/v1/users/me", auth=(ana.email, ana.api_key),
                       timeout=10)
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "3"


def test_uploads_give_a_link_that_serves_the_file(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana = double.add_user("ana", "ana@uni.no")
    data = io.BytesIO(b"room,seats\nR1,3\n")
    data.name = "rooms.csv"
    answer = client_for(ana).upload_file(data)
    assert answer["result"] == "success" and answer["uri"].endswith("/rooms.csv")
    got = requests.get(double.url + answer["uri"], auth=(ana.email, ana.api_key), timeout=10)
    assert got.content == b"room,seats\nR1,3\n"


def test_an_outage_answers_502_until_it_is_over(double: ZulipDouble) -> None:
    ana = double.add_user("ana", "ana@uni.no")
    client = zulip.Client(email=ana.email, api_key=ana.api_key, site=double.url)
    client.retry_on_errors = False
    double.outage(True)
    assert client.get_profile()["result"] == "http-error"
    double.outage(False)
    assert client.get_profile()["result"] == "success"


def test_errors_name_what_is_wrong(double: ZulipDouble, client_for: MakeClient) -> None:
    ana = double.add_user("ana", "ana@uni.no")
    client = client_for(ana)
    missing = client.send_message({"type": "stream", "to": "nowhere", "topic": "t",
                                   "content": "x"})
    assert missing["code"] == "STREAM_DOES_NOT_EXIST"
    empty = client.send_message({"type": "private", "to": [ana.user_id], "content": " "})
    assert empty["result"] == "error" and empty["code"] == "BAD_REQUEST"


def test_a_poll_message_is_a_widget_and_votes_are_submessage_events(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana, bo, eve = (double.add_user(n, f"{n}@uni.no") for n in ("ana", "bo", "eve"))
    double.add_stream("workshop", ana, bo)
    ana_client, bo_client = client_for(ana), client_for(bo)
    queue = ana_client.register(event_types=["message", "submessage"])
    only_messages = ana_client.register(event_types=["message"])
    poll = ana_client.send_message({"type": "stream", "to": "workshop", "topic": "t",
                                    "content": "/poll Today was\ntoo fast\n\n too slow "})
    shown = ana_client.get_messages({"anchor": poll["id"], "num_before": 0, "num_after": 0,
                                     "apply_markdown": False})["messages"][0]
    [widget] = shown["submessages"]
    assert (widget["sender_id"], widget["msg_type"]) == (ana.user_id, "widget")
    assert json.loads(widget["content"]) == {"widget_type": "poll", "extra_data": {
        "question": "Today was", "options": ["too fast", "too slow"]}}

    def submit(client: zulip.Client, content: str, message_id: int = poll["id"]) -> Any:
        return client.call_endpoint(url="submessage", method="POST", request={
            "message_id": message_id, "msg_type": "widget", "content": content})

    vote = json.dumps({"type": "vote", "key": "canned,1", "vote": 1})
    assert submit(bo_client, vote)["result"] == "success"
    assert submit(bo_client, '{"type": "vote", "key": "canned,1", "vote": 3}')["msg"] == (
        "Invalid poll data")
    assert submit(client_for(eve), vote)["msg"] == "Invalid message(s)"  # cannot see it
    events = ana_client.get_events(queue_id=queue["queue_id"], last_event_id=0)["events"]
    [told] = [e for e in events if e["type"] == "submessage"]
    assert (told["message_id"], told["sender_id"], told["content"]) == (
        poll["id"], bo.user_id, vote)
    quiet = ana_client.get_events(queue_id=only_messages["queue_id"], last_event_id=0,
                                  dont_block=True)["events"]
    assert not [e for e in quiet if e["type"] == "submessage"]


def test_a_bots_message_that_notifies_someone_fails_the_test_at_stop() -> None:
    double = ZulipDouble().start()
    try:
        bot = double.add_user("Bot", "bot@uni.no", is_bot=True)
        ana = double.add_user("Ana", "ana@uni.no")
        bot_client = zulip.Client(email=bot.email, api_key=bot.api_key, site=double.url)
        ana_client = zulip.Client(email=ana.email, api_key=ana.api_key, site=double.url)
        for fine in (f"Named silently: @_**Ana|{ana.user_id}**", "Type `@**Ana**`",
                     "```\n@**all**\n```", "&#64;**Ana** shows the characters only"):
            assert bot_client.send_message(
                {"type": "private", "to": [ana.user_id], "content": fine})["result"] == "success"
        ana_client.send_message({"type": "private", "to": [bot.user_id],
                                 "content": "@**Bot** people may mention anyone"})
        assert double.notifying == []
        bot_client.send_message({"type": "private", "to": [ana.user_id],
                                 "content": "mention the person, like @**Ana**"})
    except BaseException:
        double.stop()
        raise
    with pytest.raises(AssertionError, match=r"notifies someone.*@\*\*Ana\*\*"):
        double.stop()
