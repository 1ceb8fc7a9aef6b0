"""`!announce`: a direct message from the organizers to a group of the current workshop."""

from __future__ import annotations

from typing import Annotated, Literal

from sqlalchemy import select

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Notice, Reply, Rest, UsageError
from bot.db.models import LocalRoom, MemberRole, Membership, Person, RoomStatus
from bot.services import workshops
from bot.services.roles import Role
from bot.text import escape

commands = CommandSet()

GROUPS: dict[str, tuple[MemberRole, ...]] = {
    "leads": (MemberRole.LEAD,),
    "hosts": (MemberRole.HOST,),
    "learners": (MemberRole.LEARNER,),
    "all": (MemberRole.LEAD, MemberRole.HOST, MemberRole.LEARNER),
}


@commands.command(
    "announce",
    help="Send a direct message to the team leads, hosts, learners (with a seat) or all of "
    "them in the current workshop's rooms; each person gets it once.",
    example="!announce learners The stream starts 10 minutes late today.",
    role=Role.ORGANIZER,
)
async def announce(
    ctx: Context,
    group: Literal["leads", "hosts", "learners", "all"],
    text: Annotated[str, Arg(metavar="text"), Rest],
) -> Reply:
    if not text.strip():
        raise UsageError("the text to send is missing")
    workshop = await workshops.require_current(ctx.session)
    found = await ctx.session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(LocalRoom, Membership.room_id == LocalRoom.id)
        .where(
            LocalRoom.workshop_id == workshop.id,
            LocalRoom.status != RoomStatus.WITHDRAWN,
            Membership.role.in_(GROUPS[group]),
            Person.network == ctx.message.network,
        )
        .order_by(Person.id)
        .distinct()
    )
    recipients = list(found)
    if not recipients:
        return Reply(f"Nobody to send to: the current workshop has no {group} yet.")
    # The organizers' words as they typed them, line breaks kept: text, not Markdown.
    message = (f"📣 Announcement from the organizers of {escape(workshop.title)}:\n\n"
               f"{escape(text.strip())}")
    notices = tuple(Notice(person.user_id, message) for person in recipients)
    count = len(notices)
    return Reply(f"Sent to {count} {'person' if count == 1 else 'people'} ({group}).",
                 notices=notices)
