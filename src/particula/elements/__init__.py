"""The element table, as the engine defines it."""
