"""The official browser SDK (cos-js-sdk-v5, pinned in tests/browser-sdk/package-lock.json) in a
real headless Chromium, cross-origin: the page is served from one loopback origin
(http://127.0.0.1:<page port>) and talks to the local server at
http://<bucket>.cos.localhost:<server port> (Chromium resolves *.localhost to loopback), so
every call is a real CORS request, with a real preflight for all but the simplest.

The page gets each signature as real apps do, from a signing endpoint of its own origin
(`/sign`, here in the test) that computes it with the project's Python binding `cos_sign`. No key reaches the page or any command line of this test's Chromium.

Every expected value comes from what the test or the page sent; what the server stored is
read back with the official Python SDK, not taken from the page's report."""

import hashlib
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading
import urllib.parse

import pytest

from server_helpers import BUCKET, PERM_ID, PERM_KEY, REGION, ROOT, ip_client

# The project's binding signs for the page (scripts/test.sh installs the wheel first).
from cos_sign import CosConfig, CosS3Client

SDK_DIR = ROOT / "tests" / "browser-sdk"
SDK_JS = SDK_DIR / "node_modules" / "cos-js-sdk-v5" / "dist" / "cos-js-sdk-v5.min.js"
NO_CORS_BUCKET = "nocorsbucket-1250000000"
MULTIPART_BYTES = 5 * 1024 * 1024 + 12345
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pattern(n):
    """The multipart body the page builds: byte i is (i * 31 + i // 4099) % 251."""
    return bytes((i * 31 + i // 4099) % 251 for i in range(n))


@pytest.fixture(scope="session")
def sdk_js():
    """The SDK's browser build, installed from the lock file if missing (no install scripts)."""
    if not SDK_JS.exists():
        npm = shutil.which("npm")
        assert npm, "npm is required (apt-get install npm)"
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True
        )
    return SDK_JS.read_bytes()


def signer():
    conf = CosConfig(Region=REGION, SecretId=PERM_ID, SecretKey=PERM_KEY, Scheme="http")
    return CosS3Client(conf)


class Page:
    """A loopback HTTP server for the page: `/` the test page, `/cos.js` the SDK, `/sign`
    the signing endpoint, `/result` where the page posts what it saw."""

    def __init__(self, html, sdk, cos_port):
        self.result = None
        self.done = threading.Event()
        self.signed = 0
        page = self
        client = signer()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/":
                    self.reply(200, html.encode(), "text/html; charset=utf-8")
                elif self.path == "/cos.js":
                    self.reply(200, sdk, "application/javascript")
                else:
                    self.reply(404, b"", "text/plain")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/sign":
                    # The SDK's getAuthorization options: sign exactly what it will send,
                    # with the Host the browser will send (the bucket's local name and port).
                    headers = {
                        k: str(v) for k, v in (body.get("Headers") or {}).items()
                        if k.lower() != "host"
                    }
                    headers["Host"] = f"{body['Bucket']}.cos.localhost:{cos_port}"
                    params = {k: str(v) for k, v in (body.get("Query") or {}).items()}
                    auth = client.get_auth(
                        Method=body["Method"],
                        Bucket=body["Bucket"],
                        Key=body["Pathname"],
                        Expired=600,
                        Headers=headers,
                        Params=params,
                    )
                    page.signed += 1
                    self.reply(200, json.dumps({"Authorization": auth}).encode(), "application/json")
                elif self.path == "/result":
                    page.result = body
                    page.done.set()
                    self.reply(204, b"", "text/plain")
                else:
                    self.reply(404, b"", "text/plain")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_page(script, server, sdk, timeout=180):
    """Opens a page that loads the SDK and runs `script` (an async function body whose
    return value is posted back); the page's report."""
    html = f"""<!doctype html><html><head><meta charset="utf-8"><script src="/cos.js"></script></head>
<body><script>
const SERVER_PORT = {server.port};
const BUCKET = {json.dumps(BUCKET)};
const NO_CORS_BUCKET = {json.dumps(NO_CORS_BUCKET)};
const REGION = {json.dumps(REGION)};
const cos = new COS({{
  Protocol: 'http:',
  Domain: '{{Bucket}}.cos.localhost:' + SERVER_PORT,
  SliceSize: 1024 * 1024,
  ChunkSize: 1024 * 1024,
  getAuthorization: function (options, callback) {{
    fetch('/sign', {{method: 'POST', body: JSON.stringify(options)}})
      .then((r) => r.json()).then(callback)
      .catch((e) => callback({{Authorization: 'failed ' + e}}));
  }},
}});
const call = (name, params) => new Promise((resolve) => {{
  cos[name](Object.assign({{Bucket: BUCKET, Region: REGION}}, params), (err, data) => {{
    resolve(err ? {{err: {{statusCode: err.statusCode || 0,
      code: err.code || (err.error && err.error.Code) || '', message: String(err.message || '')}}}}
      : {{data}});
  }});
}});
(async () => {{
  let out;
  try {{ out = await (async () => {{ {script} }})(); }}
  catch (e) {{ out = {{exception: String(e && e.stack || e)}}; }}
  await fetch('/result', {{method: 'POST', body: JSON.stringify(out)}});
}})();
</script></body></html>"""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is required (apt-get install chromium)"
    page = Page(html, sdk, server.port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.Popen(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile",
                 f"{page.origin}/"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                got = page.done.wait(timeout)
            finally:
                proc.terminate()
                try:
                    _, err = proc.communicate(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
            assert got, f"the page reported nothing: {err[-3000:]} {server.logs()[-3000:]}"
    finally:
        page.close()
    assert "exception" not in page.result, page.result
    return page, page.result


@pytest.fixture
def cors_rules(server, client):
    """The bucket's CORS rules, put with the official Python SDK, for one page origin: any."""

    def put(origin):
        client.put_bucket_cors(
            Bucket=BUCKET,
            CORSConfiguration={
                "CORSRule": [{
                    "ID": "browser-test",
                    "AllowedOrigin": [origin],
                    "AllowedMethod": ["GET", "PUT", "POST", "DELETE", "HEAD"],
                    "AllowedHeader": ["*"],
                    "ExposeHeader": ["ETag", "Content-Length", "x-cos-request-id", "x-cos-meta-*"],
                    "MaxAgeSeconds": "60",
                }]
            },
        )
        rules = client.get_bucket_cors(Bucket=BUCKET)["CORSRule"]
        assert rules[0]["AllowedOrigin"] == origin or rules[0]["AllowedOrigin"] == [origin]

    yield put
    client.delete_bucket_cors(Bucket=BUCKET)


def test_official_browser_sdk_talks_cross_origin(server, client, sdk_js, cors_rules):
    # The page's origin is only known once its server runs: put the rule for any
    # 127.0.0.1 port, as `http://127.0.0.1:*`, COS's wildcard.
    cors_rules("http://127.0.0.1:*")
    key = "browser sdk/目录/hello 世界 (1).txt"
    text = "hello from the official browser SDK, 腾讯云\n" * 50
    script = f"""
const key = {json.dumps(key)};
const text = {json.dumps(text)};
const r = {{}};
r.put = await call('putObject', {{Key: key, Body: text, ContentType: 'text/plain; charset=utf-8',
  Headers: {{'x-cos-meta-author': 'page'}}}});
r.get = await call('getObject', {{Key: key}});
r.head = await call('headObject', {{Key: key}});
r.missing = await call('getObject', {{Key: 'browser sdk/no such key'}});
const n = {MULTIPART_BYTES};
const big = new Uint8Array(n);
for (let i = 0; i < n; i++) big[i] = (i * 31 + Math.floor(i / 4099)) % 251;
r.multipart = await call('sliceUploadFile', {{Key: 'browser sdk/big.bin',
  Body: new Blob([big]), ChunkSize: 1024 * 1024}});
r.doomed = await call('putObject', {{Key: 'browser sdk/delete me.txt', Body: 'bye'}});
r.delete = await call('deleteObject', {{Key: 'browser sdk/delete me.txt'}});
r.list = await call('getBucket', {{Prefix: 'browser sdk/'}});
return r;
"""
    page, r = run_page(script, server, sdk_js)
    assert page.signed >= 8, page.signed

    # putObject: the ETag the page read (exposed) is the MD5 of what it sent.
    md5 = hashlib.md5(text.encode()).hexdigest()
    assert "data" in r["put"], r["put"]
    assert r["put"]["data"]["ETag"] == f'"{md5}"', r["put"]
    stored = client.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].get_raw_stream().read() == text.encode()
    assert stored["x-cos-meta-author"] == "page"
    assert stored["Content-Type"] == "text/plain; charset=utf-8"
    # getObject: the page read the body.
    assert r["get"]["data"]["Body"] == text, r["get"]
    # headObject: exposed headers (ETag, x-cos-meta-*) readable by the page.
    head = r["head"]["data"]["headers"]
    assert head["etag"] == f'"{md5}"', head
    assert head["x-cos-meta-author"] == "page", head
    # An error the page can read: COS's code and status.
    assert r["missing"]["err"]["statusCode"] == 404, r["missing"]
    assert r["missing"]["err"]["code"] == "NoSuchKey", r["missing"]
    # sliceUploadFile: a multipart upload (each part's ETag exposed), stored whole.
    assert "data" in r["multipart"], r["multipart"]
    big = pattern(MULTIPART_BYTES)
    got = client.get_object(Bucket=BUCKET, Key="browser sdk/big.bin")
    assert got["Body"].get_raw_stream().read() == big
    parts = [hashlib.md5(big[i:i + 1024 * 1024]).digest() for i in range(0, len(big), 1024 * 1024)]
    assert got["ETag"] == f'"{hashlib.md5(b"".join(parts)).hexdigest()}-{len(parts)}"'
    assert r["multipart"]["data"]["ETag"] == got["ETag"]
    # deleteObject: gone from the server.
    assert "data" in r["doomed"] and "data" in r["delete"], (r["doomed"], r["delete"])
    assert client.object_exists(Bucket=BUCKET, Key="browser sdk/delete me.txt") is False
    # getBucket: the page's listing is the server's.
    listed = sorted(c["Key"] for c in r["list"]["data"]["Contents"])
    assert listed == ["browser sdk/big.bin", key]
    server_keys = sorted(
        c["Key"] for c in client.list_objects(Bucket=BUCKET, Prefix="browser sdk/")["Contents"]
    )
    assert listed == server_keys


def test_no_matching_rule_fails_in_the_browser_and_stores_nothing(server, client, sdk_js, cors_rules):
    # The default bucket allows another origin only; the other bucket has no rules at all.
    cors_rules("http://127.0.0.1:1")
    script = """
const r = {};
r.mismatch = await call('putObject', {Key: 'browser sdk/refused.txt', Body: 'no'});
r.norules = await call('putObject', {Bucket: NO_CORS_BUCKET, Key: 'refused.txt', Body: 'no'});
r.get = await call('getObject', {Bucket: NO_CORS_BUCKET, Key: 'refused.txt'});
return r;
"""
    _, r = run_page(script, server, sdk_js)
    for name in ("mismatch", "norules", "get"):
        assert "err" in r[name], (name, r[name])
        # A CORS failure: the browser gives the page no status at all.
        assert r[name]["err"]["statusCode"] == 0, (name, r[name])
    assert client.object_exists(Bucket=BUCKET, Key="browser sdk/refused.txt") is False
    other = ip_client(server)
    assert "Contents" not in other.list_objects(Bucket=NO_CORS_BUCKET) or not other.list_objects(
        Bucket=NO_CORS_BUCKET
    )["Contents"]
    # The server saw the preflights and refused them (403); no PUT reached it.
    logs = server.logs()
    assert f"OPTIONS {NO_CORS_BUCKET}/refused.txt -> 403 AccessForbidden" in logs, logs[-3000:]
    assert f"OPTIONS {BUCKET}/browser sdk/refused.txt -> 403 AccessForbidden" in logs
    assert f"PUT {NO_CORS_BUCKET}/refused.txt" not in logs


def test_fetch_puts_a_presigned_url_made_by_the_python_binding(server, client, sdk_js, cors_rules):
    cors_rules("http://127.0.0.1:*")
    key = "browser sdk/presigned 文件.txt"
    host = f"{BUCKET}.cos.localhost:{server.port}"
    url = signer().get_presigned_url(
        Bucket=BUCKET, Key=key, Method="PUT", Expired=600, Headers={"Host": host}
    )
    parts = urllib.parse.urlsplit(url)
    local = urllib.parse.urlunsplit(("http", host, parts.path, parts.query, ""))
    body = "put by fetch() with a URL pre-signed by cos_sign"
    script = f"""
const resp = await fetch({json.dumps(local)}, {{method: 'PUT', body: {json.dumps(body)},
  headers: {{'Content-Type': 'text/plain'}}}});
return {{status: resp.status, etag: resp.headers.get('ETag'), text: await resp.text()}};
"""
    _, r = run_page(script, server, sdk_js)
    md5 = hashlib.md5(body.encode()).hexdigest()
    assert r == {"status": 200, "etag": f'"{md5}"', "text": ""}, r
    stored = client.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].get_raw_stream().read() == body.encode()
