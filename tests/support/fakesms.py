"""Local stand-ins for Aliyun SMS and Tencent Cloud SMS that check what the real services check.

:class:`FakeSms` is a threaded ``http.server`` on 127.0.0.1 (random port).  It verifies each
request's signature the way each provider documents it — written here independently of
``hub.alerts.sms`` (a different construction of the same documented steps), so a signing mistake
in the hub fails the test — checks the required parameters and the template's parameters, records
the text, and answers from a script: success by default, or any provider error code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY_ID, SECRET = "LTAI-test-key", "test-secret-0123"
ALIYUN_REQUIRED = {"AccessKeyId", "Action", "Format", "PhoneNumbers", "RegionId", "SignName", "SignatureMethod",
                   "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam", "Timestamp", "Version"}


@dataclass
class Sent:
    provider: str
    mobile: str
    template: str
    params: Any
    sign_name: str


@dataclass
class FakeSms:
    provider: str                                   # aliyun | tencent
    sent: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    script: deque = field(default_factory=deque)    # error codes to answer, one per request
    seen_nonces: set = field(default_factory=set)

    def start(self) -> "FakeSms":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                fake._answer(self, fake.aliyun(self.path))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake._answer(self, fake.tencent(self.headers, body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, code: str) -> None:
        self.script.append(code)

    @staticmethod
    def _answer(handler, data: dict) -> None:
        body = json.dumps(data).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    # --- Aliyun: RPC GET, HMAC-SHA1 over the sorted, RFC 3986-encoded query ----------------------

    def aliyun(self, path: str) -> dict:
        pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query, keep_blank_values=True)
        params = dict(pairs)
        given = params.pop("Signature", "")
        missing = ALIYUN_REQUIRED - params.keys()
        if missing:
            return self._refuse_aliyun("MissingParameter", f"missing {sorted(missing)}")

        def enc(text: str) -> str:
            return urllib.parse.quote_plus(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")
        query = "&".join(enc(k) + "=" + enc(params[k]) for k in sorted(params))
        expected = base64.b64encode(hmac.new((SECRET + "&").encode(), ("GET&" + enc("/") + "&" + enc(query)).encode(),
                                             hashlib.sha1).digest()).decode()
        if params["AccessKeyId"] != KEY_ID:
            return self._refuse_aliyun("InvalidAccessKeyId.NotFound", "no such key")
        if not hmac.compare_digest(given, expected):
            return self._refuse_aliyun("SignatureDoesNotMatch", "signature mismatch")
        if params["SignatureNonce"] in self.seen_nonces:
            return self._refuse_aliyun("SignatureNonceUsed", "nonce used")
        self.seen_nonces.add(params["SignatureNonce"])
        if (params["Action"], params["Version"], params["SignatureMethod"]) != ("SendSms", "2017-05-25", "HMAC-SHA1"):
            return self._refuse_aliyun("InvalidParameter", "wrong action")
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")  # must parse, UTC
        assert stamp.year >= 2000
        template_param = json.loads(params["TemplateParam"])
        if not isinstance(template_param, dict):
            return self._refuse_aliyun("isv.TEMPLATE_PARAMS_ILLEGAL", "not an object")
        if self.script:
            return self._refuse_aliyun(self.script.popleft(), "scripted")
        self.sent.append(Sent("aliyun", params["PhoneNumbers"], params["TemplateCode"], template_param,
                              params["SignName"]))
        return {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.sent)}", "RequestId": "req-1"}

    def _refuse_aliyun(self, code: str, message: str) -> dict:
        self.refused.append(code)
        return {"Code": code, "Message": message, "RequestId": "req-x"}

    # --- Tencent: API 3.0 JSON POST, TC3-HMAC-SHA256 -------------------------------------------

    def tencent(self, headers, body: bytes) -> dict:
        auth = headers.get("Authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            key_id, date, service, terminator = fields["Credential"].split("/")
        except ValueError:
            return self._refuse_tencent("AuthFailure.InvalidAuthorization", "bad header")
        stamp = int(headers.get("X-TC-Timestamp", "0"))
        if (algorithm, service, terminator, fields.get("SignedHeaders")) != ("TC3-HMAC-SHA256", "sms", "tc3_request",
                                                                              "content-type;host"):
            return self._refuse_tencent("AuthFailure.InvalidAuthorization", "bad scope")
        if date != datetime.fromtimestamp(stamp, timezone.utc).date().isoformat() or key_id != KEY_ID:
            return self._refuse_tencent("AuthFailure.SecretIdNotFound", "bad credential")
        canonical = (f"POST\n/\n\ncontent-type:{headers['Content-Type']}\nhost:{headers['Host']}\n\n"
                     f"content-type;host\n{hashlib.sha256(body).hexdigest()}")
        to_sign = (f"TC3-HMAC-SHA256\n{stamp}\n{date}/sms/tc3_request\n"
                   f"{hashlib.sha256(canonical.encode()).hexdigest()}")
        key = ("TC3" + SECRET).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(fields.get("Signature", ""), hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()):
            return self._refuse_tencent("AuthFailure.SignatureFailure", "signature mismatch")
        if (headers.get("X-TC-Action"), headers.get("X-TC-Version")) != ("SendSms", "2021-01-11"):
            return self._refuse_tencent("InvalidAction", "wrong action")
        data = json.loads(body)
        for key_name in ("PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet"):
            if key_name not in data:
                return self._refuse_tencent("MissingParameter", key_name)
        if not all(p.startswith("+86") for p in data["PhoneNumberSet"]):
            return self._refuse_tencent("InvalidParameterValue.IncorrectPhoneNumber", "e.164 please")
        if self.script:
            code = self.script.popleft()
            if code.startswith(("LimitExceeded.PhoneNumber", "InvalidParameterValue.IncorrectPhoneNumber")):
                self.refused.append(code)  # a per-number failure comes inside SendStatusSet
                return {"Response": {"SendStatusSet": [{"PhoneNumber": data["PhoneNumberSet"][0], "Code": code,
                                                         "Message": "scripted"}], "RequestId": "r"}}
            return self._refuse_tencent(code, "scripted")
        self.sent.append(Sent("tencent", data["PhoneNumberSet"][0], data["TemplateId"], data["TemplateParamSet"],
                              data["SignName"]))
        return {"Response": {"SendStatusSet": [{"SerialNo": "s-1", "PhoneNumber": data["PhoneNumberSet"][0],
                                                "Fee": 1, "Code": "Ok", "Message": "send success"}], "RequestId": "r"}}

    def _refuse_tencent(self, code: str, message: str) -> dict:
        self.refused.append(code)
        return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r"}}
