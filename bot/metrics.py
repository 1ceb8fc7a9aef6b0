"""Prometheus metrics: the registry and every metric object, transport-neutral.

The parts that do the work count here with one line each (the dispatcher counts
commands, the outbox worker failures, transports HTTP 429s and sync failures);
`/metrics` renders the registry. Labels hold command names, outcomes and
network names only: never a user id, a room or anything someone typed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter(
    "classroom_bot_commands",
    "Commands handled, by command and outcome (ok, refused, error, unknown)",
    ["command", "outcome"],
    registry=REGISTRY,
)
REPLY_LATENCY = Histogram(
    "classroom_bot_reply_latency_seconds",
    "From a command's event to its answer being sent",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "classroom_bot_outbox_pending",
    "Messages in the outbox not yet sent (read from the database at each scrape)",
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "classroom_bot_delivery_failures",
    "Outbox messages marked failed (permanent failure or too many attempts)",
    ["network"],
    registry=REGISTRY,
)
REMINDERS = Gauge(
    "classroom_bot_reminders",
    "Reminders by status (pending, sent, delayed, missed, skipped)",
    ["status"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "classroom_bot_rate_limited",
    "HTTP 429 (too many requests) answers met",
    ["network"],
    registry=REGISTRY,
)
SYNC_FAILURES = Counter(
    "classroom_bot_sync_failures",
    "Failed attempts to receive messages from the chat network",
    ["network"],
    registry=REGISTRY,
)
HELD_BACK = Counter(
    "classroom_bot_commands_held_back",
    "Commands of a person who sent too many (bot/commands/limits.py): slowed_down is "
    "the one answer that starts a quiet period, dropped those not read during it",
    ["network", "kind"],
    registry=REGISTRY,
)

# What each outcome means: the command ran; it was refused (bad input, no right);
# it failed with a bug (logged with a reference); no command had that name.
OUTCOMES = ("ok", "refused", "error", "unknown")
UNKNOWN_COMMAND = "(unknown)"


def command_handled(command: str | None, outcome: str) -> None:
    """Count one command. An unknown command is counted under one name, never
    under what was typed (which could be anything, a user id included)."""
    COMMANDS.labels(command=command or UNKNOWN_COMMAND, outcome=outcome).inc()


def commands_held_back(network: str, kind: str) -> None:
    """Count one command of a person past their limit: `slowed_down` or `dropped`."""
    HELD_BACK.labels(network=network, kind=kind).inc()


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
