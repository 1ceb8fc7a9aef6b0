"""The names a Matrix chat is found by again after a crash."""

from __future__ import annotations

from bot.messages import ChatOrder
from bot.transport.matrix_chats import aliases, is_own_chat, server_of


def test_a_spaces_alias_never_meets_a_chats() -> None:
    # Workshop `2026-spring-r1`'s Space, and room R1 of workshop `2026-spring`.
    space = aliases("@bot:uni.no", ChatOrder(key="x", name="x", space="2026-spring-r1"))[1]
    chat = aliases("@bot:uni.no", ChatOrder(key="2026-spring-r1", name="R1", space="2026-spring"))
    assert space not in chat
    assert chat == ("bot.chat.2026-spring-r1", "bot.space.2026-spring")


def test_the_server_keeps_its_port_and_each_bot_has_its_own_names() -> None:
    assert server_of("@bot:127.0.0.1:8448") == "127.0.0.1:8448"
    order = ChatOrder(key="2026-spring-r1", name="R1", space="2026-spring")
    assert aliases("@one:uni.no", order) != aliases("@two:uni.no", order)


def test_an_order_reads_back_as_written_with_quotes_and_unicode() -> None:
    order = ChatOrder(key="k", name="R10 “Oslo” 会議室", topic='a "b"', power=50)
    assert ChatOrder.read(order.text()) == order


def test_the_bot_knows_its_own_chats_and_spaces_by_their_alias() -> None:
    assert is_own_chat("#bot.chat.2026-spring-r1:uni.no", "@bot:uni.no")
    assert is_own_chat("#bot.space.2026-spring:uni.no", "@bot:uni.no")
    assert not is_own_chat("#bot.chat.x:uni.no", "@bo:uni.no")  # another bot's
    assert not is_own_chat("#bot:uni.no", "@bot:uni.no") and not is_own_chat(None, "@bot:uni.no")
