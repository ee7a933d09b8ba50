"""A mock BlueZ on a private D-Bus system bus, as bleak sees the real one in the field.

A ``dbus-daemon`` of our own (its address in ``DBUS_SYSTEM_BUS_ADDRESS``, which dbus-fast and so
bleak use for the system bus) and python-dbusmock's ``bluez5`` template claiming ``org.bluez`` on
it.  Devices are published as ``org.bluez.Device1`` objects with ``ManufacturerData``/``ServiceData``
and their advertisements as ``PropertiesChanged`` signals, exactly the D-Bus traffic bluetoothd
produces.  The template's own ``AddDevice`` writes ``ManufacturerData`` with a wrong type (a list),
so devices are added with the generic ``AddObject`` and an ``InterfacesAdded`` signal instead.

Needs ``dbus-daemon`` and python-dbusmock (Debian: ``dbus-daemon python3-dbusmock``; ``./dev test``
installs them).  The mock runs in a Python that has it: this one, or the system's /usr/bin/python3.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
"""
DEVICE = "org.bluez.Device1"


def mock_python() -> str | None:
    """A Python interpreter that can run python-dbusmock, or None."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        if Path(candidate).exists() and subprocess.run(
                [candidate, "-c", "import dbusmock, dbus"], capture_output=True).returncode == 0:
            return candidate
    return None


def missing() -> str | None:
    """Why the mock BlueZ cannot run here (None: it can)."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon is not installed (apt-get install dbus-daemon)"
    if mock_python() is None:
        return "python-dbusmock is not installed (apt-get install python3-dbusmock)"
    return None


def device_path(adapter: str, address: str) -> str:
    return f"/org/bluez/{adapter}/dev_{address.upper().replace(':', '_')}"


class MockBlueZ:
    """Start with :meth:`start`; ``address`` is the bus address to put in DBUS_SYSTEM_BUS_ADDRESS."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.log_path = workdir / "bluez-mock.log"
        self.address = ""
        self._procs: list[subprocess.Popen] = []

    def start(self) -> "MockBlueZ":
        (self.workdir / "bus.conf").write_text(BUS_CONFIG.format(dir=self.workdir), encoding="utf-8")
        daemon = subprocess.Popen(["dbus-daemon", f"--config-file={self.workdir / 'bus.conf'}", "--nofork",
                                   "--print-address=1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._procs.append(daemon)
        assert daemon.stdout is not None
        self.address = daemon.stdout.readline().strip()
        env = {"DBUS_SYSTEM_BUS_ADDRESS": self.address, "PATH": "/usr/bin:/bin"}
        self._procs.append(subprocess.Popen(
            [mock_python() or "python3", "-m", "dbusmock", "--system", "-t", "bluez5", "-l", str(self.log_path)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._run(self._introspect("/"))
                return self
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("the mock BlueZ did not come up on the private bus")

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs.clear()

    def log(self) -> str:
        """Every method call the mock received (dbusmock's log)."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    # ---- adapters ----------------------------------------------------------------------

    def add_adapter(self, name: str = "hci0", *, passive: bool = True) -> None:
        """An adapter; ``passive``: BlueZ >= 5.56 with --experimental (AdvertisementMonitorManager1)."""
        async def go(bus):
            await (await self._iface(bus, "/", "org.bluez.Mock")).call_add_adapter(name, "gatewarden-test")
            if passive:
                mock = await self._iface(bus, f"/org/bluez/{name}", "org.freedesktop.DBus.Mock")
                for method in ("RegisterMonitor", "UnregisterMonitor"):
                    await mock.call_add_method("org.bluez.AdvertisementMonitorManager1", method, "o", "", "")
        self._run(go)

    def remove_adapter(self, name: str = "hci0") -> None:
        """The adapter disappears (USB dongle pulled, firmware crash) with its devices."""
        async def go(bus):
            await (await self._iface(bus, "/", "org.bluez.Mock")).call_remove_adapter_with_devices(name)
        self._run(go)

    # ---- devices -----------------------------------------------------------------------

    def add_device(self, address: str, rssi: int, *, adapter: str = "hci0", address_type: str = "public",
                   manufacturer_data: dict[int, bytes] | None = None,
                   service_data: dict[str, bytes] | None = None) -> None:
        """A device heard for the first time: a Device1 object and InterfacesAdded."""
        from dbus_fast import Variant

        path = device_path(adapter, address)
        props = {
            "Address": Variant("s", address.upper()), "AddressType": Variant("s", address_type),
            "Alias": Variant("s", address.upper().replace(":", "-")), "Adapter": Variant("o", f"/org/bluez/{adapter}"),
            "Paired": Variant("b", False), "Connected": Variant("b", False), "Trusted": Variant("b", False),
            "Blocked": Variant("b", False), "LegacyPairing": Variant("b", False),
            "ServicesResolved": Variant("b", False), "UUIDs": Variant("as", []), "RSSI": Variant("n", rssi),
            "ManufacturerData": _mfr(manufacturer_data or {}), "ServiceData": _svc(service_data or {}),
        }

        async def go(bus):
            root = await self._iface(bus, "/", "org.freedesktop.DBus.Mock")
            await root.call_add_object(path, DEVICE, props, [])
            await root.call_emit_signal("org.freedesktop.DBus.ObjectManager", "InterfacesAdded", "oa{sa{sv}}",
                                        [Variant("o", path), Variant("a{sa{sv}}", {DEVICE: props})])
        self._run(go)

    def advertise(self, address: str, rssi: int, *, adapter: str = "hci0",
                  manufacturer_data: dict[int, bytes] | None = None,
                  service_data: dict[str, bytes] | None = None) -> None:
        """A further advertisement: what changed, as PropertiesChanged (BlueZ signals changes only)."""
        from dbus_fast import Variant

        changed: dict[str, Any] = {"RSSI": Variant("n", rssi)}
        if manufacturer_data is not None:
            changed["ManufacturerData"] = _mfr(manufacturer_data)
        if service_data is not None:
            changed["ServiceData"] = _svc(service_data)

        async def go(bus):
            mock = await self._iface(bus, device_path(adapter, address), "org.freedesktop.DBus.Mock")
            await mock.call_emit_signal("org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as",
                                        [Variant("s", DEVICE), Variant("a{sv}", changed), Variant("as", [])])
        self._run(go)

    # ---- plumbing ----------------------------------------------------------------------

    def _run(self, go: Any) -> Any:
        async def main():
            from dbus_fast import BusType
            from dbus_fast.aio import MessageBus

            bus = await MessageBus(bus_address=self.address, bus_type=BusType.SYSTEM).connect()
            try:
                return await go(bus)
            finally:
                bus.disconnect()
        return asyncio.run(main())

    def _introspect(self, path: str) -> Any:
        async def go(bus):
            return await bus.introspect("org.bluez", path)
        return go

    async def _iface(self, bus: Any, path: str, interface: str) -> Any:
        node = await bus.introspect("org.bluez", path)
        return bus.get_proxy_object("org.bluez", path, node).get_interface(interface)


def _mfr(data: dict[int, bytes]) -> Any:
    from dbus_fast import Variant

    return Variant("a{qv}", {company: Variant("ay", payload) for company, payload in data.items()})


def _svc(data: dict[str, bytes]) -> Any:
    from dbus_fast import Variant

    return Variant("a{sv}", {uuid: Variant("ay", payload) for uuid, payload in data.items()})
