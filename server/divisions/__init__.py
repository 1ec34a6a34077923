"""The city's counties and townships, loaded from the national division codes."""
