"""Property-based fuzzing of every topic's payloads (issue 15): whatever arrives, ingest returns an
outcome (stored, duplicate, quarantined, ignored) and never raises, and the next valid event is still
stored and acknowledged.  A few thousand cases here; bench/hostile.py runs more.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core.db import open_db
from hub.core.devices import DeviceBook
from hub.core.ingest import Ingest, RawMessage
from hub.core.quarantine import Quarantine
from hub.schema import all_sets
from tests.support.hubrun import EXAMPLES, event_payload

SITE = "fuzz"
KINDS = ["passage", "presence", "charging", "fault", "status", "heartbeat", "ack", "cmd", "snapshot/ev-1", "allowlist"]
AT = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                              max_size=4), max_leaves=12)


def _dump(value) -> bytes:
    return json.dumps(value, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def payloads(draw) -> bytes:
    """Arbitrary bytes, arbitrary JSON, or a valid event with one field broken."""
    choice = draw(st.sampled_from(["bytes", "json", "mutant", "deep", "number"]))
    if choice == "bytes":
        return draw(st.binary(max_size=300))
    if choice == "json":
        return _dump(draw(json_values))
    if choice == "deep":
        depth = draw(st.integers(min_value=500, max_value=3000))
        return draw(st.sampled_from([b"[", b'{"a":'])) * depth
    if choice == "number":
        return b'{"seq": ' + draw(st.sampled_from([b"9" * 5000, b"1e999", b"-1e999", b"NaN", b"Infinity"])) + b"}"
    body = event_payload(draw(st.sampled_from(list(EXAMPLES))), draw(st.integers(min_value=1, max_value=5)), device="gate-1")
    key = draw(st.sampled_from(sorted(body)))
    if draw(st.booleans()):
        body[key] = draw(json_values)
    else:
        del body[key]
    return _dump(body)


class Harness:
    """One ingest on a real SQLite file; each message in its own transaction, as the intake runs them."""

    def __init__(self, tmp: str):
        from pathlib import Path

        self.db = open_db(Path(tmp) / "hub.db", migrations=all_sets())
        self.quarantine = Quarantine()
        self.ingest = Ingest(SITE, book=DeviceBook(offline_after=timedelta(minutes=2)), quarantine=self.quarantine,
                             snapshots_dir=Path(tmp) / "snapshots", tz=ZoneInfo("Asia/Shanghai"),
                             publish=lambda *a, **k: None)
        self.seq = 0

    def send(self, topic: str, payload: bytes):
        self.db.execute("BEGIN IMMEDIATE")
        outcome = self.ingest.process(self.db, RawMessage(topic, payload, AT))
        self.db.execute("COMMIT")
        self.ingest.apply(outcome)
        return outcome

    def valid_event(self) -> str:
        self.seq += 1
        body = event_payload("passage", self.seq, device="gate-9")
        return self.send(f"gatewarden/{SITE}/gate-9/passage", _dump(body)).what


_HARNESS: dict[str, Harness] = {}


def harness(tmp_path_factory) -> Harness:
    if "h" not in _HARNESS:
        _HARNESS["h"] = Harness(str(tmp_path_factory.mktemp("fuzz")))
    return _HARNESS["h"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), device=st.sampled_from(["gate-1", "lane-2", "x" * 40, "Gate", "hub"]),
       payload=payloads())
def test_any_payload_on_any_topic_gets_an_outcome_and_valid_events_keep_flowing(tmp_path_factory, kind, device, payload):
    h = harness(tmp_path_factory)
    outcome = h.send(f"gatewarden/{SITE}/{device}/{kind}", payload)
    assert outcome.what in {"event", "duplicate", "quarantined", "ignored", "status", "heartbeat", "snapshot",
                            "snapshot_duplicate", "snapshot_waiting"}
    assert h.valid_event() == "event"
    assert h.ingest.book.get("gate-9").track.top == h.seq


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topic=st.text(max_size=80), payload=st.binary(max_size=100))
def test_any_topic_at_all(tmp_path_factory, topic, payload):
    h = harness(tmp_path_factory)
    assert h.send(topic, payload).what in {"quarantined", "ignored", "status", "heartbeat", "event", "duplicate",
                                           "snapshot", "snapshot_duplicate", "snapshot_waiting"}
    assert h.valid_event() == "event"
