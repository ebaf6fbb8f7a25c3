"""Real local servers for tests: HTTP, SMTP and a Twilio stand-in (see fixtures.py)."""
