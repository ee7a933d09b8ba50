"""paho-mqtt clients set up the one way this project uses them: MQTT 5, callback API 2."""

from __future__ import annotations

import ssl

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import MqttConfig


def make_client(config: MqttConfig, client_id: str) -> paho.Client:
    """A client with credentials and TLS from config; reconnect backoff 1..30 s."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv5)
    if config.username:
        client.username_pw_set(config.username, config.password())
    if config.tls_ca:
        client.tls_set(ca_certs=str(config.tls_ca),
                       certfile=str(config.tls_cert) if config.tls_cert else None,
                       keyfile=str(config.tls_key) if config.tls_key else None,
                       cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(1, 30)
    client.max_inflight_messages_set(100)
    return client


def connect_properties(session_expiry: int) -> Properties:
    """CONNECT properties for a persistent session (clean_start False needs an expiry)."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry
    return props
