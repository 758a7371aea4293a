"""The admin API under /api/v1, for operators and integrations."""
