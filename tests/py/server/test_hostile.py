"""Hostile requests, sent as raw bytes over TCP (no client library normalises them), signed by
the official SDK (`qcloud_cos`'s `get_auth` / `get_presigned_url`). Every case is checked by
reading the objects back: the request is refused, or it did exactly what was signed.

Bucket A is the default `examplebucket-1250000000`; bucket B is `otherbucket-1250000000`.
Both live on the same server (its Host decides).
"""

import base64
import hashlib
import socket
import uuid
from urllib.parse import quote, unquote, urlsplit

import pytest

from server_helpers import BUCKET, HOST, REGION, TEMP_ID, TEMP_KEY, TEMP_TOKEN, cos_client, parse_error

BUCKET_A, HOST_A = BUCKET, HOST
BUCKET_B = "otherbucket-1250000000"
HOST_B = f"{BUCKET_B}.cos.{REGION}.myqcloud.com"

SDK = cos_client()


class Resp:
    def __init__(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        self.headers = {}
        for line in lines[1:]:
            if ":" in line:
                n, v = line.split(":", 1)
                self.headers[n.strip().lower()] = v.strip()
        self.body = body

    @property
    def code(self):
        if self.status < 300 or not self.body:
            return None
        return parse_error(self.body.decode())["Code"]

    def __repr__(self):
        return f"Resp({self.status}, {self.code}, {self.body[:600]!r})"


def send(server, data):
    """Sends raw bytes on a fresh connection and reads the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not c:
                break
            chunks.append(c)
    return Resp(b"".join(chunks))


def request(server, method, target, headers, body=b""):
    """`headers` is a list of (name, value), sent in this order and case, duplicates kept."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{n}: {v}" for n, v in headers]
    if body or method == "PUT":
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return send(server, ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)


def auth(method, bucket, key, headers=None, params=None):
    # get_auth adds its Authorization to the dict it is given: pass copies.
    return SDK.get_auth(Method=method, Bucket=bucket, Key=key, Headers=dict(headers or {}), Params=dict(params or {}))


def host_of(bucket):
    return HOST_A if bucket == BUCKET_A else HOST_B


def put(server, bucket, key, body, headers=None):
    """A correct signed PUT (the baseline every case is compared with)."""
    h = dict(headers or {})
    a = auth("PUT", bucket, key, h)
    return request(server, "PUT", "/" + quote(key), [("Host", host_of(bucket)), ("Authorization", a), *h.items()], body)


def get(server, bucket, key, raw_path=None):
    a = auth("GET", bucket, key)
    return request(server, "GET", raw_path or "/" + quote(key), [("Host", host_of(bucket)), ("Authorization", a)])


def fresh(tag):
    return f"hostile/{tag}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def two_objects(server):
    """The same key in A and B, with different bytes."""
    key = fresh("ab")
    assert put(server, BUCKET_A, key, b"A-bytes").status == 200
    assert put(server, BUCKET_B, key, b"B-bytes").status == 200
    return key


def assert_object(server, bucket, key, body, **headers):
    r = get(server, bucket, key)
    assert r.status == 200, r
    assert r.body == body
    for n, v in headers.items():
        assert r.headers.get(n.replace("_", "-")) == v, (n, r.headers)


def assert_missing(server, bucket, key):
    r = get(server, bucket, key)
    assert (r.status, r.code) == (404, "NoSuchKey"), r


# 1. Absolute-form target vs Host ------------------------------------------------------------

@pytest.mark.parametrize(
    "authority",
    [
        HOST_B,  # another bucket's host
        f"user@{HOST_B}",  # userinfo
        f"user:pw@{HOST_A}",  # userinfo, same host
        f"{HOST_B}:80",  # a port
        f"{HOST_A}:80",  # a port, same host
        HOST_B.upper(),  # uppercase, other host
        f"{HOST_B}.",  # trailing dot
        f"{HOST_A}.",  # trailing dot, same host
    ],
)
def test_absolute_form_target_must_name_the_signed_host(server, two_objects, authority):
    key = two_objects
    # GET signed for A, aimed at another authority.
    r = request(server, "GET", f"http://{authority}/{quote(key)}", [("Host", HOST_A), ("Authorization", auth("GET", BUCKET_A, key))])
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert b"B-bytes" not in r.body
    # PUT signed for A, aimed at another authority: nothing changes anywhere.
    r = request(server, "PUT", f"http://{authority}/{quote(key)}", [("Host", HOST_A), ("Authorization", auth("PUT", BUCKET_A, key))], b"evil")
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert_object(server, BUCKET_A, key, b"A-bytes")
    assert_object(server, BUCKET_B, key, b"B-bytes")


def test_absolute_form_with_the_signed_host_acts_on_that_bucket(server, two_objects):
    key = two_objects
    for authority in (HOST_A, HOST_A.upper()):
        r = request(server, "GET", f"http://{authority}/{quote(key)}", [("Host", HOST_A), ("Authorization", auth("GET", BUCKET_A, key))])
        assert r.status == 200 and r.body == b"A-bytes", r
    # No Host header: the target's authority is the host that is verified.
    r = request(server, "PUT", f"http://{HOST_A}/{quote(key)}", [("Authorization", auth("PUT", BUCKET_A, key))], b"A-new")
    assert r.status == 200, r
    assert_object(server, BUCKET_A, key, b"A-new")
    assert_object(server, BUCKET_B, key, b"B-bytes")


# 2. Duplicate Host --------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["B-then-A", "A-then-B", "A-twice"])
def test_duplicate_host_is_refused(server, two_objects, order):
    key = two_objects
    hosts = {"B-then-A": [HOST_B, HOST_A], "A-then-B": [HOST_A, HOST_B], "A-twice": [HOST_A, HOST_A]}[order]
    headers = [("Host", h) for h in hosts] + [("Authorization", auth("PUT", BUCKET_A, key))]
    r = request(server, "PUT", "/" + quote(key), headers, b"evil")
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert_object(server, BUCKET_A, key, b"A-bytes")
    assert_object(server, BUCKET_B, key, b"B-bytes")


# 3. Duplicate signed headers ----------------------------------------------------------------

def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


SIGNED_BODY, OTHER_BODY = b"the signed bytes", b"other bytes"


@pytest.mark.parametrize(
    "name,signed,other,body",
    [
        ("Content-MD5", md5_b64(SIGNED_BODY), md5_b64(OTHER_BODY), OTHER_BODY),
        ("Content-MD5", md5_b64(SIGNED_BODY), md5_b64(OTHER_BODY), SIGNED_BODY),
        ("Content-Type", "text/plain", "text/html", SIGNED_BODY),
        ("Content-Disposition", "attachment", "inline", SIGNED_BODY),
        ("x-cos-meta-owner", "alice", "mallory", SIGNED_BODY),
    ],
)
@pytest.mark.parametrize("placement", ["signed-first", "signed-last", "other-case"])
def test_duplicate_signed_header_is_refused(server, name, signed, other, body, placement):
    key = fresh("duphdr")
    a = auth("PUT", BUCKET_A, key, {name: signed})
    if placement == "signed-first":
        dup = [(name, signed), (name, other)]
    elif placement == "signed-last":
        dup = [(name, other), (name, signed)]
    else:
        dup = [(name.lower(), other), (name.upper(), signed)]
    r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", a), *dup], body)
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert_missing(server, BUCKET_A, key)
    # The same upload with the header once does exactly what was signed.
    r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", a), (name, signed)], SIGNED_BODY)
    assert r.status == 200, r
    expect = {name.lower().replace("-", "_"): signed} if not name.lower().startswith("content-md5") else {}
    assert_object(server, BUCKET_A, key, SIGNED_BODY, **expect)


def test_stored_headers_are_the_signed_ones(server):
    key = fresh("meta")
    h = {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": 'attachment; filename="a.txt"',
        "Content-Encoding": "identity",
        "Cache-Control": "max-age=60",
        "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
        "x-cos-meta-owner": "alice",
    }
    assert put(server, BUCKET_A, key, b"meta bytes", h).status == 200
    assert_object(server, BUCKET_A, key, b"meta bytes", **{n.lower().replace("-", "_"): v for n, v in h.items()})


# 4. Duplicate signed params -----------------------------------------------------------------

@pytest.mark.parametrize("extra", ["response-content-type=text%2Fhtml", "Response-Content-Type=text%2Fhtml",
                                   "response-content-type=text%2Fplain", "%72esponse-content-type=text%2Fhtml"])
def test_duplicate_signed_param_is_refused(server, extra):
    key = fresh("dupparam")
    assert put(server, BUCKET_A, key, b"<b>x</b>").status == 200
    url = SDK.get_presigned_url(Bucket=BUCKET_A, Key=key, Method="GET", Params={"response-content-type": "text/plain"})
    parts = urlsplit(url)
    # Signed as is: the override is applied.
    r = request(server, "GET", f"{parts.path}?{parts.query}", [("Host", HOST_A)])
    assert r.status == 200 and r.headers["content-type"] == "text/plain", r
    for query in (f"{parts.query}&{extra}", f"{extra}&{parts.query}"):
        r = request(server, "GET", f"{parts.path}?{query}", [("Host", HOST_A)])
        assert (r.status, r.code) == (400, "InvalidArgument"), (query, r)
        assert b"<b>" not in r.body


def test_unsigned_response_override_is_not_applied(server):
    key = fresh("unsigned-override")
    assert put(server, BUCKET_A, key, b"<b>x</b>", {"Content-Type": "text/plain"}).status == 200
    url = SDK.get_presigned_url(Bucket=BUCKET_A, Key=key, Method="GET")
    parts = urlsplit(url)
    r = request(server, "GET", f"{parts.path}?{parts.query}&response-content-type=text%2Fhtml", [("Host", HOST_A)])
    assert r.status == 200 and r.headers["content-type"] == "text/plain", r


# 5. Paths: dot segments, //, %2F, %2e, hex case ---------------------------------------------

@pytest.mark.parametrize(
    "signed_key,raw_path,stored",
    [
        ("p/q", "/p%2Fq", "p/q"),  # %2F decodes to / : the signed key
        ("p/q", "/p%2fq", "p/q"),  # lowercase hex
        ("x//y", "/x//y", "x//y"),  # // kept
        ("h\u00e9", "/h%c3%a9", "h\u00e9"),  # lowercase hex
        ("h\u00e9", "/h%C3%A9", "h\u00e9"),  # uppercase hex
        ("d/./e", "/d/./e", "d/./e"),  # a dot segment is part of the key, not resolved
        ("d/../e", "/d/%2e%2e/e", "d/../e"),  # %2e
        ("d/../e", "/d/../e", "d/../e"),
    ],
)
def test_paths_mean_the_signed_key(server, signed_key, raw_path, stored):
    a = auth("PUT", BUCKET_A, signed_key)
    body = raw_path.encode()
    r = request(server, "PUT", raw_path, [("Host", HOST_A), ("Authorization", a)], body)
    assert r.status == 200, r
    # Read back through the canonical path of the stored key.
    r = get(server, BUCKET_A, stored, raw_path="/" + quote(stored, safe="/"))
    assert r.status == 200 and r.body == body, r


@pytest.mark.parametrize(
    "signed_key,raw_path",
    [
        ("e", "/d/../e"),  # the server does not resolve dot segments into what was signed
        ("e", "/d/%2e%2e/e"),
        ("x/y", "/x//y"),
        ("pq", "/p%2Fq"),
    ],
)
def test_paths_that_differ_from_the_signed_key_are_refused(server, signed_key, raw_path):
    a = auth("PUT", BUCKET_A, signed_key)
    r = request(server, "PUT", raw_path, [("Host", HOST_A), ("Authorization", a)], b"evil")
    assert (r.status, r.code) == (403, "SignatureDoesNotMatch"), r
    r = get(server, BUCKET_A, signed_key)
    assert r.body != b"evil"


# 6. q-* fields duplicated, missing, reordered -----------------------------------------------

def fields(a):
    return [tuple(p.split("=", 1)) for p in a.split("&")]


def join(pairs):
    return "&".join(f"{n}={v}" for n, v in pairs)


@pytest.mark.parametrize("field", ["q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list", "q-url-param-list", "q-signature"])
def test_q_fields_duplicated_or_missing_in_the_header(server, field):
    key = fresh("qhdr")
    a = fields(auth("PUT", BUCKET_A, key))
    value = dict(a)[field]
    for tampered in (a + [(field, value)], [(n, v) for n, v in a if n != field]):
        r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", join(tampered))], b"evil")
        assert (r.status, r.code) == (400, "InvalidArgument"), (tampered, r)
    assert_missing(server, BUCKET_A, key)


@pytest.mark.parametrize("field", ["q-ak", "q-sign-time", "q-header-list", "q-signature"])
def test_q_fields_duplicated_or_missing_in_a_presigned_url(server, field):
    key = fresh("qurl")
    parts = urlsplit(SDK.get_presigned_url(Bucket=BUCKET_A, Key=key, Method="PUT"))
    q = fields(parts.query)
    value = dict(q)[field]
    for tampered in (q + [(field, value)], [(n, v) for n, v in q if n != field], q + [(field.upper(), value)]):
        r = request(server, "PUT", f"{parts.path}?{join(tampered)}", [("Host", HOST_A)], b"evil")
        assert (r.status, r.code) == (400, "InvalidArgument"), (tampered, r)
    assert_missing(server, BUCKET_A, key)


def test_q_fields_reordered_do_what_was_signed(server):
    key = fresh("qorder")
    a = fields(auth("PUT", BUCKET_A, key))
    r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", join(list(reversed(a))))], b"reordered")
    assert r.status == 200, r
    assert_object(server, BUCKET_A, key, b"reordered")


def test_authorization_header_and_presigned_fields_together_are_refused(server):
    key = fresh("both")
    parts = urlsplit(SDK.get_presigned_url(Bucket=BUCKET_A, Key=key, Method="PUT"))
    r = request(server, "PUT", f"{parts.path}?{parts.query}", [("Host", HOST_A), ("Authorization", auth("PUT", BUCKET_A, key))], b"x")
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert_missing(server, BUCKET_A, key)


# 7. q-sign-time differs from q-key-time ------------------------------------------------------

@pytest.mark.parametrize("which", ["q-sign-time", "q-key-time"])
def test_sign_time_and_key_time_that_differ_are_refused(server, which):
    key = fresh("times")
    a = fields(auth("PUT", BUCKET_A, key))
    start, end = dict(a)[which].split(";")
    longer = [(n, f"{start};{int(end) + 86400}" if n == which else v) for n, v in a]
    r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", join(longer))], b"evil")
    assert (r.status, r.code) == (403, "SignatureDoesNotMatch"), r
    assert_missing(server, BUCKET_A, key)


# 8. A token sent with a permanent key --------------------------------------------------------

@pytest.mark.parametrize("signed", [True, False])
def test_token_with_a_permanent_key_is_refused(server, signed):
    key = fresh("token")
    extra = {"x-cos-security-token": TEMP_TOKEN}
    a = auth("PUT", BUCKET_A, key, extra if signed else {})
    r = request(server, "PUT", "/" + quote(key), [("Host", HOST_A), ("Authorization", a), *extra.items()], b"evil")
    assert (r.status, r.code) == (403, "AccessDenied"), r
    assert_missing(server, BUCKET_A, key)


def test_token_as_header_and_param_is_refused(server):
    key = fresh("token2")
    tmp = cos_client(TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    # The SDK signs the token param when it is given in Params (it does not add it itself).
    parts = urlsplit(tmp.get_presigned_url(Bucket=BUCKET_A, Key=key, Method="PUT", Params={"x-cos-security-token": TEMP_TOKEN}))
    assert "x-cos-security-token" in parts.query
    r = request(server, "PUT", f"{parts.path}?{parts.query}", [("Host", HOST_A), ("x-cos-security-token", TEMP_TOKEN)], b"x")
    assert (r.status, r.code) == (400, "InvalidArgument"), r
    assert_missing(server, BUCKET_A, key)
    # Once: stored.
    r = request(server, "PUT", f"{parts.path}?{parts.query}", [("Host", HOST_A)], b"temp")
    assert r.status == 200, r
    assert_object(server, BUCKET_A, key, b"temp")



def log_escaped(s):
    """What the log line must hold for `s`, as Rust's `str::escape_debug` writes it, written
    independently: Python's `isprintable` and Rust's printable table agree on the characters
    the test keys use (ASCII controls, C1 controls, separators, format characters, CJK)."""
    out = []
    for c in s:
        if c in "\t\r\n\0":
            out.append({"\t": "\\t", "\r": "\\r", "\n": "\\n", "\0": "\\0"}[c])
        elif c in "\\'\"":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append("\\u{%x}" % ord(c))
    return "".join(out)


DAYS = ("Mon, ", "Tue, ", "Wed, ", "Thu, ", "Fri, ", "Sat, ", "Sun, ")


@pytest.mark.parametrize(
    "raw_path",
    [
        "/log%0A1999%20GET%20forged/line%20-%3E%20200",
        "/log%0D%0Aforged",
        "/log%1B%5B2J%1B%5B31mred",
        "/log%C2%85%E2%80%A8next%5C%22",
        "/log%E2%80%AEfdp.exe%E2%80%8B",
        "/%E9%A1%B9%E7%9B%AE%E8%B5%84%E6%96%99/r%C3%A9sum%C3%A9.txt",
    ],
)
def test_request_values_cannot_forge_log_lines(server, raw_path):
    key = unquote(raw_path[1:])
    # Unsigned (refused: the key is unverified) and signed (acted on) requests both log it.
    for headers, status in (
        ([("Host", HOST_A)], 403),
        ([("Host", HOST_A), ("Authorization", auth("GET", BUCKET_A, key))], 404),
    ):
        r = request(server, "GET", raw_path, headers)
        assert r.status == status, r
        assert f" GET {BUCKET_A}/{log_escaped(key)} -> {status} " in server.logs()
    logs = server.logs()
    for bad in ("\x1b", "\r", "\x85", "\u2028", "\u202e", "\u200b"):
        assert bad not in logs
    for line in logs.split("\n"):
        # Every line is one the server wrote: a request's (starting with the date) or its own.
        assert not line or line.startswith(DAYS) or line.startswith("cos-sign-server:"), repr(line)
