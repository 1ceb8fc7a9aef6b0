"""Retry delays shared by every network, the outbox worker and anything else that
retries (ground level: it imports nothing of the bot)."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry).

    Exponential with "equal jitter": between half and all of `base * 2**(attempt-1)`,
    capped at `cap`. Never zero, so a failing homeserver never sees a busy loop;
    the jitter spreads the retries of many clients; the cap keeps a restarted
    homeserver from being noticed late.
    """
    ceiling = min(cap, base * float(2 ** max(0, min(attempt - 1, 30))))
    return ceiling / 2 + rand() * ceiling / 2
