"""Prometheus metrics: one registry per process (a web replica's ``/metrics``, a worker's
``--metrics-port``). Labels are route templates, outcomes and channels, never ids or people.

The job queue's depth and failures are read from the database when scraped (they belong to the
cluster, not to the process that happens to answer).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "siaga_http_request_duration_seconds",
    "Time to answer a request, per route template",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HEARTBEATS = Counter(
    "siaga_heartbeats_total",
    "Heartbeats received: accepted (new), duplicate (sent again), refused",
    ["outcome"],
    registry=REGISTRY,
)
SWEEP_SECONDS = Histogram(
    "siaga_hardware_sweep_duration_seconds",
    "Time of one hardware sweep over every regency",
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ALERT_EVALUATION_SECONDS = Histogram(
    "siaga_alert_evaluation_duration_seconds",
    "Time of one evaluation of every regency's alert rules",
    registry=REGISTRY,
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
DELIVERIES = Counter(
    "siaga_alert_deliveries_total",
    "Alert and digest messages handed to a channel, by outcome",
    ["channel", "status"],
    registry=REGISTRY,
)
JOBS = Gauge(
    "siaga_jobs",
    "Jobs in the queue by task and status (todo: waiting, doing, failed: kept with the error)",
    ["task", "status"],
    registry=REGISTRY,
)


def count_beats(accepted: int, duplicates: int, refused: int) -> None:
    HEARTBEATS.labels("accepted").inc(accepted)
    HEARTBEATS.labels("duplicate").inc(duplicates)
    HEARTBEATS.labels("refused").inc(refused)


def set_job_counts(rows: list[tuple[str, str, int]]) -> None:
    """The queue as read now: (task, status, count); a pair no longer present reads 0."""
    JOBS.clear()
    for task, status, count in rows:
        JOBS.labels(task, status).set(count)
