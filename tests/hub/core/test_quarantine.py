"""Whatever arrives, the hub stores it or quarantines it, and carries on (hypothesis)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwcommon import wire
from gwcommon.exc import InvalidMessage
from hub.core.ingest import RawMessage
from hub.core.quarantine import EXCERPT_BYTES, excerpt
from tests.support.hubrun import EXAMPLES, Publisher, count, event_payload, make_hub, rows, wait_until

SITE = "fuzz-site"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    with make_hub(tmp_path_factory.mktemp("fuzz"), broker, site=SITE) as running:
        yield running


KINDS = list(wire.DEVICE_MODELS) + ["snapshot/ev-1", "teleport", "status/x", ""]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@st.composite
def mutated_event(draw):
    """A valid event with one field removed or replaced by something random."""
    kind = draw(st.sampled_from(list(EXAMPLES)))
    body = event_payload(kind, draw(st.integers(min_value=1, max_value=50)))
    key = draw(st.sampled_from(sorted(body)))
    if draw(st.booleans()):
        del body[key]
    else:
        body[key] = draw(json_values)
    return kind, json.dumps(body).encode()


@st.composite
def messages(draw):
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice == 0:
        kind, payload = draw(mutated_event())
        return f"gatewarden/{SITE}/dev-f/{kind}", payload
    device = draw(st.sampled_from(["dev-f", "Dev", "hub", "a" * 40, "", "+x"]))
    topic = f"gatewarden/{SITE}/{device}/{draw(st.sampled_from(KINDS))}"
    if choice == 1:
        topic = draw(st.text(max_size=60))
    payload = draw(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
    return topic, payload


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=messages())
def test_any_message_is_stored_or_quarantined_and_never_crashes_the_hub(hub, message):
    topic, payload = message
    before = hub.quarantine.total
    outcome = hub.writer.call(lambda db: hub.ingest.process(db, RawMessage(topic, payload, hub.clock.now())))
    try:
        where, _ = wire.decode(topic, payload)
        ok = where.site == SITE
    except InvalidMessage:
        ok = False
    if ok:
        assert outcome.what != "quarantined" or "conflict" in _last_code(hub)
    else:
        assert outcome.what in ("quarantined", "ignored")
        assert hub.quarantine.total == before + (outcome.what == "quarantined")
    assert hub.writer_alive()


def _last_code(hub) -> str:
    return rows(hub, "SELECT code FROM quarantine ORDER BY id DESC LIMIT 1")[0]["code"]


def test_random_junk_through_the_broker_is_all_quarantined(hub, broker):
    rng = random.Random(20260302)
    before = hub.quarantine.total
    with Publisher(broker.port) as pub:
        for n in range(40):
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            kind = rng.choice(["passage", "presence", "charging", "fault", "status", "heartbeat", "snapshot/x1"])
            pub.raw(f"gatewarden/{SITE}/junk-{n % 3}/{kind}", junk, qos=rng.choice([0, 1]))
        pub.event(SITE, "after-junk", "fault", 1)
    wait_until(lambda: count(hub, "events", "device = 'after-junk'") == 1)
    assert hub.quarantine.total - before == 40
    assert hub.writer_alive() and hub.link.connected.is_set()


@given(st.binary(max_size=2000))
def test_excerpts_are_bounded(payload):
    encoding, text = excerpt(payload)
    assert encoding in ("text", "hex")
    assert len(text) <= 2 * EXCERPT_BYTES
    if encoding == "hex":
        assert bytes.fromhex(text) == payload[:EXCERPT_BYTES]


def test_quarantine_rows_are_trimmed_but_counts_are_kept(tmp_path, broker):
    with make_hub(tmp_path, broker) as hub:
        hub.quarantine.keep_rows = 50
        for n in range(250):
            msg = RawMessage(f"gatewarden/{hub.config.site.id}/d/passage", b"x%d" % n, hub.clock.now())
            hub.writer.call(lambda db: hub.ingest.process(db, msg))
        assert count(hub, "quarantine") <= 150
        assert rows(hub, "SELECT count FROM quarantine_counts") == [{"count": 250}]
        assert hub.quarantine.total == 250
