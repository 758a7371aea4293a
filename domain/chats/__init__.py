"""Chats the bot is in, their links to areas, and the one-time codes that make links."""
