"""Tinbao's plumbing: settings, the database, sealing, logs, metrics, leadership, token storage."""
