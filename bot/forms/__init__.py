"""Feedback forms: definitions as data (TOML) and the conversation that asks them."""
