"""Chat commands: one module per feature, mounted on one dispatcher."""
