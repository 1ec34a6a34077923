"""Service hours: the counting rules and the append-only ledger they feed."""
