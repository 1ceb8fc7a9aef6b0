"""Persistence: engine and sessions, column types, models, migrations."""
