"""Chat targets (群机器人): WeCom, DingTalk, Feishu, a plain JSON webhook, and Apprise (optional).

Each target turns a :class:`Part` (one chat message) into exactly the request its service
documents (alert_anchors.md §1) and sends it with httpx; the *body* of the answer decides the
result (:mod:`hub.alerts.verdict`).  The address is the full webhook URL from the config, so a
local fake server can stand in for the service in tests.

- WeCom group robot: ``text`` (≤2048 bytes, ``mentioned_mobile_list``), ``markdown`` (≤4096
  bytes, no mentions), ``image`` (base64 + md5 of the raw JPEG, ≤2 MB).
- DingTalk custom robot: ``text`` with ``at.atMobiles``; when a secret is set every request is
  signed afresh (``timestamp`` in ms + ``sign`` in the query).  No picture upload exists.
- Feishu custom bot: ``text``; with a secret, ``timestamp`` (s) and ``sign`` go in the body.
  Mentions need Feishu user ids (``<at user_id="ou_…">``), not mobiles.
- webhook: one JSON object per message (see docs/alerts.md), optionally HMAC-signed in headers.
- apprise: any Apprise URL (email, Telegram, ntfy, ServerChan…), text only; needs the optional
  ``apprise`` package.  Apprise cannot see the services' error bodies, so results are less sure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time as _time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from gwcommon.config import read_secret
from gwcommon.exc import ConfigError

from .verdict import Verdict, classify, network_error

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One chat message: text, markdown or an image, with the mobiles to mention."""

    msg_type: str                       # text | markdown | image
    text: str = ""
    title: str = ""
    mobiles: tuple[str, ...] = ()
    feishu_ids: tuple[str, ...] = ()
    image: bytes | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dingtalk_sign(secret: str, ts_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg=f"{ts_ms}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{ts_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, ts_s: int) -> str:
    """Feishu: base64(HMAC-SHA256(key=f"{ts_s}\\n{secret}", msg=b"")), not URL-encoded."""
    digest = hmac.new(f"{ts_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_sign(secret: str, ts_s: int, body: bytes) -> str:
    """Our plain webhook: hex HMAC-SHA256(secret, f"{ts}." + body)."""
    return hmac.new(secret.encode(), f"{ts_s}.".encode() + body, hashlib.sha256).hexdigest()


class Target:
    """A chat target; subclasses build the service's request."""

    kind = "webhook"
    supports_images = False
    supports_markdown = False
    text_limit = 16000

    def __init__(self, url: str, *, name: str, secret: str | None = None, mask: bool = True,
                 per_minute: float | None = None, timeout: float = 10.0):
        self.url = url
        self.name = name
        self.secret = secret
        self.mask = mask
        self.per_minute = per_minute
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def build(self, part: Part, now: datetime) -> Request:
        raise NotImplementedError

    def send(self, part: Part, now: datetime) -> Verdict:
        """Send one part and judge the answer (never raises for network trouble)."""
        request = self.build(part, now)
        try:
            response = self._http().post(request.url, content=request.body, headers=request.headers)
        except httpx.HTTPError as exc:
            return network_error(exc)
        return classify(response.status_code, response.content, kind=self.kind,
                        retry_after=_retry_after(response.headers.get("retry-after")))

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _retry_after(value: str | None) -> float | None:
    try:
        return min(3600.0, max(0.0, float(value))) if value else None
    except ValueError:
        return None


_JSON = {"Content-Type": "application/json; charset=utf-8"}


class WeComTarget(Target):
    """企业微信群机器人."""

    kind = "wecom"
    supports_images = True
    supports_markdown = True
    text_limit = 2048
    markdown_limit = 4096

    def build(self, part: Part, now: datetime) -> Request:
        if part.msg_type == "image":
            raw = part.image or b""
            body = {"msgtype": "image", "image": {"base64": base64.b64encode(raw).decode(),
                                                   "md5": hashlib.md5(raw).hexdigest()}}
        elif part.msg_type == "markdown":
            body = {"msgtype": "markdown", "markdown": {"content": part.text}}
        else:
            text: dict[str, Any] = {"content": part.text}
            if part.mobiles:
                text["mentioned_mobile_list"] = list(part.mobiles)
            body = {"msgtype": "text", "text": text}
        return Request(self.url, _json(body), dict(_JSON))


class DingTalkTarget(Target):
    """钉钉自定义机器人 (signed per request when a secret is set)."""

    kind = "dingtalk"
    text_limit = 18000

    def build(self, part: Part, now: datetime) -> Request:
        at = {"atMobiles": list(part.mobiles), "isAtAll": False}
        body = {"msgtype": "text", "text": {"content": part.text}, "at": at}
        url = self.url
        if self.secret:
            ts_ms = int(now.timestamp() * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts_ms}&sign={dingtalk_sign(self.secret, ts_ms)}"
        return Request(url, _json(body), dict(_JSON))


class FeishuTarget(Target):
    """飞书自定义机器人 (signature in the body when a secret is set)."""

    kind = "feishu"
    text_limit = 18000

    def build(self, part: Part, now: datetime) -> Request:
        mentions = "".join(f'<at user_id="{uid}"></at> ' for uid in part.feishu_ids)
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": mentions + part.text}}
        if self.secret:
            ts_s = int(now.timestamp())
            body = {"timestamp": str(ts_s), "sign": feishu_sign(self.secret, ts_s), **body}
        return Request(self.url, _json(body), dict(_JSON))


class WebhookTarget(Target):
    """A plain JSON webhook (for a relay, Home Assistant, a script)."""

    kind = "webhook"
    supports_images = True

    def build(self, part: Part, now: datetime) -> Request:
        body: dict[str, Any] = {**part.meta, "type": part.msg_type, "title": part.title, "text": part.text,
                                "mention_mobiles": list(part.mobiles)}
        if part.msg_type == "image":
            raw = part.image or b""
            body["image"] = {"base64": base64.b64encode(raw).decode(), "md5": hashlib.md5(raw).hexdigest(),
                             "content_type": "image/jpeg"}
        data = _json(body)
        headers = dict(_JSON)
        if self.secret:
            ts_s = int(now.timestamp())
            headers["X-Gatewarden-Timestamp"] = str(ts_s)
            headers["X-Gatewarden-Signature"] = webhook_sign(self.secret, ts_s, data)
        return Request(self.url, data, headers)


class AppriseTarget(Target):
    """Any Apprise URL, text only (Apprise's plugins for these services send no attachments)."""

    kind = "apprise"
    text_limit = 4000

    def __init__(self, url: str, **kwargs: Any):
        super().__init__(url, **kwargs)
        try:
            import apprise  # noqa: F401  (optional extra)
        except ImportError:
            raise ConfigError(f"chat target {self.name}: kind 'apprise' needs the optional package "
                              f"apprise (pip install 'gatewarden[apprise]')") from None

    def build(self, part: Part, now: datetime) -> Request:
        return Request(self.url, part.text.encode("utf-8"), {})

    def send(self, part: Part, now: datetime) -> Verdict:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self.url):
            return Verdict("target_fault", None, "Apprise does not understand this URL")
        started = _time.monotonic()
        ok = notifier.notify(body=part.text, title=part.title)
        logger.debug("apprise %s answered %s in %.1f s", self.name, ok, _time.monotonic() - started)
        return Verdict("ok") if ok else Verdict("retry", None, "Apprise reported a failure")


TARGET_CLASSES: dict[str, type[Target]] = {
    "wecom": WeComTarget, "dingtalk": DingTalkTarget, "feishu": FeishuTarget,
    "webhook": WebhookTarget, "apprise": AppriseTarget,
}


def target_name(cfg: Any, index: int, chat: list[Any] | None = None) -> str:
    """A target's name: its configured name, else ``<kind>-<n>``, n counting targets of that kind
    in the config (so fixing a key keeps the name and the messages waiting for it)."""
    if cfg.name:
        return cfg.name
    n = sum(1 for c in (chat or [cfg])[:index] if c.kind == cfg.kind) + 1
    return f"{cfg.kind}-{n}"


def make_targets(chat: list[Any], *, timeout: float = 10.0) -> list[Target]:
    """Build the configured targets (secrets read from their files now, so a bad path fails at start)."""
    targets = []
    for index, cfg in enumerate(chat):
        name = target_name(cfg, index, chat)
        secret = cfg.secret
        if cfg.secret_file is not None:
            secret = read_secret(cfg.secret_file, f"chat[{index}].secret_file")
        cls = TARGET_CLASSES[cfg.kind]
        targets.append(cls(cfg.url, name=name, secret=secret, mask=getattr(cfg, "mask", True),
                           per_minute=getattr(cfg, "rate_per_minute", None), timeout=timeout))
    names = [t.name for t in targets]
    if "sms" in names:
        raise ConfigError("chat target name 'sms' is reserved for the owner texts ([sms]); choose another name",
                          zh="群消息目标的名字“sms”留给挪车短信（[sms]）用，请换一个名字")
    if len(set(names)) != len(names):
        raise ConfigError(f"chat target names must be unique; got {', '.join(names)}")
    return targets
