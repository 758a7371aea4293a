"""What residents do: the report dialogue, group intake, status and news of their reports."""
