"""The HTTP side of offline sync: the phone's push and pull, and the staff page."""
