"""Tinbao's domain: areas, chats, people, reports, evidence, the inbox and the outbox."""
