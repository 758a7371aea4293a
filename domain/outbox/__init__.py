"""The outbox: every message to send, written with the change that caused it."""
