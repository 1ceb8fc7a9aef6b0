"""Timed work. The database says what is due; jobs here are rebuilt from it at start."""
