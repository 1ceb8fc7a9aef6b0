"""How many commands one person may send: a token bucket per (network, sender).

Every message the bot would answer takes one token from its sender's bucket; the
bucket holds `limits.burst` tokens and refills at `limits.commands_per_minute`.
A message that finds the bucket empty gets ONE answer, the slow-down, and starts
a quiet period of `limits.quiet_minutes`: what that person sends meanwhile is
dropped unread, and the bucket is full again when it ends. Organizers are never
limited; whether someone is one is asked only when their bucket is empty, so
the question costs nothing the rest of the time.

The buckets live in memory, not in the database. They only need to remember a
few minutes, and remembering them in the database would cost every command a
write: the very cost a flood must not have (the check runs before any database
work, bot/commands/dispatcher.py). The bot is one process (the transports of all its
networks run in it together), so its buckets see every command; a restart
forgets them, which gives a flooder one fresh burst, no more. A dropped message
is not claimed (a write each, again); its event id is remembered with its bucket
(kept for two quiet periods), so the same event handed again (its batch fetched
again) is judged once and a dropped one is not answered later. After a crash,
the one batch being handled is fetched again and judged anew against a fresh
bucket: at most `burst` of its dropped messages are answered then. The time is
the injected clock's (tests move it).
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import metrics
from bot.commands.framework import Reply
from bot.config_sections import Settings
from bot.messages import Incoming
from bot.services import roles

log = logging.getLogger(__name__)

# How often buckets that are full again (their sender quiet for a while) are
# forgotten, so the dict holds only people who wrote lately.
SWEEP_EVERY = timedelta(minutes=1)
# Event ids remembered per person (more than one batch of the busiest room holds).
SEEN_PER_PERSON = 256


class Verdict(enum.Enum):
    ANSWER = "answer"
    SLOW_DOWN = "slow down"  # the one answer that starts a quiet period
    DROP = "drop"  # sent during a quiet period: not read, not answered


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    commands: int = 0  # SLOW_DOWN: commands sent since the bucket was last full...
    seconds: float = 0.0  # ...within this many seconds
    quiet: timedelta = timedelta(0)


ANSWER = Judged(Verdict.ANSWER)
DROP = Judged(Verdict.DROP)
# What `held_back` gives for a dropped message: an answer with no text, never written.
DROPPED = Reply("")


@dataclass
class _Bucket:
    tokens: float
    at: datetime  # when `tokens` was last brought up to date
    streak_since: datetime  # the first command since the bucket was last full
    streak: int = 0
    quiet_until: datetime | None = None
    kept_until: datetime | None = None  # not forgotten before: it holds dropped events
    # The verdicts on their latest events: an event handed again (its batch fetched
    # again after the database could not be reached) is not counted twice, and one
    # dropped stays dropped, also after the quiet period.
    seen: dict[str, Verdict] = field(default_factory=dict)

    def end_quiet(self, burst: int, now: datetime) -> None:
        """The quiet period is over: a full bucket again."""
        self.quiet_until, self.tokens, self.at = None, float(burst), now

    def remember(self, event_id: str | None, verdict: Verdict) -> None:
        if event_id is not None:
            self.seen[event_id] = verdict
            if len(self.seen) > SEEN_PER_PERSON:
                del self.seen[next(iter(self.seen))]  # the oldest


class Limits:
    """The buckets of every person who wrote lately."""

    def __init__(
        self,
        settings: Settings,
        power_level: roles.PowerLevelLookup,
        network_organizers: roles.NetworkOrganizers | None = None,
    ) -> None:
        self.whole = settings
        self.settings = settings.limits
        self.power_level = power_level
        self.network_organizers = network_organizers
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._swept: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.commands_per_minute > 0

    async def held_back(self, message: Incoming, now: datetime) -> Reply | None:
        """None: answer the message as usual. Else what to answer instead: the
        slow-down, or DROPPED (nothing at all) during a quiet period."""
        judged = await self.judge(message.network, message.sender, now,
                                  lambda: self._organizer(message), message.event_id)
        if judged.verdict is Verdict.ANSWER:
            return None
        return Reply(slow_down(judged)) if judged.verdict is Verdict.SLOW_DOWN else DROPPED

    async def _organizer(self, message: Incoming) -> bool:
        return await roles.organizer_without_database(
            self.whole, message.network, message.sender, self.power_level,
            self.network_organizers)

    async def judge(
        self, network: str, sender: str, now: datetime, exempt: Callable[[], Awaitable[bool]],
        event_id: str | None = None,
    ) -> Judged:
        """Take one token for a message from `sender`; what to do with the message.
        `exempt()` says whether the sender is an organizer; it is awaited only when
        their bucket is empty."""
        if not self.enabled:
            return ANSWER
        self._sweep(now)
        key = (network, sender)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.settings.burst, now, now)
        elif event_id in bucket.seen:  # handed again: judged once
            return ANSWER if bucket.seen[event_id] is Verdict.ANSWER else self._drop(network)
        judged = await self._take(bucket, network, sender, now, exempt)
        bucket.remember(event_id, judged.verdict)
        return judged

    def _drop(self, network: str) -> Judged:
        metrics.commands_held_back(network, "dropped")
        return DROP

    async def _take(self, bucket: _Bucket, network: str, sender: str, now: datetime,
                    exempt: Callable[[], Awaitable[bool]]) -> Judged:
        if bucket.quiet_until is not None:
            if now < bucket.quiet_until:
                return self._drop(network)
            bucket.end_quiet(self.settings.burst, now)
        self._refill(bucket, now)
        bucket.streak += 1
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return ANSWER
        if await exempt():
            return ANSWER
        if bucket.quiet_until is not None:  # another message of theirs won while we asked
            return self._drop(network)
        quiet = timedelta(minutes=self.settings.quiet_minutes)
        bucket.quiet_until = now + quiet
        bucket.kept_until = now + 2 * quiet
        seconds = max(0.0, (now - bucket.streak_since).total_seconds())
        log.warning("%s on %s sent %d commands in %.0f s: not answered for %d min",
                    sender, network, bucket.streak, seconds, self.settings.quiet_minutes)
        metrics.commands_held_back(network, "slowed_down")
        return Judged(Verdict.SLOW_DOWN, bucket.streak, seconds, quiet)

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max(0.0, (now - bucket.at).total_seconds())  # a clock set back adds none
        rate = self.settings.commands_per_minute / 60
        bucket.tokens = min(float(self.settings.burst), bucket.tokens + elapsed * rate)
        bucket.at = now
        if bucket.tokens >= self.settings.burst:  # full: a new streak starts here
            bucket.streak, bucket.streak_since = 0, now

    def _sweep(self, now: datetime) -> None:
        if self._swept is not None and now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        for key, bucket in list(self._buckets.items()):
            if bucket.kept_until is not None and now < bucket.kept_until:
                continue
            if bucket.quiet_until is not None and now >= bucket.quiet_until:
                bucket.end_quiet(self.settings.burst, now)
            self._refill(bucket, now)
            if bucket.tokens >= self.settings.burst:
                del self._buckets[key]

    def __len__(self) -> int:
        """How many people's buckets are remembered."""
        return len(self._buckets)


def slow_down(judged: Judged) -> str:
    """The one answer that starts a quiet period."""
    seconds = max(1, math.ceil(judged.seconds))
    minutes = max(1, math.ceil(judged.quiet.total_seconds() / 60))
    return (
        f"Slow down, please: {judged.commands} commands in {seconds} s is more than I "
        f"answer from one person. I will answer you again in {minutes} min; what you "
        "send until then is not read."
    )
