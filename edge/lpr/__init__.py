"""Licence-plate cameras (车牌识别相机) as a second way in, and as eyes on the night strip.

The compounds' plate cameras read plates themselves and push each read over HTTP; nothing is
recognised on the Pi.  This package receives those pushes on the gate or lane Pi:

* :mod:`edge.lpr.config` — the ``[lpr]`` section: where to listen, one ``[[lpr.cameras]]`` per camera;
* :mod:`edge.lpr.model` — a read (:class:`~edge.lpr.model.PlateRead`) as our own frozen dataclass;
* :mod:`edge.lpr.vzenith`, :mod:`edge.lpr.hikvision`, :mod:`edge.lpr.dahua`, :mod:`edge.lpr.huaxia`,
  :mod:`edge.lpr.generic` — the vendors' push formats, each turned into reads and heartbeats, and the
  reply each camera expects;
* :mod:`edge.lpr.ocrmatch` — a doubtful strip read attributed to the one registered plate it is a
  usual OCR confusion of (presence only, never opening);
* :mod:`edge.lpr.server` — the small HTTP server (bounded bodies, timeouts, secret and address checks);
* :mod:`edge.lpr.health` — a camera gone silent becomes the fault ``plate_camera_unavailable``;
* :mod:`edge.lpr.receiver` — routes each read to the gate lane or the watched zone it belongs to;
* :mod:`edge.lpr.daemon` — wires it to the gate or lane device.

See docs/lpr.md.
"""
