"""Prometheus metrics, on a registry of our own so tests can build as many as they like."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """Every paperwire_* series; one instance per process, passed to whoever counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.papers_fetched = Counter("paperwire_papers_fetched", "Papers read from a source", ["source"], registry=r)
        self.digests_built = Counter("paperwire_digests_built", "Digests built", ["language"], registry=r)
        self.messages_sent = Counter("paperwire_messages_sent", "Messages delivered", ["platform"], registry=r)
        self.messages_retried = Counter(
            "paperwire_messages_retried", "Sends that will be tried again", ["platform", "reason"], registry=r
        )
        self.messages_failed = Counter(
            "paperwire_messages_failed", "Messages given up on", ["platform", "reason"], registry=r
        )
        self.chats_deactivated = Counter(
            "paperwire_chats_deactivated", "Chats turned off after a permanent error", ["platform"], registry=r
        )
        self.messages_in_doubt = Counter(
            "paperwire_messages_in_doubt", "Sends whose answer never came (may have arrived)", ["platform"], registry=r
        )
        self.chats_paused = Counter(
            "paperwire_chats_paused", "Chats paused because their sends keep timing out", ["platform"], registry=r
        )
        self.outcomes_held = Gauge(
            "paperwire_outcomes_held", "Send outcomes held in memory until the database takes them", ["platform"],
            registry=r,
        )
        self.build_failures = Counter("paperwire_build_failures", "Scheduled builds that failed", registry=r)
        self.build_failing = Gauge(
            "paperwire_build_failing", "1 while the scheduled build keeps failing, until it succeeds", registry=r
        )
        self.unplanned_chats = Gauge(
            "paperwire_unplanned_chats", "Chats due a digest whose messages are not planned yet", registry=r
        )
        self.queue_depth = Gauge("paperwire_queue_depth", "Outbox rows not yet sent", ["platform"], registry=r)
        self.command_latency = Histogram(
            "paperwire_command_latency_seconds",
            "Time to answer a chat command",
            ["platform", "command"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=r,
        )
        # purpose: "card" (summaries) or "judge" (curation); counted when spent, so a rebuild adds nothing.
        self.llm_calls = Counter("paperwire_llm_calls", "LLM requests sent", ["purpose"], registry=r)
        self.llm_tokens = Counter("paperwire_llm_tokens", "LLM tokens used", ["purpose", "kind"], registry=r)
        self.claims_checked = Counter("paperwire_llm_claims_checked", "LLM claims checked against the source", registry=r)
        self.claims_dropped = Counter("paperwire_llm_claims_dropped", "LLM claims dropped as unsupported", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
