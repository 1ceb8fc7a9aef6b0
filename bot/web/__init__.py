"""The web side: the public room page, its data and calendar feeds, health and metrics."""
