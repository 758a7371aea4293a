"""The Zalo Official Account adapter: signed webhook events in, channel-neutral events out."""
