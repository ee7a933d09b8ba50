"""One exception hierarchy for gatewarden; each class mixes in the builtin it behaves like."""


class GatewardenError(Exception):
    """Base class of every error gatewarden raises on purpose.

    ``str()`` is the English line (for logs and tests); :meth:`text` gives it in a language when
    the error was raised with its Chinese too — :meth:`said` raises it from a key of the one
    catalogue (:mod:`gwcommon.catalogue`) in both languages.
    """

    zh: str | None = None

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``"zh"`` or ``"en"``); English where no Chinese was given."""
        return self.zh if lang != "en" and self.zh else str(self)

    @classmethod
    def said(cls, key: str, **values):
        """The error whose words are ``key`` of the catalogue, filled with ``values``."""
        from gwcommon import catalogue

        error = cls(catalogue.t(key, "en", **values))
        error.zh = catalogue.t(key, "zh", **values)
        return error


class ConfigError(GatewardenError, ValueError):
    """A configuration file is missing, unreadable or invalid.

    The message is one line naming the file, the key and the reason, fit to print for an
    installer: ``/etc/gatewarden/hub.toml: mqtt.port: must be at most 65535 (got 70000)``.
    ``str()`` is the English line (for logs and tests); :meth:`text` gives it in a language —
    the command line prints it in Chinese unless English is asked for (:mod:`gwcommon.lang`).
    """

    def __init__(self, message: str, *, zh: str | None = None):
        super().__init__(message)
        self.zh = zh


class WordedValueError(ValueError):
    """A ValueError from a config validator that also says it in Chinese (``zh``); pydantic keeps
    it in the error's context, and the config loader shows the installer the Chinese words."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh

    @classmethod
    def said(cls, key: str, **values) -> "WordedValueError":
        """The error whose words are ``config.<key>`` of the catalogue (gwcommon/configwords.py)."""
        from gwcommon import catalogue, configwords  # noqa: F401  (configwords contributes config.*)

        return cls(catalogue.t("config." + key, "en", **values), catalogue.t("config." + key, "zh", **values))


class InvalidMessage(GatewardenError, ValueError):
    """An MQTT message breaks the wire contract; ``reason`` says how, in one line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadTagId(InvalidMessage):
    """A tag id does not follow one of the schemes of docs/contract.md §1."""


class BadTimestamp(InvalidMessage):
    """A timestamp is not RFC 3339 with a UTC offset."""
