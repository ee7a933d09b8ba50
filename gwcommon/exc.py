"""One exception hierarchy for gatewarden; each class mixes in the builtin it behaves like."""


class GatewardenError(Exception):
    """Base class of every error gatewarden raises on purpose."""


class ConfigError(GatewardenError, ValueError):
    """A configuration file is missing, unreadable or invalid.

    The message is one line naming the file, the key and the reason, fit to print for an
    installer: ``/etc/gatewarden/hub.toml: mqtt.port: must be at most 65535 (got 70000)``.
    """


class InvalidMessage(GatewardenError, ValueError):
    """An MQTT message breaks the wire contract; ``reason`` says how, in one line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadTagId(InvalidMessage):
    """A tag id does not follow one of the schemes of docs/contract.md §1."""


class BadTimestamp(InvalidMessage):
    """A timestamp is not RFC 3339 with a UTC offset."""
