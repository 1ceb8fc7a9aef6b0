"""The outbox worker's lanes: order within a room, independence between rooms, shutdown, pacing.

Deliveries are gated by asyncio events the test opens, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from bot.outbox.lanes import Lanes
from bot.transport.pacing import Pacer


class Recorder:
    """A deliver function whose items wait for their gate to open."""

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.started: list[str] = []
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def open(self, *items: str) -> None:
        for item in items:
            self.gates[item].set()

    async def deliver(self, item: str) -> None:
        self.started.append(item)
        await self.gates[item].wait()
        if item.startswith("boom"):
            raise RuntimeError(item)
        self.delivered.append(item)


async def until(condition: Callable[[], bool], loops: int = 1000) -> None:
    """Let the event loop run until `condition()` holds (no real time passes)."""
    for _ in range(loops):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_a_lane_keeps_its_order_while_other_lanes_go_ahead() -> None:
    recorder = Recorder()
    lanes: Lanes[str] = Lanes(recorder.deliver)
    for item in ("a1", "a2", "a3"):
        lanes.put("room-a", item)
    lanes.put("room-b", "b1")
    recorder.open("a2", "a3", "b1")  # a1 is stuck; a2 and a3 must wait for it

    await until(lambda: recorder.delivered == ["b1"])
    assert recorder.started == ["a1", "b1"]
    assert lanes.pending == 3
    recorder.open("a1")
    await lanes.wait_idle()
    assert recorder.delivered == ["b1", "a1", "a2", "a3"]
    assert lanes.pending == 0


async def test_a_failing_delivery_does_not_stop_its_lane() -> None:
    recorder = Recorder()
    lanes: Lanes[str] = Lanes(recorder.deliver)
    for item in ("boom1", "a2"):
        lanes.put("room-a", item)
    recorder.open("boom1", "a2")
    await lanes.wait_idle()
    assert recorder.delivered == ["a2"]


async def test_a_lane_put_after_it_drained_starts_again() -> None:
    recorder = Recorder()
    lanes: Lanes[str] = Lanes(recorder.deliver)
    recorder.open("a1", "a2")
    lanes.put("room-a", "a1")
    await lanes.wait_idle()
    lanes.put("room-a", "a2")
    await lanes.wait_idle()
    assert recorder.delivered == ["a1", "a2"]


async def test_close_drains_then_reports_what_was_not_sent() -> None:
    recorder = Recorder()
    lanes: Lanes[str] = Lanes(recorder.deliver)
    for item in ("a1", "a2"):
        lanes.put("room-a", item)
    lanes.put("room-b", "b1")
    recorder.open("b1")
    await until(lambda: recorder.delivered == ["b1"])

    left = await lanes.close(grace_s=0)
    assert left == ["a1", "a2"]  # a1 was cancelled in flight, a2 never started
    assert lanes.put("room-a", "a3") is False
    assert lanes.pending == 0
    await lanes.wait_idle()


async def test_close_waits_for_lanes_that_finish_in_time() -> None:
    recorder = Recorder()
    lanes: Lanes[str] = Lanes(recorder.deliver)
    lanes.put("room-a", "a1")
    closing = asyncio.ensure_future(lanes.close(grace_s=30))
    await until(lambda: recorder.started == ["a1"])
    recorder.open("a1")
    assert await closing == []
    assert recorder.delivered == ["a1"]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def overlap(pacer: Pacer) -> int:
    """How many of three requests made at once were in flight together."""
    in_flight, most = 0, 0
    release = asyncio.Event()

    async def request() -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await release.wait()
        in_flight -= 1

    tasks = [asyncio.ensure_future(pacer.run(request)) for _ in range(3)]
    await until(lambda: in_flight > 0)
    for _ in range(20):
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    return most


async def test_requests_run_side_by_side_until_the_homeserver_limits_them() -> None:
    clock = FakeTime()
    pacer = Pacer(monotonic=clock)
    assert not pacer.limited
    assert await overlap(pacer) == 3

    pacer.limited_for(0.0)  # a 429 whose wait is already over
    assert pacer.limited
    assert await overlap(pacer) == 1  # one at a time for a while

    clock.now += Pacer.SERIAL_WINDOW_S + 1
    assert not pacer.limited
    assert await overlap(pacer) == 3


async def test_a_longer_limit_is_never_shortened_by_a_shorter_one() -> None:
    clock = FakeTime()
    pacer = Pacer(monotonic=clock)
    pacer.limited_for(30.0)
    pacer.limited_for(1.0)
    clock.now += Pacer.SERIAL_WINDOW_S + 10
    assert pacer.limited  # 30 s + the serial window have not passed yet
    clock.now += 25
    assert not pacer.limited
