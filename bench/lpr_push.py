"""Plate cameras: a camera's push → the decision (camera reply, or the Pi's relay pin), and pushes per second one gate Pi takes.

Three rows, all over real HTTP on loopback into ``edge.lpr`` with the durable outbox on disk
(SQLite, fsync per event), each push a 臻识 AlarmInfoPlate read carrying a ~150 KiB scene picture:

* ``camera opens``: the camera drives the barrier (``opens = 'camera'``): push → the reply that
  opens its relay (``info: ok``), passage and picture stored before the reply;
* ``Pi opens``: the Pi drives the barrier (``opens = 'pi'``, ``plate_alone``): push → the gate's
  open relay pin changes (gpiozero mock pins, the gate device's own thread), a car on the loop;
* ``sustained``: 4 cameras pushing at once, as fast as answered, for a few seconds: pushes per second;
* ``parse``: one push of each vendor format with the same picture turned into a read (the parser
  alone, no HTTP), 臻识 as the baseline: what a 大华 JSON or a 华夏智信 form (URL-safe base64 in a
  form body) costs against it.

    .venv/bin/python bench/lpr_push.py [--trials 200] [--seconds 5]

Prints a markdown table (and CPU seconds and peak RSS of the process).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import logging
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from gpiozero import Device  # noqa: E402
from gpiozero.pins.mock import MockFactory  # noqa: E402

from edge.allowlist import Allowlist  # noqa: E402
from edge.gate.config import GateConfig  # noqa: E402
from edge.gate.device import GateDevice  # noqa: E402
from edge.lpr.config import LprConfig  # noqa: E402
from edge.lpr.gatelink import GateLink  # noqa: E402
from edge.lpr.receiver import Receiver  # noqa: E402
from edge.lpr.server import LprServer  # noqa: E402
from edge.outbox import Outbox  # noqa: E402
from gwcommon import wire  # noqa: E402
from gwcommon.clock import SystemClock  # noqa: E402
from gwcommon.config import validate  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gate_latency import TimedPin, pct  # noqa: E402  (bench/gate_latency.py: the timed mock pin)

from tests.edge.lpr import payloads  # noqa: E402
from tests.edge.lpr.payloads import vzenith  # noqa: E402

OPEN_RELAY, EYE, LOOP, OPEN_LIMIT = 5, 6, 13, 19
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def picture() -> bytes:
    rng = np.random.default_rng(7)
    image = (rng.random((720, 1280, 3)) * 40 + np.linspace(60, 200, 1280)[None, :, None]).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return data.tobytes()


def plate(n: int) -> str:
    return f"浙{LETTERS[n // 100000 % len(LETTERS)]}{n % 100000:05d}"


def post(port: int, path: str, body: bytes, conn: http.client.HTTPConnection | None = None) -> bytes:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    return conn.getresponse().read()


def rig(tmp: Path, plates: int, opens: str):
    factory = MockFactory(pin_class=TimedPin)
    Device.pin_factory = factory
    clock = SystemClock()
    gate = validate({"lanes": [{"name": "in-1", "direction": "in", "open_relay": OPEN_RELAY, "photo_eye": EYE,
                                "arming_loop": LOOP, "open_limit": OPEN_LIMIT, "pulse": "50ms"}]}, GateConfig)
    lpr = validate({"listen": "127.0.0.1:0", "max_clients": 16, "cameras": [
        {"id": f"cam-{n}", "vendor": "vzenith", "lane": "in-1", "direction": "in", "opens": opens,
         "plate_policy": "plate_alone", "allow": ["127.0.0.1"], "repeat": "0s"} for n in range(4)]}, LprConfig)
    allowlist = Allowlist(tmp / "allowlist.json", clock=clock)
    allowlist.update(wire.Allowlist(version=1, plates=[wire.PlateEntry(plate=plate(n), vehicle=plate(n))
                                                       for n in range(plates)]))
    outbox = Outbox(tmp / f"outbox-{opens}.db", device="bench", clock=clock, snapshot_cap=4096 * 1024 * 1024)
    device = GateDevice(gate, sink=outbox, allowlist=allowlist, clock=clock, pin_factory=factory, cameras={}, tick=0.005)
    factory.pin(EYE).drive_low()
    factory.pin(OPEN_LIMIT).drive_low()
    factory.pin(LOOP).drive_high()
    link = GateLink(device, lpr.cameras, clock)
    receiver = Receiver(lpr, sink=outbox, clock=clock, gate=link, allowlist=allowlist)
    server = LprServer(lpr, receiver.handle, secrets={}, counters=receiver.counters).start()
    device.start()
    return factory, device, server, outbox


def camera_row(tmp: Path, trials: int, jpeg: bytes) -> list[float]:
    factory, device, server, outbox = rig(tmp, trials + 10, "camera")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    values = []
    for n in range(trials):
        body = vzenith(plate(n), picture=jpeg, plateid=n)
        started = time.perf_counter()
        reply = post(server.port, "/lpr/cam-0", body, conn)
        values.append((time.perf_counter() - started) * 1000 if b'"ok"' in reply else float("nan"))
    conn.close()
    server.stop(), device.stop(), outbox.close()
    return values


def pi_row(tmp: Path, trials: int, jpeg: bytes) -> list[float]:
    factory, device, server, outbox = rig(tmp, trials + 10, "pi")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    values = []
    for n in range(trials):
        while factory.pin(OPEN_RELAY).state:
            time.sleep(0.002)
        factory.pin(LOOP).drive_high()
        time.sleep(0.003)
        factory.pin(LOOP).drive_low()  # a new car on the loop
        time.sleep(0.01)
        TimedPin.changed.clear()
        started = time.perf_counter()
        post(server.port, "/lpr/cam-0", vzenith(plate(n), picture=jpeg, plateid=n), conn)
        values.append((TimedPin.last_on - started) * 1000 if TimedPin.changed.wait(2.0) else float("nan"))
    conn.close()
    server.stop(), device.stop(), outbox.close()
    return values


def sustained(tmp: Path, seconds: float, jpeg: bytes) -> tuple[float, int]:
    factory, device, server, outbox = rig(tmp, 1000, "camera")
    done, stop = [0] * 4, threading.Event()

    def camera(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        n = 0
        while not stop.is_set():
            post(server.port, f"/lpr/cam-{k}", vzenith(plate(k * 250 + n % 250), picture=jpeg, plateid=n), conn)
            done[k] += 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(4)]
    began = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    took = time.monotonic() - began
    server.stop(), device.stop(), outbox.close()
    return sum(done) / took, sum(done)


def parse_rows(trials: int, jpeg: bytes) -> list[tuple[str, list[float]]]:
    """Milliseconds to parse one push of each vendor format carrying ``jpeg``."""
    from edge.lpr.formats import vendor
    scene = payloads.hikvision_multipart(jpeg, jpeg[:4096])
    pushes = {"vzenith": (vzenith("浙A12345", picture=jpeg), "application/json"), "hikvision": scene,
              "dahua": (payloads.dahua(picture=jpeg), "application/json"), "huaxia": payloads.huaxia(picture=jpeg),
              "generic": (json.dumps({"plate": "浙A12345", "picture": base64.b64encode(jpeg).decode()}).encode(),
                          "application/json")}
    rows = []
    for name, (body, kind) in pushes.items():
        module, times = vendor(name), []
        for _ in range(trials):
            t0 = time.perf_counter()
            (read,) = module.parse(body, kind).reads
            times.append((time.perf_counter() - t0) * 1000)
            assert read.jpeg, name
        rows.append((f"parse {name} ({len(body) // 1024} KiB)", times))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="pushes per latency row (default 200)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the sustained row (default 5)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    jpeg = picture()
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("push → camera reply (camera opens)", camera_row(Path(tmp), args.trials, jpeg)),
                ("push → relay pin (Pi opens)", pi_row(Path(tmp), args.trials, jpeg))]
        rate, total = sustained(Path(tmp), args.seconds, jpeg)
    rows += parse_rows(args.trials, jpeg)
    cpu = time.process_time() - cpu0
    print(f"Each push carries a {len(jpeg) // 1024} KiB picture (base64 in the JSON: "
          f"{len(vzenith('浙A12345', picture=jpeg)) // 1024} KiB on the wire).\n")
    print("| path | trials | missed | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, values in rows:
        good = [v for v in values if v == v]
        print(f"| {name} | {len(values)} | {len(values) - len(good)} | {statistics.median(good):.2f} | "
              f"{pct(values, 90):.2f} | {pct(values, 99):.2f} | {max(good):.2f} |")
    print(f"\nSustained: 4 cameras pushing at once, {total} pushes in {args.seconds:.0f} s = **{rate:.0f} pushes/s** "
          "(each a passage with its picture stored durably).")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nCPU {cpu:.1f} s for the whole run; peak RSS {rss:.0f} MiB. A gate lane sees at most one car every "
          "few seconds, so one push per second per camera is the real load.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
