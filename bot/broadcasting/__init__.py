"""Broadcasts from the police's chats: composing, approving, and what they achieved."""
