"""Prometheus metrics of one process, in a registry of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class Metrics:
    """Every counter Tinbao keeps; gauges of queues are read from the database on scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates_received = Counter(
            "tinbao_updates_received",
            "Updates posted to a webhook or polled",
            ["channel"],
            registry=r,
        )
        self.updates_stored = Counter(
            "tinbao_updates_stored", "Updates committed to the inbox", ["channel"], registry=r
        )
        self.updates_duplicate = Counter(
            "tinbao_updates_duplicate",
            "Updates received again and ignored",
            ["channel"],
            registry=r,
        )
        self.updates_rejected = Counter(
            "tinbao_updates_rejected",
            "Requests refused (secret, size, shape)",
            ["channel", "reason"],
            registry=r,
        )
        self.updates_failed = Counter(
            "tinbao_updates_failed",
            "Updates parked as failed after retries",
            ["channel"],
            registry=r,
        )
        self.handling_seconds = Histogram(
            "tinbao_update_handling_seconds",
            "Time from storing an update to having handled it",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.outbox_sent = Counter(
            "tinbao_outbox_sent", "Outbound calls delivered", ["channel", "lane"], registry=r
        )
        self.outbox_failed = Counter(
            "tinbao_outbox_failed",
            "Outbound calls given up",
            ["channel", "lane", "reason"],
            registry=r,
        )
        self.rate_limited = Counter(
            "tinbao_rate_limited", "429 answers met from a platform", ["channel"], registry=r
        )
        self.send_retries = Counter(
            "tinbao_outbox_retries",
            "Outbound calls retried after an error",
            ["channel"],
            registry=r,
        )

    def watch_queues(self, read: Callable[[], dict[str, dict[tuple[str, str], int]]]) -> None:
        """Report queue sizes read on each scrape by `read` (name -> {(label, label): n})."""
        self.registry.register(_QueueCollector(read))


class _QueueCollector(Collector):
    """Reads inbox and outbox sizes at scrape time."""

    def __init__(self, read: Callable[[], dict[str, dict[tuple[str, str], int]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield one gauge per queue, labelled by its two keys."""
        try:
            queues = self._read()
        except Exception:  # a scrape must not fail because the database is down
            return
        labels = {"inbox": ["channel", "status"], "outbox": ["lane", "status"]}
        for name, counts in queues.items():
            family = GaugeMetricFamily(
                f"tinbao_{name}_rows", f"Rows of the {name} by state", labels=labels[name]
            )
            for key, count in sorted(counts.items()):
                family.add_metric(list(key), count)
            yield family
