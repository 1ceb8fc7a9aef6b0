"""The double's channels and subscriptions answer what the official `zulip` client
expects, as the API documents them (tests/zulip/streams.py)."""

from __future__ import annotations

from tests.zulip.conftest import MakeClient
from tests.zulip.double import ZulipDouble
from tests.zulip.realm import ADMINISTRATOR


def test_a_private_channel_is_made_subscribed_to_and_hidden_from_others(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    bot = double.add_user("Bot", "bot@uni.no", is_bot=True)
    ana, eve = double.add_user("Ana", "ana@uni.no"), double.add_user("Eve", "eve@uni.no")
    as_bot = client_for(bot)
    made = as_bot.add_subscriptions(
        [{"name": "R1 Oslo", "description": "Spring: R1"}], invite_only=True)
    assert made["result"] == "success" and made["subscribed"] == {str(bot.user_id): ["R1 Oslo"]}
    added = as_bot.add_subscriptions([{"name": "r1 oslo"}], principals=[ana.user_id])
    assert added["subscribed"] == {str(ana.user_id): ["R1 Oslo"]}  # names ignore case
    mine = as_bot.get_subscriptions()["subscriptions"]
    assert [(s["name"], s["invite_only"], s["description"]) for s in mine] == [
        ("R1 Oslo", True, "Spring: R1")]
    refused = client_for(eve).add_subscriptions([{"name": "R1 Oslo"}])
    assert refused["result"] == "error" and "Unable to access" in refused["msg"]
    too_long = as_bot.add_subscriptions([{"name": "R" * 61}])
    assert too_long["result"] == "error" and "too long" in too_long["msg"]


def test_unsubscribing_others_and_archiving_need_their_rights(
    double: ZulipDouble, client_for: MakeClient
) -> None:
    bot = double.add_user("Bot", "bot@uni.no", is_bot=True)
    ana, bo = double.add_user("Ana", "ana@uni.no"), double.add_user("Bo", "bo@uni.no")
    as_bot, as_ana = client_for(bot), client_for(ana)
    as_bot.add_subscriptions([{"name": "R1"}], invite_only=True,
                             principals=[bot.user_id, ana.user_id, bo.user_id])
    refused = as_ana.remove_subscriptions(["R1"], principals=[bo.user_id])
    assert refused["result"] == "error"
    removed = as_bot.remove_subscriptions(["R1"], principals=[ana.user_id])
    assert removed.get("removed") == ["R1"], removed
    channel = as_bot.get_subscriptions()["subscriptions"][0]["stream_id"]
    described = as_bot.update_stream({"stream_id": channel, "description": "Archived: R1"})
    assert described["result"] == "success"
    assert client_for(bo).delete_stream(channel)["result"] == "error"
    assert as_bot.delete_stream(channel)["result"] == "error"  # not an administrator
    admin = double.add_user("Admin", "admin@uni.no", role=ADMINISTRATOR)
    assert client_for(admin).delete_stream(channel)["result"] == "success"
    assert as_bot.get_subscriptions()["subscriptions"] == []
