"""The tests' private Mosquitto (the same one `gatewarden demo` uses)."""

from gatewarden.localbroker import Broker, free_port, wait_port

__all__ = ["Broker", "free_port", "wait_port"]
