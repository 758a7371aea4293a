"""Residents subscribing in a private chat to an area's broadcasts, and ending it."""
