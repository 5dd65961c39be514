"""Generates tests/data/quirks.json: calls of the official SDK (qcloud_cos 1.9.44, the oracle)
aimed at the corners the 600 shared vectors do not reach: anonymous configs, secret ids with
'&'/'=', Unicode methods and header names, bracketed / NFKC hosts (ValueError), CI endpoints,
SignParams=False, keys None or starting with '/', negative expiries, uri() overrides, get_host
with Appid, and inputs this crate refuses on purpose (marked "refused_by_crate").

Run with the project venv:  .venv/bin/python crates/cos-sign-qcloud/tests/gen_quirks.py [SEED N OUT]
(defaults: the seed and size of the committed file, written to tests/data/quirks.json).
"""

import json
import random
import sys
from pathlib import Path
from unittest import mock

from qcloud_cos import CosConfig, CosS3Client

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 20261128
N = int(sys.argv[2]) if len(sys.argv) > 2 else 500
OUT = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(__file__).parent / "data" / "quirks.json"

rng = random.Random(SEED)

SECRET_IDS = ["AKIDplain", "AKID&x", "AKID=x", "AKID&q-signature=zz", "AKID&&x", "AKID&a=b&c=d", "AKIDü中", "AKID x"]
METHODS = ["GET", "put", "İNFO", "ΣΑΣ", "ǅel", "\u212aey", "Post", "head"]
HEADER_NAMES = ["X-COS-Meta-Ä", "x-ci-İ", "HOST", "Host", "host", "Content-Type", "Date", "X-Cos-ΣΑΣ",
                "\u212a-bad", "if-match", "x-cos-a/b", "Range", "x-cos-security-token"]
PARAM_NAMES = ["a", "A", "a b", "ü", "x-cos-security-token", "acl", "%41", "k=v", "a&b", ""]
VALUES = ["", "v", "ü v", "a&b=c", "%2F", "+", "10"]
KEYS = [None, "k", "/k", "//k", "./a", "a/./b", "\u00e9", "k?x#y", "a+b"]
BUCKETS = [None, "b", "b-125", "EXAMPLE-1250000000"]


def host_config():
    kind = rng.randrange(9)
    if kind == 0:
        return {"Domain": rng.choice(["[x", "x]", "[::1]", "[1.2.3.4]", "[v1.x]", "[vz]", "a\u00e9.example.com",
                                      "EXAMPLE.com:80", "[::1]:8080", "[fe80::1%25eth0]"])}, False
    if kind == 1:
        return {"Region": "ap-beijing", "IP": rng.choice(["::1", "127.0.0.1", "[::1]", "Example.Host"]),
                "Port": rng.choice([None, 80, 8080])}, False
    if kind == 2:
        return {"Domain": rng.choice(["a\uff0fb.com", "a\u2100b.com", "a\uff20b.com"])}, True
    if kind == 3:
        return {"Region": "ap-beijing", "Appid": rng.choice(["125", "1@evil.com"])}, None
    if kind == 4:
        return {"Region": rng.choice(["cosgz", "ap-beijing", "cos.ap-shanghai", "cn-south"]),
                "EndpointCi": rng.choice([None, "ci.example.com"])}, False
    if kind == 5:
        return {"Endpoint": rng.choice(["Example.COM", "cos.ap-beijing.myqcloud.com:8443"])}, False
    if kind == 6:
        return {"Region": rng.choice(["ap-beijing\n", "ap-beijing"]), "EnableOldDomain": rng.choice([True, False])}, None
    return {"Region": "ap-guangzhou"}, False


def pairs(names):
    d = {}
    for _ in range(rng.randrange(4)):
        d[rng.choice(names)] = rng.choice(VALUES)
    return d


def case(i):
    config, refused = host_config()
    if config.get("Appid") == "1@evil.com" or config.get("Region") == "ap-beijing\n":
        refused = True
    if rng.random() < 0.12:
        config["Anonymous"] = True
    else:
        config["SecretId"] = rng.choice(SECRET_IDS)
        config["SecretKey"] = "secretkey"
    for k in ("SignHost", "SignParams"):
        if rng.random() < 0.2:
            config[k] = rng.choice([True, False])
    call = rng.choice(["get_auth", "get_presigned_url", "get_presigned_download_url", "get_object_url", "uri", "get_host"])
    kwargs = {}
    if call in ("get_auth", "get_presigned_url", "get_presigned_download_url"):
        kwargs = {"Bucket": rng.choice(BUCKETS), "Key": rng.choice(KEYS), "Expired": rng.choice([300, -100, 0, 7])}
        if call != "get_presigned_download_url":
            kwargs["Method"] = rng.choice(METHODS)
        kwargs["Headers"] = pairs(HEADER_NAMES)
        kwargs["Params"] = pairs(PARAM_NAMES)
        if rng.random() < 0.3:
            kwargs["SignHost"] = rng.choice([True, False])
        if rng.random() < 0.3:
            kwargs["UseCiEndPoint"] = True
    elif call == "get_object_url":
        kwargs = {"Bucket": rng.choice(BUCKETS), "Key": rng.choice(KEYS)}
    elif call == "uri":
        kwargs = {"bucket": rng.choice(BUCKETS), "path": rng.choice(KEYS)}
        if rng.random() < 0.3:
            kwargs["endpoint"] = rng.choice(["ep.example.com", "cos.ap-beijing.myqcloud.com"])
        if rng.random() < 0.2:
            kwargs["domain"] = rng.choice(["d.example.com", "D.Example.com:81"])
    else:
        kwargs = {"Bucket": rng.choice(BUCKETS)}
        if rng.random() < 0.5:
            kwargs["Appid"] = rng.choice(["125", "999"])
    now = rng.randrange(1_500_000_000, 1_900_000_000)
    out = {"id": "q%04d" % i, "config": config, "call": call, "kwargs": kwargs, "now": now}
    if refused is not None:
        out["refused_by_crate"] = refused
    try:
        with mock.patch("time.time", return_value=now + 0.5):
            conf = CosConfig(**config)
            if call in ("uri", "get_host"):
                out["ok"] = getattr(conf, call)(**kwargs)
            else:
                out["ok"] = getattr(CosS3Client(conf), call)(**kwargs)
    except Exception as e:  # the class is the answer
        out.pop("ok", None)
        out["error"] = type(e).__name__
    return out


class Inst:
    """A CredentialInstance stand-in: the SDK reads its attributes at every call."""

    def __init__(self, secret_id, secret_key, token=None):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token


def encode_inst(inst):
    key = inst.secret_key
    kind = "bytes" if isinstance(key, bytes) else ("str" if isinstance(key, str) else type(key).__name__)
    value = key.decode("latin-1") if isinstance(key, bytes) else (key if isinstance(key, str) else None)
    return {"secret_id": str(inst.secret_id), "secret_key": value, "secret_key_type": kind}


def run_steps(config, steps, inst=None):
    """Runs steps on one config; each step records ok or the exception class."""
    out_steps = []
    try:
        kw = dict(config)
        if inst is not None:
            kw["CredentialInstance"] = inst
        conf = CosConfig(**kw)
        client = CosS3Client(conf)
        created = None
    except Exception as e:
        created = type(e).__name__
    for call, kwargs in steps:
        step = {"call": call, "kwargs": kwargs}
        if created:
            step["error"] = created
        else:
            try:
                with mock.patch("time.time", return_value=1_700_000_000.25):
                    if call in ("set_credential", "set_ip_port", "uri", "get_host"):
                        step["ok"] = getattr(conf, call)(**kwargs)
                    else:
                        step["ok"] = getattr(client, call)(**kwargs)
            except Exception as e:
                step["error"] = type(e).__name__
        out_steps.append(step)
    return out_steps


def scenarios():
    base = {"Region": "ap-beijing", "SecretId": "AKIDbase", "SecretKey": "basekey"}
    auth = ("get_auth", {"Method": "GET", "Bucket": "b-125", "Key": "k"})
    presign = ("get_presigned_url", {"Bucket": "b-125", "Key": "k", "Method": "PUT", "Params": {"x-cos-security-token": "t"}})
    out = []
    def add(config, steps, inst=None):
        sc = {"id": "s%02d" % len(out), "config": config, "now": 1_700_000_000, "steps": run_steps(config, steps, inst)}
        if inst is not None:
            sc["instance"] = encode_inst(inst)
        out.append(sc)
    add(base, [("set_credential", {"SecretId": "AKIDnew", "SecretKey": "newkey"}), auth, presign])
    add(base, [("set_credential", {"SecretId": "AKIDnew", "SecretKey": "newkey", "Token": "tok"}), auth, presign])
    add(base, [("set_credential", {"SecretId": " AKIDnew", "SecretKey": "newkey", "Token": "tok"}), auth])
    add(base, [("set_credential", {"SecretId": "AKIDnew", "SecretKey": "newkey ", "Token": "tok"}), auth])
    add(base, [("set_credential", {"SecretId": "AKIDnew", "SecretKey": "newkey", "Token": " tok"}), auth])
    add(base, [("set_credential", {"SecretId": "", "SecretKey": "", "Token": ""}), auth, presign])
    add(base, [("set_credential", {"SecretId": "AKIDnew", "SecretKey": "", "Token": ""}), auth])
    add({"Region": "ap-beijing", "Anonymous": True}, [auth, presign, ("set_credential", {"SecretId": "a", "SecretKey": "b", "Token": "t"}), auth, presign])
    add({"Region": "ap-beijing"}, [auth])
    add(base, [("set_ip_port", {"IP": "127.0.0.1", "Port": 8080}), auth, presign, ("get_object_url", {"Bucket": "b-125", "Key": "k"}),
               ("set_ip_port", {"IP": None}), presign])
    add({"Region": "ap-beijing", "Secret_id": "AKIDalias", "Secret_key": "aliaskey"}, [auth, presign])
    add({"Region": "ap-beijing", "Access_id": "AKIDaccess", "Access_key": "accesskey"}, [auth])
    add({"Region": "ap-beijing", "Access_id": "AKIDaccess", "Access_key": " accesskey"}, [auth])
    add({"Region": "ap-beijing", "SecretId": "AKIDx", "SecretKey": "", "Secret_id": "AKIDalias", "Secret_key": "aliaskey"}, [auth])
    add({"Region": "ap-beijing"}, [auth, presign], Inst("AKIDinst", "instkey", "tok"))
    add({"Region": "ap-beijing"}, [auth, presign], Inst("AKIDinst", b"inst\xffkey", "tok"))
    add({"Region": "ap-beijing"}, [auth], Inst("AKIDinst", 12345, "tok"))
    add({"Region": "ap-beijing"}, [auth], Inst(None, "instkey", "tok"))
    add({"Region": "ap-beijing"}, [auth], Inst("AKIDinst", None, "tok"))
    add({"Region": "ap-beijing"}, [("set_credential", {"SecretId": "AKIDset", "SecretKey": "setkey", "Token": "t"}), auth], Inst("AKIDinst", "instkey", "tok"))
    add({"Region": "ap-beijing"}, [("set_credential", {"SecretId": "AKIDset", "SecretKey": "", "Token": "t"}), auth], Inst("AKIDinst", "instkey", "tok"))
    return out


def main():
    cases = [case(i) for i in range(N)]
    data = {
        "about": "Generated by tests/gen_quirks.py (seed %d) from the live qcloud_cos; ok is what the call "
                 "returned, error the exception class; refused_by_crate marks inputs cos-sign-std refuses on "
                 "purpose (CosClientError expected whatever the SDK did); scenarios are sequences of calls on one config "
                 "(set_credential, set_ip_port, CredentialInstance stand-ins)." % SEED,
        "sdk": "cos-python-sdk-v5==1.9.44",
        "cases": cases,
        "scenarios": scenarios(),
    }
    path = OUT
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    kinds = {}
    for c in cases:
        k = c.get("error", "ok")
        kinds[k] = kinds.get(k, 0) + 1
    print(path, kinds, file=sys.stderr)


if __name__ == "__main__":
    main()
