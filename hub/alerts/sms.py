"""Text messages to a car's owner (挪车短信) through Aliyun SMS or Tencent Cloud SMS.

Off by default.  A mainland SMS provider sends only *templates* a compound has had approved, under
an approved *signature* (短信签名); this module fills in a template's parameters and signs the
request exactly as each provider documents it, so a local fake server can check both in tests:

- Aliyun SMS (阿里云短信, dysmsapi ``SendSms``, version 2017-05-25): an RPC-style GET whose
  parameters are sorted, percent-encoded (RFC 3986: ``%20``, ``%2A``, ``~``) and signed with
  HMAC-SHA1 over ``GET&%2F&<encoded query>`` keyed ``<AccessKeySecret>&``.  Answer:
  ``{"Code": "OK", "BizId", "RequestId", "Message"}``; any other ``Code`` is a failure.
- Tencent Cloud SMS (腾讯云短信, API 3.0 ``SendSms``, version 2021-01-11): a JSON POST signed
  with TC3-HMAC-SHA256 (canonical request → string to sign → key derived from the date, the
  service ``sms`` and ``tc3_request``).  Answer: ``{"Response": {"SendStatusSet": [{"Code":
  "Ok", …}], "RequestId"}}`` or ``{"Response": {"Error": {"Code", "Message"}}}``.

Template parameters: Aliyun takes a JSON object (``{"plate": "浙A·1**45", "time": "08:00",
"place": "东侧夜停带"}``: the template uses ``${plate}``, ``${time}``, ``${place}``); Tencent an ordered
list (``{1}`` plate, ``{2}`` time, ``{3}`` place).  docs/alerts.md shows templates that pass review.

The provider's answer decides (:func:`judge`): a wrong key, signature or template, or an empty
balance is a *target fault* (shown in the web view, retried slowly); a per-number limit or a bad
number rejects that one message; throttling and server errors are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import httpx
from pydantic import Field, ValidationInfo, field_validator, model_validator

from gwcommon.config import Section, read_secret
from gwcommon.exc import ConfigError

from .targets import Part, Request, Target
from .verdict import Verdict, network_error

PARAMS = ("plate", "time", "place")  # the template's parameters, in Tencent's {1} {2} {3} order
ALIYUN_URL = "https://dysmsapi.aliyuncs.com/"
TENCENT_URL = "https://sms.tencentcloudapi.com/"
SECRET_ENV = "GATEWARDEN_SMS_SECRET"


class SmsConfig(Section):
    """Text messages to a car's owner at the reminder and at the deadline (挪车短信); off by default."""

    provider: Literal["off", "aliyun", "tencent"] = Field(
        "off", description="off, aliyun (阿里云短信) or tencent (腾讯云短信).")
    access_key_id: str = Field("", max_length=128, description="AccessKey ID (Aliyun) or SecretId (Tencent).")
    secret_file: Path | None = Field(
        None, description=f"File holding the AccessKey secret / SecretKey (or the {SECRET_ENV} environment variable).")
    sign_name: str = Field("", max_length=40, description="The approved SMS signature (短信签名), e.g. 平安小区.")
    reminder_template: str = Field(
        "", max_length=40, description="Approved template sent at the reminder before the deadline (Aliyun "
                                       "SMS_123456789 / Tencent 1234567); empty: no reminder text.")
    deadline_template: str = Field(
        "", max_length=40, description="Approved template sent when a car is confirmed still there at the deadline; "
                                       "empty: no deadline text.")
    sdk_app_id: str = Field("", max_length=32, description="Tencent only: the SMS application's SdkAppId (1400…).")
    region: str = Field("", max_length=32, description="Provider region; default cn-hangzhou (Aliyun) or "
                                                       "ap-guangzhou (Tencent).")
    endpoint: str = Field("", max_length=200, description="The provider's address; leave empty (for tests and "
                                                          "private endpoints only).")
    daily_cap: int = Field(3, ge=1, le=20, description="Texts to one mobile number a day at most.")
    opt_out: list[str] = Field(default_factory=list, max_length=5000,
                               description="Households (房号) that asked not to be texted.")

    @field_validator("secret_file", mode="after")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        return value if value is None or value.is_absolute() or base is None else (Path(base) / value).resolve()

    @model_validator(mode="after")
    def _complete(self) -> "SmsConfig":
        if self.provider == "off":
            return self
        missing = [k for k in ("access_key_id", "sign_name") if not getattr(self, k)]
        if self.provider == "tencent" and not self.sdk_app_id:
            missing.append("sdk_app_id")
        if missing:
            raise ValueError(f"provider {self.provider} needs {', '.join(missing)}")
        if not (self.reminder_template or self.deadline_template):
            raise ValueError("set reminder_template or deadline_template (nothing is sent without an approved template)")
        return self

    def secret(self) -> str:
        if self.secret_file is not None:
            return read_secret(self.secret_file, "sms.secret_file")
        value = os.environ.get(SECRET_ENV, "")
        if not value:
            raise ConfigError(f"sms: set secret_file or {SECRET_ENV}", zh=f"sms：请设置 secret_file 或环境变量 {SECRET_ENV}")
        return value


# --- signing (pure) ----------------------------------------------------------------------------

def percent(text: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's signature wants it (space → %20, ~ kept)."""
    return urllib.parse.quote(text, safe="~")


def aliyun_query(params: dict[str, str], secret: str) -> str:
    """The signed query string of an Aliyun RPC GET (``Signature`` appended)."""
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = "GET&%2F&" + percent(canonical)
    signature = base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    return f"Signature={percent(signature)}&{canonical}"


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, *, host: str, payload: bytes, timestamp: int,
                      content_type: str = "application/json; charset=utf-8", service: str = "sms") -> str:
    """The ``Authorization`` header of a Tencent Cloud API 3.0 POST (TC3-HMAC-SHA256)."""
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


# --- what an answer means (pure) ---------------------------------------------------------------

TARGET_FAULTS = (
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "isv.SMS_SIGNATURE_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.AMOUNT_NOT_ENOUGH", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL", "isv.OUT_OF_SERVICE",
    "isv.SMS_SIGN_ILLEGAL", "isp.RAM_PERMISSION_DENY", "Forbidden",
    "AuthFailure", "UnauthorizedOperation", "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved", "FailedOperation.InsufficientBalanceInSmsPackage",
    "FailedOperation.ContainSensitiveWord", "InvalidParameterValue.SdkAppIdNotExist",
)
REJECTS = (
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL",
    "isv.TEMPLATE_MISSING_PARAMETERS", "isv.TEMPLATE_PARAMS_ILLEGAL", "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT", "isv.INVALID_PARAMETERS",
    "LimitExceeded.PhoneNumber", "InvalidParameterValue.IncorrectPhoneNumber",
    "InvalidParameterValue.TemplateParameter", "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberOnBlacklist", "UnsupportedOperation",
)


def judge(code: str, message: str = "") -> Verdict:
    """The verdict for a provider's result code (``OK``/``Ok`` is success; others by prefix)."""
    if code in ("OK", "Ok"):
        return Verdict("ok", None, "")
    detail = f"{code}: {message}"[:200]
    if code.startswith(TARGET_FAULTS):
        return Verdict("target_fault", None, detail)
    if code.startswith(REJECTS):
        return Verdict("reject", None, detail)
    return Verdict("retry", None, detail, block=60.0 if "Limit" in code or "Throttling" in code else 0.0)


def judge_answer(status: int, body: bytes) -> Verdict:
    """The verdict for one HTTP answer of either provider."""
    if status >= 500 or status == 429:
        return Verdict("retry", status, f"HTTP {status}")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return Verdict("retry", status, f"HTTP {status}: not JSON")
    if not isinstance(data, dict):
        return Verdict("retry", status, f"HTTP {status}: not an object")
    if isinstance(data.get("Response"), dict):  # Tencent
        response = data["Response"]
        error = response.get("Error")
        if isinstance(error, dict):
            return judge(str(error.get("Code", "")), str(error.get("Message", "")))
        sent = response.get("SendStatusSet") or [{}]
        first = sent[0] if isinstance(sent[0], dict) else {}
        return judge(str(first.get("Code", "")), str(first.get("Message", "")))
    if "Code" in data:  # Aliyun
        return judge(str(data["Code"]), str(data.get("Message", "")))
    return Verdict("target_fault" if status in (401, 403, 404) else "retry", status, f"HTTP {status}")


# --- the targets -------------------------------------------------------------------------------

class SmsTarget(Target):
    """An SMS provider as an alert target: one Part = one text to ``part.mobiles[0]`` with the
    template named in ``part.meta["template"]`` and its parameters in ``part.meta["params"]``."""

    kind = "sms"
    text_limit = 500
    name_default = "sms"

    def __init__(self, cfg: SmsConfig, *, secret: str, timeout: float = 10.0, nonce=None):
        super().__init__(cfg.endpoint or self.default_url, name=self.name_default, secret=secret,
                         per_minute=30, timeout=timeout)
        self.cfg = cfg
        self._nonce = nonce or (lambda: uuid.uuid4().hex)

    default_url = ""

    def template(self, part: Part) -> tuple[str, dict[str, str]]:
        name = part.meta.get("template", "")
        code = {"reminder": self.cfg.reminder_template, "deadline": self.cfg.deadline_template}.get(name, "")
        params = {k: str(part.meta.get("params", {}).get(k, ""))[:20] for k in PARAMS}
        return code, params

    def send(self, part: Part, now: datetime) -> Verdict:
        code, _ = self.template(part)
        if not code or not part.mobiles:
            return Verdict("reject", None, "no approved template for this text, or no mobile")
        request = self.build(part, now)
        try:
            response = self.transmit(request)
        except httpx.HTTPError as exc:
            return network_error(exc)
        return judge_answer(response.status_code, response.content)

    def transmit(self, request: Request) -> httpx.Response:
        return self._http().post(request.url, content=request.body, headers=request.headers)


class AliyunSmsTarget(SmsTarget):
    default_url = ALIYUN_URL

    def build(self, part: Part, now: datetime) -> Request:
        code, params = self.template(part)
        query = {
            "AccessKeyId": self.cfg.access_key_id, "Action": "SendSms", "Format": "JSON",
            "PhoneNumbers": part.mobiles[0], "RegionId": self.cfg.region or "cn-hangzhou",
            "SignName": self.cfg.sign_name, "SignatureMethod": "HMAC-SHA1", "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0", "TemplateCode": code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        }
        return Request(f"{self.url.rstrip('/')}/?{aliyun_query(query, self.secret or '')}", b"", {})

    def transmit(self, request: Request) -> httpx.Response:
        return self._http().get(request.url)


class TencentSmsTarget(SmsTarget):
    default_url = TENCENT_URL

    def build(self, part: Part, now: datetime) -> Request:
        code, params = self.template(part)
        mobile = part.mobiles[0]
        body = json.dumps({
            "PhoneNumberSet": [mobile if mobile.startswith("+") else f"+86{mobile}"],
            "SmsSdkAppId": self.cfg.sdk_app_id, "SignName": self.cfg.sign_name, "TemplateId": code,
            "TemplateParamSet": [params[k] for k in PARAMS],
        }, ensure_ascii=False, separators=(",", ":")).encode()
        host = urllib.parse.urlsplit(self.url).netloc
        stamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8", "Host": host, "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(stamp), "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.cfg.region or "ap-guangzhou",
            "Authorization": tc3_authorization(self.cfg.access_key_id, self.secret or "", host=host, payload=body,
                                               timestamp=stamp),
        }
        return Request(self.url, body, headers)


def make_sms_target(cfg: SmsConfig | None, *, timeout: float = 10.0) -> SmsTarget | None:
    """The configured provider as a target (its secret read now, so a bad path fails at start)."""
    if cfg is None or cfg.provider == "off":
        return None
    cls = AliyunSmsTarget if cfg.provider == "aliyun" else TencentSmsTarget
    return cls(cfg, secret=cfg.secret(), timeout=timeout)

