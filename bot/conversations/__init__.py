"""Conversations as a mechanism: kinds declared like commands, a durable queue per
person, and the step ahead of the commands that hands a message to the active one."""
