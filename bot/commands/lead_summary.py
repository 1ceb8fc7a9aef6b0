"""A team lead's or host's feedback summary: only what the release model lets them
see (bot/services/release.py), and, in words, what it covers, which days are
not shown yet (and when they close), and what will never be shown.

Organizers' summaries stay in bot/commands/feedback.py (everything, any time).
Poll votes are never part of a lead's summary: they carry no room and change
at any time. Response rates are given for the rooms whose groups are shown, over
their shown days only; a pool's per-room counts would tell other rooms' numbers.
"""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.framework import Reply
from bot.db.models import LocalRoom, Workshop
from bot.forms.definitions import Form
from bot.messages import Attachment
from bot.services import charts, release, seats, summary, tallies
from bot.services.errors import NotAllowed
from bot.services.release import DayView, Status
from bot.text import code, when


async def my_rooms(ctx: Context, workshop: Workshop) -> list[int]:
    """Every room of the workshop the asker leads or hosts."""
    mine = [m.room_id for m in await seats.my_memberships(ctx.session, workshop, ctx.person)
            if m.role in seats.STAFF]
    if not mine:
        raise NotAllowed("Summaries are for organizers, and for team leads about their room.")
    return sorted(set(mine))


async def reply(
    ctx: Context, workshop: Workshop, form: Form, day: int | None, chosen: LocalRoom | None
) -> Reply:
    """The summary a lead may see of `form` (about `day`, or all days; of `chosen`'s
    groups, or of all their rooms'), with what it leaves out and why."""
    mine = await my_rooms(ctx, workshop)
    view = await release.view(ctx.session, ctx.settings.feedback, workshop, form.name, day,
                              mine, ctx.now(), None if chosen is None else (chosen.id,))
    names = await summary.room_codes(ctx.session, workshop)
    notes = [_note(ctx, d, names, form.name) for d in view.days]
    lines = [line for line in notes if line]
    timed = any(d.status is Status.OPEN for d in view.days)  # a note names when it closes
    blocks = view.blocks
    shown = sorted({b.room_id for b in blocks if b.room_id is not None})
    title = summary.heading(form, day, [names[room] for room in shown])
    if not blocks:
        lines.insert(0, f"**{title}**: nothing of it can be shown to you"
                        + (" yet." if timed else "."))
        text = "\n".join(lines)
        return Reply(ctx.showing_times(text) if timed else text)
    counted = await tallies.count(ctx.session, workshop.id, form, None, None, blocks)
    rates = await summary.rates(ctx.session, workshop, form, view.released(), ctx.now())
    text = summary.render(title, counted.tallies, counted.responses, rates)
    covered = "; ".join(_covered(d, names) for d in view.days if d.status in (
        Status.RELEASED, Status.POOL))
    text += "\n\nShown: " + covered + "." + "".join("\n" + line for line in lines)
    image = charts.distributions(title, counted.tallies)
    attachment = None
    if image is not None:
        name = charts.file_name(workshop.slug, form.name, day, [names[r] for r in shown],
                                ctx.now())
        attachment = Attachment(name, "image/png", image)
    return Reply(ctx.showing_times(text) if timed else text, attachment=attachment)


def _covered(d: DayView, names: dict[int, str]) -> str:
    what = (", ".join(names[room] for room in d.rooms) if d.status is Status.RELEASED
            else "all rooms (the workshop-wide pool)")
    return f"day {d.day}: {what}" if d.day else what


def _note(ctx: Context, d: DayView, names: dict[int, str], form: str) -> str:
    """What a lead is told about a day not shown in full: when it closes, or what of it
    is never shown, and what is shown instead."""
    least = ctx.settings.feedback.min_responses_for_leads
    about = f"Day {d.day}" if d.day else f"The {code(form)} form"
    if d.status is Status.OPEN:
        return (f"{about}: answerable until {when(d.closes_at, ctx.zone)}; shown from "
                f"{when(d.closes_at + release.SETTLE, ctx.zone)} on if your room has at "
                f"least {least} responses.")
    few = ", ".join(names[room] for room in d.withheld)
    never = (f"{few} had fewer than {least} responses when the form closed, so "
             f"{'they are' if len(d.withheld) > 1 else 'it is'} never shown"
             ) if d.withheld else ""
    if d.status is Status.POOL:
        instead = "the workshop-wide pool is shown instead"
        return f"{about}: {never}; {instead}." if never else ""
    if d.status is Status.RELEASED:
        return f"{about}: {never}." if never else ""
    # WITHHELD: closed, and neither their rooms' groups nor the pool may be shown.
    rule = (f"a room's responses are shown from {least} on, the workshop-wide pool only "
            "when none of your rooms has its own and it cannot single anyone out")
    if never:
        return f"{about}: {never}, and the workshop-wide pool is not shown either ({rule})."
    return f"{about}: nothing of it can be shown to you ({rule})."
