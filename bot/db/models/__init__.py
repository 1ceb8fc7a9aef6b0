"""The tables: typed SQLAlchemy 2 models, one module per concern; every change comes with
a migration. Every model is imported from here (`from bot.db.models import Person`),
which also puts every table on `Base.metadata` (Alembic compares against it)."""

from bot.db.models.attendance import Attendance
from bot.db.models.base import IDENTITY, NAMING_CONVENTION, Base, only_where, stored_enum
from bot.db.models.chats import ChatMember, ChatState, RoomChat, WorkshopChats
from bot.db.models.feedback import (
    Conversation,
    FeedbackItem,
    FeedbackPoll,
    FeedbackResponse,
    PollVote,
)
from bot.db.models.onboarding import Audience, OnboardingSession, OnboardingSignup
from bot.db.models.outbox import DeliveryStatus, HandledEvent, OutboxMessage, TransportState
from bot.db.models.people import Person
from bot.db.models.reminders import Reminder, ReminderStatus
from bot.db.models.rooms import (
    LocalRoom,
    MemberRole,
    Membership,
    RoomMode,
    RoomStatus,
    SeatHistory,
    SeatKind,
)
from bot.db.models.status import ExerciseState, RoomDayStatus, StatusBoard
from bot.db.models.workshops import Workshop, WorkshopDay, WorkshopState

__all__ = [
    "IDENTITY", "NAMING_CONVENTION", "Attendance", "Audience", "Base", "ChatMember",
    "ChatState", "Conversation", "DeliveryStatus", "ExerciseState", "FeedbackItem",
    "FeedbackPoll", "FeedbackResponse", "HandledEvent", "LocalRoom", "MemberRole",
    "Membership", "OnboardingSession", "OnboardingSignup", "OutboxMessage", "Person",
    "PollVote", "Reminder", "ReminderStatus", "RoomChat", "RoomDayStatus", "RoomMode",
    "RoomStatus", "SeatHistory", "SeatKind", "StatusBoard",
    "TransportState", "Workshop",
    "WorkshopChats", "WorkshopDay", "WorkshopState", "only_where", "stored_enum",
]
