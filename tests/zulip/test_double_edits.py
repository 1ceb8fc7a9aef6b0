"""The Zulip API double's message edit, driven by the official `zulip` client."""

from __future__ import annotations

from tests.zulip.conftest import MakeClient
from tests.zulip.double import ZulipDouble


def test_the_sender_edits_a_message_and_subscribers_get_the_new_content(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana = double.add_user("Ana", "ana@uni.no")
    bo = double.add_user("Bo", "bo@uni.no")
    double.add_stream("organizers", ana, bo)
    bo_client = client_for(bo)
    queue = bo_client.register(event_types=["message", "update_message"])
    sent = client_for(ana).send_message(
        {"type": "stream", "to": "organizers", "topic": "status board", "content": "R1: working"})
    edited = client_for(ana).update_message({"message_id": sent["id"], "content": "R1: done"})
    assert edited["result"] == "success"
    events = bo_client.get_events(queue_id=queue["queue_id"], last_event_id=-1)["events"]
    update = next(e for e in events if e["type"] == "update_message")
    assert (update["message_id"], update["content"], update["orig_content"]) == (
        sent["id"], "R1: done", "R1: working")
    history = bo_client.get_messages({"anchor": "newest", "num_before": 5, "num_after": 0,
                                      "apply_markdown": False})["messages"]
    assert [m["content"] for m in history] == ["R1: done"]  # one message, its latest content


def test_only_the_sender_edits_and_an_unknown_message_is_invalid(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    ana = double.add_user("Ana", "ana@uni.no")
    bo = double.add_user("Bo", "bo@uni.no")
    double.add_stream("organizers", ana, bo)
    sent = client_for(ana).send_message(
        {"type": "stream", "to": "organizers", "topic": "t", "content": "mine"})
    refused = client_for(bo).update_message({"message_id": sent["id"], "content": "yours"})
    assert refused["result"] == "error"
    assert refused["msg"] == "You don't have permission to edit this message"
    unknown = client_for(ana).update_message({"message_id": 999_999, "content": "x"})
    assert (unknown["result"], unknown["msg"]) == ("error", "Invalid message(s)")
    assert [m.content for m in double.messages()] == ["mine"]
