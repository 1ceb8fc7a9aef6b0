"""The durable outbox: everything the bot says is a row first, then a message.

`rows` writes and reads the rows (inside the caller's transaction); `worker`
hands them to the transports, in order per target, and marks them sent or
failed (`marks` groups the sent marks); `lanes` is the in-memory ordering the
worker uses; `deliverers` says what the worker needs of a transport, so the
outbox imports none.
"""
