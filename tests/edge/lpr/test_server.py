"""The plate cameras' HTTP listener on loopback: real pushes, hostile pushes, silent cameras."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from edge.events import ListSink
from edge.lpr import health
from edge.lpr.config import LprConfig
from edge.lpr.receiver import Receiver
from edge.lpr.server import LprServer
from gwcommon.clock import FakeClock
from gwcommon.config import validate

from . import payloads

SECRET = "s3cret-key"


@pytest.fixture
def listener(tmp_path):
    (tmp_path / "key").write_text(SECRET + "\n")
    config = validate({"listen": "127.0.0.1:0", "max_body_kb": 64, "read_timeout": "1s", "cameras": [
        {"id": "gate-in", "vendor": "vzenith", "lane": "in", "direction": "in", "opens": "camera",
         "plate_policy": "plate_alone", "secret_file": str(tmp_path / "key"), "silent_after": "30s",
         "label": "北门入口车牌相机"},
        {"id": "strip", "vendor": "hikvision", "zone": "east-strip", "allow": ["10.9.9.9"], "silent_after": "0s"},
        {"id": "itc", "vendor": "dahua", "zone": "east-strip", "secret_file": str(tmp_path / "key"), "silent_after": "0s"},
        {"id": "hx", "vendor": "huaxia", "zone": "east-strip", "secret_file": str(tmp_path / "key"), "silent_after": "0s"},
    ]}, LprConfig)
    clock, sink = FakeClock(), ListSink()
    receiver = Receiver(config, sink=sink, clock=clock)
    server = LprServer(config, receiver.handle, secrets={c.id: c.secret() for c in config.cameras},
                       counters=receiver.counters).start()
    yield server, receiver, sink, clock
    server.stop()


def post(server, path: str, body: bytes, *, kind: str = "application/json", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": kind, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_push_is_answered_with_the_decision(listener):
    server, receiver, sink, _ = listener
    status, body = post(server, f"/lpr/gate-in?key={SECRET}", payloads.vzenith("沪A99999"))
    assert status == 200 and json.loads(body)["Response_AlarmInfoPlate"]["info"] == "no"
    assert [p["tag"] for p in sink.of("passage")] == ["plate:沪A99999"]
    status, _ = post(server, "/lpr/gate-in", payloads.vzenith("沪A88888"), headers={"X-Gatewarden-Key": SECRET})
    assert status == 200 and len(sink.of("passage")) == 2


@pytest.mark.parametrize("path,body,kind,headers,status", [
    ("/lpr/nobody?key=" + SECRET, b"{}", "application/json", {}, 404),
    ("/elsewhere", b"{}", "application/json", {}, 404),
    ("/lpr/gate-in?key=wrong", b"{}", "application/json", {}, 403),
    ("/lpr/gate-in", b"{}", "application/json", {}, 403),
    ("/lpr/strip", payloads.hikvision_xml(), "application/xml", {}, 403),  # not from the allowed address
    ("/lpr/gate-in?key=" + SECRET, b"{broken", "application/json", {}, 400),
    ("/lpr/gate-in?key=" + SECRET, b"x" * (65 * 1024), "application/json", {}, 413),
    ("/lpr/gate-in?key=" + SECRET, b'{"AlarmInfoPlate": 5}', "application/json", {}, 400),
])
def test_bad_and_hostile_pushes_are_refused_and_change_nothing(listener, path, body, kind, headers, status):
    server, receiver, sink, _ = listener
    got, reply = post(server, path, body, kind=kind, headers=headers)
    assert got == status, reply
    assert sink.events == [] and sink.snapshots == []


def test_other_methods_and_missing_length(listener):
    server = listener[0]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", f"/lpr/gate-in?key={SECRET}")
    assert conn.getresponse().status == 405
    conn.close()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(f"POST /lpr/gate-in?key={SECRET} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    assert raw.recv(100).startswith(b"HTTP/1.1 411")
    raw.close()


def test_a_slow_sender_is_cut_off(listener):
    server, _, sink, _ = listener
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(f"POST /lpr/gate-in?key={SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{{".encode())
    assert raw.recv(100) == b""  # closed after read_timeout, nothing answered, nothing stored
    raw.close()
    assert sink.events == [] and server.counters["refused_slow"] == 1


def test_a_silent_camera_raises_a_fault_until_it_is_heard_again(listener):
    server, receiver, sink, clock = listener
    clock.advance(29)
    receiver.tick()
    assert sink.of("fault") == []
    clock.advance(2)
    receiver.tick()
    receiver.tick()
    (fault,) = sink.of("fault")
    assert fault["code"] == health.CODE and fault["active"] and "北门入口车牌相机" in fault["detail"]  # by its label
    body, kind = payloads.vzenith_heartbeat()
    assert post(server, f"/lpr/gate-in?key={SECRET}", body, kind=kind)[0] == 200
    assert [(f["code"], f["active"]) for f in sink.of("fault")] == [(health.CODE, True), (health.CODE, False)]


def test_a_hostile_push_does_not_count_as_a_sign_of_life(listener):
    server, receiver, sink, clock = listener
    clock.advance(31)
    post(server, f"/lpr/gate-in?key={SECRET}", b"{broken")
    post(server, "/lpr/gate-in?key=wrong", payloads.vzenith())
    receiver.tick()
    assert [(f["code"], f["active"]) for f in sink.of("fault")] == [(health.CODE, True)]


def test_dahua_and_huaxia_pushes_over_http(listener):
    server, receiver, sink, _ = listener
    status, body = post(server, f"/lpr/itc?key={SECRET}", payloads.dahua(picture=payloads.jpeg()))
    assert (status, json.loads(body)) == (200, {"Result": True})
    assert post(server, f"/lpr/itc?key={SECRET}", payloads.DAHUA_KEEPALIVE)[0] == 200
    form, kind = payloads.huaxia(picture=payloads.jpeg())
    status, body = post(server, f"/lpr/hx?key={SECRET}", form, kind=kind)
    assert (status, json.loads(body)) == (200, {"error_num": 0, "error_str": ""})
    assert receiver.counters["reads"] == 2 and receiver.counters["heartbeats"] == 1
    for path, bad, kind in ((f"/lpr/itc?key={SECRET}", b'{"Picture": []}', "application/json"),
                            (f"/lpr/hx?key={SECRET}", b"type=online", "application/x-www-form-urlencoded"),
                            ("/lpr/hx?key=wrong", form, "application/x-www-form-urlencoded")):
        assert post(server, path, bad, kind=kind)[0] in (400, 403)
    assert receiver.counters["reads"] == 2 and sink.events == []  # no strip here: counted, nothing stored
