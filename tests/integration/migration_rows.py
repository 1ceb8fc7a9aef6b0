"""Rows to put into a database at each schema revision, to prove upgrades keep them.

One entry per revision: the rows its new tables (or new kinds of values) need,
written in that revision's schema, as plain column values (the models describe
only the newest schema). A new revision adds its own entry here and changes
none of the others; `test_migrations_keep_rows.py` fails until it does.
Every row names its primary key, so the test can find each one again.
"""

from __future__ import annotations

from typing import Any

Rows = dict[str, list[dict[str, Any]]]

_T = "2026-03-02 09:00:00.000000"

ROWS: dict[str, Rows] = {
    "0001": {
        "person": [
            {"id": pid, "network": "matrix", "user_id": f"@p{pid}:example.org",
             "display_name": f"P{pid}", "timezone": "Europe/Oslo", "reminders": True,
             "created_at": _T}
            for pid in (1, 2, 3)
        ],
    },
    "0002": {
        "handled_event": [{"network": "matrix", "event_id": "$e1", "handled_at": _T}],
        "transport_state": [{"network": "matrix", "key": "sync_token", "value": "s72_1"}],
    },
    "0003": {
        "workshop": [
            {"id": 1, "slug": "2026-spring", "title": "Spring", "timezone": "Europe/Stockholm",
             "stream_url": None, "notes_url": None, "registration_url": None,
             "state": "planned", "is_current": True, "created_at": _T},
        ],
        "workshop_day": [
            {"id": day, "workshop_id": 1, "number": day, "local_date": f"2026-03-1{6 + day}",
             "starts_at": f"2026-03-1{6 + day} 09:00:00.000000",
             "ends_at": f"2026-03-1{6 + day} 14:00:00.000000"}
            for day in (1, 2)
        ],
        # Room 1 covers every day (0004 turns that into NULL), room 2 one day.
        "local_room": [
            {"id": rid, "workshop_id": 1, "name": f"Room {rid}", "organization": "Uni",
             "mode": "in-person", "city": "Oslo", "country": "NO", "venue": "B1",
             "language": "en", "capacity": 20, "days": days, "who_may_join": None,
             "signup_url": None, "public": True, "status": "open", "created_at": _T}
            for rid, days in ((1, "1-2"), (2, "2"))
        ],
        "membership": [
            {"id": mid, "room_id": room, "person_id": person, "role": role, "joined_at": _T}
            for mid, room, person, role in (
                (1, 1, 1, "host"), (2, 1, 1, "lead"), (3, 1, 2, "learner"), (4, 2, 3, "waitlist")
            )
        ],
    },
    "0004": {
        "local_room": [
            {"id": 3, "workshop_id": 1, "name": "Every day", "organization": "Uni",
             "mode": "online", "city": None, "country": None, "venue": None,
             "language": "de", "capacity": 5, "days": None, "who_may_join": None,
             "signup_url": None, "public": False, "status": "full", "created_at": _T},
        ],
        # Person 1 (host of room 1) learns in room 3: one learner place in workshop 1.
        "membership": [
            {"id": 5, "room_id": 3, "person_id": 1, "role": "learner", "joined_at": _T},
        ],
    },
    "0005": {
        "outbox_message": [
            {"id": oid, "dedupe_key": f"reply:matrix:$e{oid}", "network": "matrix",
             "room": room, "person": person, "text": f"Answer {oid}",
             "reply_to_event": f"$e{oid}" if room else None, "reply_to_room": room,
             "thread_root": None, "mentions": None, "attachment_name": None,
             "attachment_type": None, "attachment_data": None, "not_before": _T,
             "status": status, "attempts": attempts, "reference": f"ref{oid}",
             "error": error, "created_at": _T, "sent_at": _T if status == "sent" else None}
            for oid, room, person, status, attempts, error in (
                (1, "!r:example.org", None, "pending", 0, None),
                (2, None, "@p2:example.org", "sent", 1, None),
                (3, None, "@p3:example.org", "failed", 1, "M_FORBIDDEN"),
            )
        ],
    },
    "0006": {
        "onboarding_session": [
            {"id": 1, "workshop_id": 1, "starts_at": _T, "minutes": 60,
             "link": "https://meet.example.org/o1", "capacity": 30, "audience": "all",
             "created_at": _T},
        ],
        "onboarding_signup": [
            {"id": 1, "workshop_id": 1, "session_id": 1, "person_id": 1, "created_at": _T},
        ],
        "reminder": [
            {"id": rid, "dedupe_key": f"w1:day-start:1:{rid}", "workshop_id": 1, "person_id": 1,
             "kind": "day-start", "due_at": _T, "text": f"Day 1 starts {rid}", "status": status,
             "sent_at": _T if status == "sent" else None,
             "late_minutes": 7 if status == "sent" else None, "created_at": _T}
            for rid, status in ((1, "pending"), (2, "sent"), (3, "missed"), (4, "cancelled"))
        ],
    },
    "0007": {
        "conversation": [
            {"id": 1, "person_id": 2, "kind": "form", "form": "daily", "workshop_id": 1,
             "day": 1, "room_id": 1, "state": '{"step": 1, "answers": {"today": ["too fast"]}}',
             "started_at": _T, "updated_at": _T},
        ],
        "feedback_response": [
            {"id": rid, "form": "daily", "workshop_id": 1, "day": 1, "room_id": room,
             "respondent": respondent, "answers": '{"good": "pace"}', "submitted_at": _T}
            for rid, room, respondent in ((1, 1, "a" * 64), (2, None, None))
        ],
    },
    "0008": {
        "outbox_message": [
            {"id": 50, "dedupe_key": "poll:zulip:w1:day1:daily", "network": "zulip",
             "room": "poll", "person": None, "text": "Today was", "reply_to_event": None,
             "reply_to_room": None, "thread_root": None, "mentions": None,
             "attachment_name": None, "attachment_type": None, "attachment_data": None,
             "poll": '{"question": "Today was", "choices": ["too fast", "too slow"]}',
             "not_before": _T, "status": "sent", "attempts": 0, "reference": "poll",
             "error": None, "created_at": _T, "sent_at": _T},
        ],
        "feedback_poll": [
            {"id": 1, "network": "zulip", "workshop_id": 1, "day": 1, "form": "daily",
             "question": "today", "choices": '["too fast", "too slow"]',
             "outbox_key": "poll:zulip:w1:day1:daily", "message_ref": "123", "created_at": _T},
        ],
        "poll_vote": [
            {"id": vid, "poll_id": 1, "respondent": respondent, "choice": choice, "voted_at": _T}
            for vid, respondent, choice in ((1, "b" * 64, 0), (2, "b" * 64, 1), (3, None, 1))
        ],
    },
    "0009": {
        "workshop": [
            {"id": 2, "slug": "2026-autumn", "title": "Autumn", "timezone": "Europe/Oslo",
             "stream_url": None, "notes_url": None, "registration_url": None,
             "state": "planned", "is_current": False, "created_at": _T},
        ],
        "local_room": [
            {"id": 4, "workshop_id": 2, "name": "Autumn room", "organization": "Uni",
             "mode": "online", "city": None, "country": None, "venue": None,
             "language": "en", "capacity": 10, "days": None, "who_may_join": None,
             "signup_url": None, "public": True, "status": "open", "created_at": _T},
        ],
        # Person 2 learns in workshop 1 and waits in workshop 2: one place in each.
        "membership": [
            {"id": 6, "room_id": 4, "workshop_id": 2, "person_id": 2, "role": "waitlist",
             "joined_at": _T},
        ],
    },
    # Items of response 1 (0010 itemizes the responses it finds, from their answers;
    # those rows are the revision's own work: see DERIVED).
    "0010": {
        "feedback_item": [
            {"id": 100 + position, "response_id": 1, "workshop_id": 1, "form": "daily", "day": 1,
             "room_id": 1, "question": "today", "position": position, "number": None,
             "text": text, "label": text, "sort_key": text.encode()}
            for position, text in ((0, "too fast"), (1, "right level"))
        ],
    },
    # A sent reply in a direct chat (its text already dropped) and a pending action.
    "0011": {
        "outbox_message": [
            {"id": oid, "dedupe_key": f"reply:matrix:$d{oid}{suffix}", "network": "matrix",
             "room": "!dm:example.org", "person": None, "direct": True, "action": action,
             "text": "", "reply_to_event": None, "reply_to_room": None, "thread_root": None,
             "mentions": mentions, "attachment_name": None, "attachment_type": None,
             "attachment_data": None, "poll": None, "not_before": _T, "status": status,
             "attempts": 0, "reference": f"ref{oid}", "error": None, "created_at": _T,
             "sent_at": _T if status == "sent" else None}
            for oid, suffix, action, mentions, status in (
                (60, "", None, None, "sent"),
                (61, ":action", "forget-direct", "@p1:example.org", "pending"),
            )
        ],
    },
    # Person 1's active conversation (person 2's row from 0007 is now `topic`, active).
    # A waiting row is not here: going down to 0011, whose schema holds one
    # conversation per person, drops the waiting ones (0012's downgrade).
    "0012": {
        "conversation": [
            {"id": 2, "person_id": 1, "position": 0, "kind": "form", "topic": "debrief",
             "workshop_id": 1, "day": 0, "room_id": None,
             "state": '{"step": 0, "answers": {}}', "started_at": _T, "updated_at": _T},
        ],
    },
    # A learner seat given up and one still held (0013 also backfills the memberships'
    # seats, from id 1: see DERIVED).
    "0013": {
        "seat_history": [
            {"id": hid, "workshop_id": 1, "room_id": 1, "kind": "learner", "since": _T,
             "until": until}
            for hid, until in ((100, "2026-03-17 14:00:00.000000"), (101, None))
        ],
    },
    # A sent poll whose row keeps its message id, and its poll (0014 moves the ids of
    # earlier polls onto their rows, or a row made for them).
    "0014": {
        "outbox_message": [
            {"id": 70, "dedupe_key": "poll:matrix:w1:day2:daily", "network": "matrix",
             "room": "poll", "person": None, "direct": False, "action": None,
             "text": "Today was", "reply_to_event": None, "reply_to_room": None,
             "thread_root": None, "mentions": None, "attachment_name": None,
             "attachment_type": None, "attachment_data": None,
             "poll": '{"question": "Today was", "choices": ["too fast", "too slow"]}',
             "not_before": _T, "status": "sent", "attempts": 0, "reference": "poll",
             "error": None, "created_at": _T, "sent_at": _T,
             "network_message_id": "$poll2"},
        ],
        "feedback_poll": [
            {"id": 2, "network": "matrix", "workshop_id": 1, "day": 2, "form": "daily",
             "question": "today", "choices": '["too fast", "too slow"]',
             "outbox_key": "poll:matrix:w1:day2:daily", "created_at": _T},
        ],
    },
    # A finished workshop, archived, with its setup link.
    "0015": {
        "workshop": [
            {"id": 3, "slug": "2025-autumn", "title": "Autumn 2025", "timezone": "UTC",
             "stream_url": None, "notes_url": None, "registration_url": None,
             "state": "finished", "is_current": False, "created_at": _T,
             "setup_url": "https://example.org/setup", "archived_at": _T},
        ],
    },
    "0016": {
        "attendance": [
            {"id": 1, "workshop_id": 1, "room_id": 1, "day": 1, "count": 12,
             "reported_by": 1, "via": "command", "reported_at": _T},
            {"id": 2, "workshop_id": 1, "room_id": 3, "day": 2, "count": 0,
             "reported_by": None, "via": "conversation", "reported_at": _T},
        ],
    },
    # A room's status on day 1, its board, the board's post (its id kept) and a
    # pending edit of it.
    "0017": {
        "room_day_status": [
            {"id": 1, "room_id": 1, "workshop_id": 1, "day": 1, "state": "need-help",
             "note": "R1 needs “help”", "changed_at": _T},
        ],
        "status_board": [
            {"id": 1, "workshop_id": 1, "day": 1, "network": "matrix",
             "post_key": "status-board:matrix:w1:day1", "created_at": _T},
        ],
        "outbox_message": [
            {"id": oid, "dedupe_key": key, "network": "matrix", "room": "status-board",
             "person": None, "direct": False, "action": None, "text": "board",
             "reply_to_event": None, "reply_to_room": None, "thread_root": None,
             "mentions": None, "attachment_name": None, "attachment_type": None,
             "attachment_data": None, "poll": None, "not_before": _T, "status": status,
             "attempts": 0, "reference": "board", "error": None, "created_at": _T,
             "sent_at": _T if status == "sent" else None, "network_message_id": sent_as,
             "editable": oid == 80, "edit_of": None if oid == 80 else 80}
            for oid, key, status, sent_as in (
                (80, "status-board:matrix:w1:day1", "sent", "$board1"),
                (81, "status-board:matrix:w1:day1:edit:1", "pending", None),
            )
        ],
    },
    # A workshop with chats on, one room's chat created in its Space, a lead in it.
    "0018": {
        "workshop_chats": [{"workshop_id": 1, "enabled": True, "network_space": "!space"}],
        "room_chat": [
            {"id": 1, "room_id": 1, "network": "matrix", "name": "R1 Oslo",
             "network_room": "!chat", "state": "created", "created_at": _T,
             "archived_at": None},
        ],
        "chat_member": [{"id": 1, "chat_id": 1, "person_id": 1, "power": 50}],
    },
}

# Tables whose rows a revision computes from other tables' rows (revision: tables):
# upgrading through it adds rows that no fixture names.
DERIVED: dict[str, set[str]] = {"0010": {"feedback_item"}, "0013": {"seat_history"}}

