"""Prometheus metrics of one process, in a registry of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


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

    def watch(self, read: Callable[[], list[Reading]]) -> None:
        """Report the values `read` gives (queues from the database, task records) on each scrape."""
        self.registry.register(_ReadingCollector(read))


@dataclass(frozen=True)
class Reading:
    """A value read at scrape time: its name, help, label names and values by labels.

    A gauge unless `counter` (a count that only grows while the process lives: `_total`).
    """

    name: str
    help: str
    labels: tuple[str, ...]
    values: Mapping[tuple[str, ...], float]
    counter: bool = False


class _ReadingCollector(Collector):
    """Reads queue sizes and other values at scrape time."""

    def __init__(self, read: Callable[[], list[Reading]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Yield one family per reading."""
        try:
            readings = self._read()
        except Exception as error:  # a scrape must not fail because the database is down
            log.warning("metrics read at scrape time are missing (%s)", type(error).__name__)
            return
        for reading in readings:
            kind = CounterMetricFamily if reading.counter else GaugeMetricFamily
            family = kind(reading.name, reading.help, labels=list(reading.labels))
            for key, count in sorted(reading.values.items()):
                family.add_metric(list(key), count)
            yield family
