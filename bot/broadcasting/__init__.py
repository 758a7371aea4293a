"""Broadcasts from the police's chat: compose, approve, test, correct and list them."""
