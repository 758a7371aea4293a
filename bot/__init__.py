"""Tinbao's chat side: channel adapters, the channel-neutral events, dialogue and triage."""
