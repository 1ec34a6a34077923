"""Logins, roles and the scope each role may see."""
