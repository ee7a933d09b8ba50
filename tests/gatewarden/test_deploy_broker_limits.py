"""`gatewarden deploy broker` (issue 15): TLS by default, a packet-size limit and queue limits."""

from __future__ import annotations

from gatewarden.cli import main as gatewarden


def _generate(tmp_path, *extra):
    (tmp_path / "hub.toml").write_text('[site]\nid = "pingan-2"\n', encoding="utf-8")
    out = tmp_path / "broker"
    assert gatewarden(["deploy", "broker", "--config", str(tmp_path / "hub.toml"), "--devices", "gate-north",
                       "--out", str(out), "--host", "127.0.0.1", *extra]) == 0
    return out, (out / "mosquitto.conf").read_text(encoding="utf-8")


def test_tls_is_the_default_and_limits_are_written(tmp_path):
    out, conf = _generate(tmp_path)
    assert (out / "ca.crt").exists() and "listener 8883" in conf and "listener 1883 127.0.0.1" in conf
    limits = dict(line.split(" ", 1) for line in conf.splitlines() if line.startswith("max_"))
    assert int(limits["max_packet_size"]) >= 8 * 1024 * 1024 and int(limits["max_packet_size"]) < 9 * 1024 * 1024
    assert {"max_inflight_messages", "max_queued_messages", "max_queued_bytes"} <= set(limits)


def test_no_tls_only_when_asked(tmp_path):
    out, conf = _generate(tmp_path, "--no-tls")
    assert not (out / "ca.crt").exists() and "listener 1883" in conf and "8883" not in conf
    assert "max_packet_size" in conf
