"""The FastAPI app: webhook ingress, admin API, health and metrics."""
