"""Tinbao's domain: areas, chats, reports, identities, inbox, outbox, settings and storage."""
