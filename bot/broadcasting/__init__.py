"""Broadcasts from the police's chats: compose, approve, test, correct and list them, and
what they achieved."""
