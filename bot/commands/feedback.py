"""Feedback: starting a form (asked in the direct chat), summaries with a chart,
CSV exports. Forms are answered as conversations (bot/commands/feedback_form.py).
"""

from __future__ import annotations

from typing import Annotated

from bot.commands import feedback_form, feedback_status, lead_summary
from bot.commands.attendance import in_brief
from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Notice, Reply, UsageError
from bot.conversations import store
from bot.db.models import Workshop
from bot.forms.definitions import Audience
from bot.messages import Attachment
from bot.services import (
    attendance,
    charts,
    feedback,
    polls,
    release,
    rooms,
    summary,
    tallies,
    team,
    windows,
    workshops,
)
from bot.services.errors import NotAllowed, UserError
from bot.services.roles import Role
from bot.text import code, when
from bot.values import RoomCode

commands = CommandSet()

FormName = Annotated[str, Arg(metavar="form", help="daily, final, debrief or a configured one")]
DayNumber = Annotated[int, Arg(metavar="N", min=1, max=31, help="the workshop day")]
DEBRIEF = "debrief"


def _enabled(ctx: Context) -> None:
    if not ctx.settings.feedback.enabled:
        raise UserError("Feedback is switched off in this bot's configuration.")


def _today(workshop: Workshop, ctx: Context) -> int:
    started = [day.number for day in workshop.days if day.starts_at <= ctx.now()]
    if not started:
        raise UserError(
            f"The workshop {code(workshop.slug)} has not started yet; name the day, "
            f"e.g. {code(ctx.prefix + 'feedback daily day=1')}."
        )
    return started[-1]


async def _form_and_day(
    ctx: Context, workshop: Workshop, form: str, day: int | None
) -> tuple[str, int | None]:
    definition = feedback.form_named(ctx.settings, form)
    if definition.audience is Audience.STAFF and ctx.role < Role.LEAD:
        raise NotAllowed(f"The {code(form)} form is for team leads and hosts.")
    if day is not None and not definition.each_day:
        raise UsageError(f"the {code(form)} form is answered once per workshop, not per "
                         "day: leave out day=")
    if day is not None and day not in {d.number for d in workshop.days}:
        raise UserError(f"{code(workshop.slug)} has no day {day}; it has {len(workshop.days)}.")
    if day is None and definition.each_day:
        day = _today(workshop, ctx)
    return form, day


@commands.command(
    "feedback",
    help="Answer a feedback form, one question at a time in a direct chat; alone, what "
    "you are answering, what waits and which forms are open.",
    example="!feedback daily day=1",
)
async def start(ctx: Context, form: FormName | None = None, *, day: DayNumber | None = None
                ) -> Reply:
    _enabled(ctx)
    workshop = await workshops.require_current(ctx.session)
    if form is None:
        if day is not None:
            raise UsageError("name the form to answer, e.g. daily")
        return Reply(await feedback_status.text(ctx, workshop))
    form, day = await _form_and_day(ctx, workshop, form, day)
    me = await ctx.me()
    try:
        about = await feedback_form.subject(
            ctx.session, ctx.settings, me, workshop, form, day, ctx.now())
    except windows.WindowClosed as closed:
        on = f" about day {day}" if day else ""
        raise UserError(ctx.showing_times(
            f"The {code(form)} form{on} could be answered until "
            f"{when(closed.closed_at, ctx.zone)}; its window has closed, so it takes no "
            "more answers.")) from None
    said = await store.push(ctx.session, ctx.settings, ctx.kinds, me, about, ctx.now())
    if ctx.message.is_direct:
        return Reply(said)
    return Reply(
        f"I sent you a direct message with the {code(form)} form.",
        notices=(Notice(ctx.sender, said),),
    )


@commands.command(
    "feedback summary",
    help="Responses, response rate, counts, shares, mean, median, NPS and free-text "
    "answers of a form, with a chart (leads: their rooms' days once closed, from enough "
    "responses).",
    example="!feedback summary daily day=1 room=R7",
    role=Role.LEAD,
    read_only=True,
)
async def show_summary(
    ctx: Context,
    form: FormName | None = None,
    *,
    day: DayNumber | None = None,
    room: RoomCode | None = None,
) -> Reply:
    _enabled(ctx)
    workshop = await workshops.require_current(ctx.session)
    form = form or "daily"
    definition = feedback.form_named(ctx.settings, form)
    chosen = None
    if room is not None:
        chosen = await rooms.get(ctx.session, room)
        await team.require_manager(ctx.session, chosen, ctx.person, ctx.role >= Role.ORGANIZER)
    if ctx.role < Role.ORGANIZER:  # the release model: bot/services/release.py
        return await lead_summary.reply(ctx, workshop, definition, day, chosen)
    counted = await tallies.count(
        ctx.session, workshop.id, definition, day, chosen.id if chosen else None
    )
    found = counted.responses
    title = summary.heading(definition, day, [chosen.code] if chosen else [])
    counts = await release.group_counts(ctx.session, workshop.id, form)
    rooms_rated = [chosen.id] if chosen else list(await summary.room_codes(ctx.session, workshop))
    days = counted.days or ({day} if day else set())
    rates = await summary.rates(ctx.session, workshop, definition,
                                summary.every_room(counts, rooms_rated, days), ctx.now())
    export = code(f"{ctx.prefix}feedback export {form}" + (f" day={day}" if day else ""))
    # Votes carry no room: a room's summary shows the form's answers only.
    voted = None if chosen else await polls.counts(ctx.session, workshop, form, day)
    text = summary.render(title, counted.tallies, found, rates, export=export, polls=voted)
    if definition.name == DEBRIEF:  # what the leads reported, beside what they answered
        reported = await attendance.overview(ctx.session, workshop, ctx.now())
        text += "\nAttendance reported: " + in_brief(reported, chosen.code if chosen else None)
    image = charts.distributions(title, counted.tallies)
    attachment = None
    if image is not None:
        name = charts.file_name(workshop.slug, form, day, [chosen.code] if chosen else [],
                                ctx.now())
        attachment = Attachment(name, "image/png", image)
    return Reply(text, attachment=attachment)


@commands.command(
    "feedback export",
    help="The responses to a form as a CSV file (no names or user ids).",
    example="!feedback export daily",
    role=Role.ORGANIZER,
    read_only=True,
)
async def export(ctx: Context, form: FormName = "daily", *, day: DayNumber | None = None
                 ) -> Reply:
    _enabled(ctx)
    workshop = await workshops.require_current(ctx.session)
    definition = feedback.form_named(ctx.settings, form)
    found = await feedback.responses(ctx.session, workshop, form, day, None)
    names = await summary.room_codes(ctx.session, workshop)
    data = summary.to_csv(definition, found, names)
    name = f"feedback-{workshop.slug}-{form}" + (f"-day{day}" if day else "") + ".csv"
    return Reply(
        f"{len(found)} response{'s' if len(found) != 1 else ''} to the {code(form)} form.",
        attachment=Attachment(name, "text/csv", data),
    )
