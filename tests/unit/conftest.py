"""Fixtures for the unit tests: `room` (a workshop with one local room, R1) for every module."""

from tests.unit.test_rooms import room

__all__ = ["room"]
