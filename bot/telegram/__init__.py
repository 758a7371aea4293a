"""The Telegram adapter: updates in, channel-neutral events out."""
