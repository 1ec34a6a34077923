"""Projects, their teams and dated activities; check-in and check-out by QR."""
