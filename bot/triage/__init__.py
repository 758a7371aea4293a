"""The ward police's triage desk in their chat."""
