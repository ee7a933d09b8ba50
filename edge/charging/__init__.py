"""The e-bike charging device (充电棚监测): meters → charger counting → charging events.

Power sources (PZEM-004T over Modbus, a CT clamp through an MCP3008, Tasmota/ESPHome/Shelly
plugs over MQTT) all deliver :class:`edge.charging.model.Reading`; :mod:`edge.charging.counting`
turns ≥ 1 Hz readings into an estimated number of active chargers, and
:mod:`edge.charging.device` emits ``charging`` and ``fault`` events through the outbox.
"""
