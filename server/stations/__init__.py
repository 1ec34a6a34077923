"""Communities and their volunteer service stations."""
