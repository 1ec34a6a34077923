"""Partners that honour the card, their benefits, and the scans at their counters."""
