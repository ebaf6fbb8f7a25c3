"""flowc: a compiler for voice-call flows."""

__version__ = "0.1.0"
