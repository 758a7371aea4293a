"""The one sender: delivers outbox rows to the platforms within their limits."""
