"""The Zalo Bot Platform adapter: updates in, channel-neutral events out."""
