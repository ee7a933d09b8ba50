"""Write the bridge from a compound's broker to the district broker (``gatewarden deploy bridge``).

``--out`` gets ``bridge.conf`` (a ``conf.d`` file for the compound broker; it holds the bridge's
password, so mode 0640) and ``district/passwd`` + ``district/acl``: the compound's account on the
district broker and what it may write there.  Re-running keeps the password.
"""

from __future__ import annotations

from pathlib import Path

from gatewarden.deploy import passwd, render
from gatewarden.deploy.broker import _share_with_mosquitto, _write


def write_bridge(site: str, district: render.District, out: Path, *, faults: bool = False) -> Path:
    out = Path(out)
    (out / "district").mkdir(parents=True, exist_ok=True)
    secret = out / "bridge-password"
    password = secret.read_text(encoding="utf-8").strip() if secret.is_file() else ""
    password = password or passwd.new_password()
    _write(secret, password + "\n", 0o600)
    _write(out / "bridge.conf", render.bridge_conf(site, district, password, faults=faults), 0o640)
    _write(out / "district" / "passwd", passwd.password_file({site: password}), 0o640)
    _write(out / "district" / "acl", render.district_acl(site, faults=faults), 0o644)
    _share_with_mosquitto(out, (".", "bridge.conf"))
    return out
