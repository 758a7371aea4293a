"""People who write to the bot, and their identities, kept apart and encrypted."""
