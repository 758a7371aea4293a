"""Residents who subscribed in a private chat to the broadcasts of an area."""
