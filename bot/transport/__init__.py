"""Chat networks. Only this package knows how a network speaks."""
