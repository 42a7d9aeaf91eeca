"""Loopback stand-ins for the Aliyun and Tencent SMS APIs, for tests and benchmarks.

Each is a real HTTP server on 127.0.0.1 that checks requests the way the provider does — it
recomputes the signature from the published algorithm with the known test secret (Aliyun V3
ACS3-HMAC-SHA256, Tencent TC3-HMAC-SHA256; Tencent's for the service its Host names), rejects
replays (a used nonce, a used signature) and stale timestamps, enforces a rate limit — and answers
in the provider's response shapes. It remembers every message it
accepted by its idempotency key (``OutId`` / ``SessionContext``), so a test can assert that each
recipient got exactly one SMS, and serves the providers' look-up APIs from that record.
"""
import hashlib
import hmac
import json
import ipaddress
import threading
import time
import uuid
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

TEST_ACCESS_KEY_ID = "LTAI5tKehuTestKey00001"
TEST_ACCESS_KEY_SECRET = "kehu-test-secret-0123456789abcdef"
CHINA = timezone(timedelta(hours=8))  # the providers' clock, kept apart from kehu's code like the rest


class TokenBucket:
    """``rate`` per second with a burst of ``burst``; thread-safe."""

    def __init__(self, rate: float | None, burst: float | None = None):
        self.rate = rate
        self.burst = burst or (max(1.0, rate / 10) if rate else 0)
        self.tokens = self.burst
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        if not self.rate:
            return True
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class FakeSmsServer:
    """Base: the HTTP plumbing, the record of accepted messages, the rate limit."""

    provider = ""

    def __init__(self, secret: str = TEST_ACCESS_KEY_SECRET, key_id: str = TEST_ACCESS_KEY_ID,
                 rate_limit: float | None = None, burst: float | None = None):
        self.secrets = {key_id: secret}
        self.bucket = TokenBucket(rate_limit, burst)
        self.lock = threading.Lock()
        self.accepted: dict[str, list[dict]] = defaultdict(list)  # idempotency key -> every acceptance
        self.throttled = 0
        self.rejected_signatures = 0
        self.nonces: set[str] = set()
        self.requests = 0
        self.last_request: tuple[str, str, dict, bytes] | None = None  # method, path, headers, body: to replay
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.requests += 1
                    server.last_request = (self.command, self.path, dict(self.headers.items()), body)
                status, payload = server.handle(self.command, self.path, self.headers, body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # what tests read
    def received(self) -> dict[str, int]:
        """{idempotency key: how many times it was accepted}."""
        with self.lock:
            return {key: len(records) for key, records in self.accepted.items()}

    def messages(self) -> list[dict]:
        with self.lock:
            return [record for records in self.accepted.values() for record in records]

    def _accept(self, key: str, record: dict) -> str:
        message_id = f"{int(time.time() * 1000)}{uuid.uuid4().int % 10**8:08d}"
        with self.lock:
            self.accepted[key].append({**record, "provider_id": message_id, "at": datetime.now(timezone.utc)})
        return message_id

    def _fresh_nonce(self, nonce: str) -> bool:
        with self.lock:
            if not nonce or nonce in self.nonces:
                return False
            self.nonces.add(nonce)
            return True

    def handle(self, method, path, headers, body) -> tuple[int, dict]:
        raise NotImplementedError


# Aliyun ------------------------------------------------------------------------------------------
def _acs_encode(value: str) -> str:
    return quote(value, safe="~")


class FakeAliyunSms(FakeSmsServer):
    """Dysms 2017-05-25, RPC style with the V3 signature (what alibabacloud_tea_openapi 0.4 sends)."""

    provider = "aliyun"
    REQUIRED_SIGNED = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
                       "x-acs-version"}

    def _error(self, status, code, message):
        return status, {"RequestId": str(uuid.uuid4()).upper(), "HostId": "dysmsapi.aliyuncs.com",
                        "Code": code, "Message": message,
                        "Recommend": "https://api.aliyun.com/troubleshoot?q=" + code}

    def check_signature(self, method, path, headers, body):
        """None when the request is signed correctly, else the error response."""
        auth = headers.get("Authorization") or ""
        algorithm, _, rest = auth.partition(" ")
        if algorithm != "ACS3-HMAC-SHA256":
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        parts = dict(item.split("=", 1) for item in rest.split(",") if "=" in item)
        secret = self.secrets.get(parts.get("Credential", ""))
        if secret is None:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed = parts.get("SignedHeaders", "").split(";")
        if not self.REQUIRED_SIGNED <= set(signed):
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash:
            return self._error(400, "IncompleteSignature", "The payload hash does not match x-acs-content-sha256.")
        url = urlsplit(path)
        query = sorted(parse_qsl(url.query, keep_blank_values=True))
        canonical_query = "&".join(f"{_acs_encode(k)}={_acs_encode(v)}" for k, v in query)
        canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip()}\n" for name in signed)
        canonical_request = "\n".join([method, url.path or "/", canonical_query, canonical_headers,
                                       ";".join(signed), payload_hash])
        string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
        expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            with self.lock:
                self.rejected_signatures += 1
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        date = headers.get("x-acs-date") or ""
        try:
            sent_at = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return self._error(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs((datetime.now(timezone.utc) - sent_at).total_seconds()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not self._fresh_nonce(headers.get("x-acs-signature-nonce")):
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        return None

    def handle(self, method, path, headers, body):
        failure = self.check_signature(method, path, headers, body)
        if failure:
            return failure
        params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        action = headers.get("x-acs-action")
        if action == "SendSms":
            return self.send_sms(params)
        if action == "QuerySendDetails":
            return self.query_send_details(params)
        return self._error(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")

    def send_sms(self, params):
        request_id = str(uuid.uuid4()).upper()
        for required in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(required):
                return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": f"{required} is mandatory",
                             "RequestId": request_id}
        if not self.bucket.take():
            with self.lock:
                self.throttled += 1
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发云通信流控限制", "RequestId": request_id}
        template_params = json.loads(params["TemplateParam"]) if params.get("TemplateParam") else {}
        biz_id = self._accept(params.get("OutId") or request_id, {
            "phone": params["PhoneNumbers"], "sign_name": params["SignName"],
            "template_code": params["TemplateCode"], "params": template_params, "out_id": params.get("OutId")})
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def query_send_details(self, params):
        phone, day = params.get("PhoneNumber"), params.get("SendDate")
        rows = [r for r in self.messages()
                if r["phone"] == phone and r["at"].astimezone(CHINA).strftime("%Y%m%d") == day]
        size, page = int(params.get("PageSize") or 10), int(params.get("CurrentPage") or 1)
        chosen = rows[(page - 1) * size: page * size]
        return 200, {"Code": "OK", "Message": "OK", "RequestId": str(uuid.uuid4()).upper(), "TotalCount": len(rows),
                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": [{
                         "PhoneNum": r["phone"], "SendStatus": 3, "ErrCode": "DELIVERED",
                         "TemplateCode": r["template_code"], "Content": json.dumps(r["params"], ensure_ascii=False),
                         "SendDate": r["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                         "ReceiveDate": r["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                         "OutId": r["out_id"]} for r in chosen]}}


# Tencent -----------------------------------------------------------------------------------------
def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class FakeTencentSms(FakeSmsServer):
    """SMS 2021-01-11 with the TC3-HMAC-SHA256 signature, JSON POST to ``/``.

    Like Tencent Cloud API 3.0, it takes the service a request must be signed for from the host the
    request was sent to: the first label of ``sms.tencentcloudapi.com`` or
    ``sms.ap-guangzhou.tencentcloudapi.com``. Reached at its own address (an IP, which names no
    service) it answers as ``host``, as if DNS had given that name this address; used as an HTTP
    proxy (``HttpProfile(proxy="http://127.0.0.1:PORT")`` or ``HTTP_PROXY``) it sees the real host name
    in the Host header, as Tencent does.
    """

    provider = "tencent"
    WINDOW_SECONDS = 300  # X-TC-Timestamp may differ from the server's clock by this much

    def __init__(self, *args, host: str = "sms.tencentcloudapi.com", **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.replays = 0
        self._signatures: set[str] = set()      # accepted inside the window
        self._signature_expiry: deque = deque()  # (until, signature), oldest first

    def _error(self, code, message):
        return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}

    def service_for(self, host_header: str | None) -> str:
        """The service a request to this Host must be signed for: the host name's first label."""
        hostname = urlsplit("//" + (host_header or "")).hostname or ""
        try:
            ipaddress.ip_address(hostname)
            hostname = self.host
        except ValueError:
            pass
        return hostname.split(".")[0]

    def _first_use(self, signature: str, timestamp: int) -> bool:
        """Remember a signature until its timestamp leaves the window; False when it was seen already.

        TC3 requests carry no nonce (API 3.0 dropped v1's ``Nonce``): the same request signed in the
        same second is byte-identical, and a second copy inside the window is a replay.
        """
        now = time.time()
        with self.lock:
            while self._signature_expiry and self._signature_expiry[0][0] < now:
                self._signatures.discard(self._signature_expiry.popleft()[1])
            if signature in self._signatures:
                self.replays += 1
                return False
            self._signatures.add(signature)
            self._signature_expiry.append((timestamp + self.WINDOW_SECONDS, signature))
            return True

    def check_signature(self, method, path, headers, body):
        auth = headers.get("Authorization") or ""
        algorithm, _, rest = auth.partition(" ")
        if algorithm != "TC3-HMAC-SHA256":
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        parts = dict(item.strip().split("=", 1) for item in rest.split(",") if "=" in item)
        secret_id, _, scope = parts.get("Credential", "").partition("/")
        date, service, terminator = (scope.split("/") + ["", "", ""])[:3]
        secret = self.secrets.get(secret_id)
        if secret is None:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.")
        try:
            timestamp = int(headers.get("X-TC-Timestamp") or "")
        except ValueError:
            return self._error("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not a number.")
        if abs(time.time() - timestamp) > self.WINDOW_SECONDS:
            return self._error("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time differ by more than 5 minutes.")
        expected_service = self.service_for(headers.get("Host"))
        if date != datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d") or service != expected_service \
                or terminator != "tc3_request":
            return self._error("AuthFailure.InvalidAuthorization",
                               f"Credential scope is not date/{expected_service}/tc3_request.")
        signed = parts.get("SignedHeaders", "").split(";")
        if not {"content-type", "host"} <= set(signed):
            return self._error("AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host.")
        url = urlsplit(path)
        canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip().lower()}\n" for name in signed)
        canonical_request = "\n".join([method, url.path or "/", url.query, canonical_headers, ";".join(signed),
                                       hashlib.sha256(body).hexdigest()])
        string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                                    hashlib.sha256(canonical_request.encode()).hexdigest()])
        key = _hmac(_hmac(_hmac(("TC3" + secret).encode(), date), service), "tc3_request")
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("Signature", "")):
            with self.lock:
                self.rejected_signatures += 1
            return self._error("AuthFailure.SignatureFailure",
                               "The provided credentials could not be validated. Please check your signature is correct.")
        if not self._first_use(expected, timestamp):
            # Tencent documents no error code for a replay (its common codes,
            # https://cloud.tencent.com/document/api/382/38780, name none; the only documented defence
            # is the 5-minute timestamp window). The signature itself is right, so not SignatureFailure:
            # the Authorization header is what may not be used again.
            return self._error("AuthFailure.InvalidAuthorization",
                               "This request was received already: its signature may be used only once.")
        return None

    def handle(self, method, path, headers, body):
        failure = self.check_signature(method, path, headers, body)
        if failure:
            return failure
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return self._error("InvalidParameter", "The request body is not JSON.")
        action = headers.get("X-TC-Action")
        if action == "SendSms":
            return self.send_sms(params)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self.pull_status(params)
        return self._error("InvalidAction", f"The action {action} is not supported.")

    def send_sms(self, params):
        for required in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not params.get(required):
                return self._error("MissingParameter", f"The parameter {required} is required.")
        if not self.bucket.take():
            with self.lock:
                self.throttled += 1
            return self._error("RequestLimitExceeded", "Your current request times equals to `limit` in a second.")
        statuses = []
        for phone in params["PhoneNumberSet"]:
            key = params.get("SessionContext") or str(uuid.uuid4())
            serial = self._accept(key, {"phone": phone, "sign_name": params.get("SignName"),
                                        "template_code": params["TemplateId"],
                                        "params": params.get("TemplateParamSet") or [],
                                        "out_id": params.get("SessionContext")})
            statuses.append({"SerialNo": f"2433:{serial}", "PhoneNumber": phone, "Fee": 1,
                             "SessionContext": params.get("SessionContext") or "", "Code": "Ok",
                             "Message": "send success", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}

    def pull_status(self, params):
        since = datetime.fromtimestamp(int(params.get("BeginTime") or 0), timezone.utc)
        rows = [r for r in self.messages() if r["phone"] == params.get("PhoneNumber") and r["at"] >= since]
        offset, limit = int(params.get("Offset") or 0), int(params.get("Limit") or 100)
        return 200, {"Response": {"PullSmsSendStatusSet": [{
            "UserReceiveTime": r["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"), "CountryCode": "86",
            "SubscriberNumber": r["phone"][3:], "PhoneNumber": r["phone"], "SerialNo": f"2433:{r['provider_id']}",
            "ReportStatus": "SUCCESS", "Description": "DELIVRD", "SessionContext": r["out_id"] or ""}
            for r in rows[offset: offset + limit]], "RequestId": str(uuid.uuid4())}}


FAKES = {"aliyun": FakeAliyunSms, "tencent": FakeTencentSms}
