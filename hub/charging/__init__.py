"""E-bike charging safety on the hub (充电安全): per-circuit rules, incidents, alerts, diary.

:mod:`hub.charging.rules` decides (pure); :mod:`hub.charging.area` wires it to the hub
(``attach(hub)``); :mod:`hub.charging.store` keeps the tables; :mod:`hub.charging.query`
answers ``GET /api/charging``.
"""
