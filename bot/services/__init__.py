"""Domain logic. No chat, no transport: sessions and a clock come in as arguments."""
