"""Many threads signing at once through shared CosConfig/CosS3Client objects get the answers a
single thread gets (which are themselves checked against the SDK)."""

import random
import threading
import time

import qcloud_cos

import cos_sign
from gen import Credential, evaluate, frozen_time, generate

NOW = 1_712_345_678.5
THREADS = 8
ROUNDS = 30


def _prepare(mod, case):
    cfg = dict(case["config"])
    if isinstance(cfg.get("CredentialInstance"), tuple):
        cfg["CredentialInstance"] = Credential(*cfg["CredentialInstance"])
    conf = mod.CosConfig(**cfg)
    for name, args in case["setup"]:
        getattr(conf, name)(*args)
    target = conf if case["call"] in ("uri", "get_host") else mod.CosS3Client(conf)
    return getattr(target, case["call"])


def _call(fn, case):
    try:
        return ("ok", fn(*case["args"], **{k: dict(v) if isinstance(v, dict) else v
                                           for k, v in case["kwargs"].items()}))
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__)


def test_concurrent_signing_is_correct():
    cases = []
    for case in generate(20240601, 600):
        case["now"] = NOW
        try:
            fn = _prepare(cos_sign, case)
        except Exception:  # noqa: BLE001 - a refused config: nothing to share
            continue
        cases.append((case, fn))
    assert len(cases) > 300
    with frozen_time(NOW):
        expected = [_call(fn, case) for case, fn in cases]
        # single-thread answers are the SDK's (or one of cos_sign's added refusals)
        sdk = [evaluate(qcloud_cos, case) for case, _ in cases]
        assert all(e == w or e == ("error", "CosRefusedError") for e, w in zip(expected, sdk))
        assert sum(e[0] == "ok" for e in expected) > 200
        errors = []
        start = threading.Barrier(THREADS)

        def worker(seed):
            rng = random.Random(seed)
            order = list(range(len(cases)))
            start.wait()
            for _ in range(ROUNDS):
                rng.shuffle(order)
                for i in order:
                    case, fn = cases[i]
                    got = _call(fn, case)
                    if got != expected[i]:
                        errors.append((i, got, expected[i]))

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[:5]


def test_concurrent_credential_rotation():
    # One thread rotates a CredentialInstance while others sign through one shared client.
    # Like the SDK, the binding reads secret_id and secret_key one after the other at each call,
    # so a rotation between the two reads can pair one id with the other key: every answer must
    # be the SDK's answer for one of the four (id, key) pairs, and both rotated pairs must show.
    ids, keys = ["AKIDone", "AKIDtwo"], ["keyone", "keytwo"]
    cred = Credential(ids[0], keys[0])
    client = cos_sign.CosS3Client(cos_sign.CosConfig(Region="ap-beijing", CredentialInstance=cred))
    with frozen_time(NOW):
        answers = {}
        for sid in ids:
            for skey in keys:
                sdk = qcloud_cos.CosS3Client(qcloud_cos.CosConfig(Region="ap-beijing", SecretId=sid, SecretKey=skey))
                answers[sdk.get_auth("PUT", "b-1", "k")] = (sid, skey)
        assert len(answers) == 4
        stop = threading.Event()
        seen, bad = set(), []

        def rotate():
            i = 0
            while not stop.is_set():
                i += 1
                cred.secret_id, cred.secret_key = ids[i % 2], keys[i % 2]

        both = {(ids[0], keys[0]), (ids[1], keys[1])}
        deadline = time.monotonic() + 20

        def sign():
            # at least 3000 calls, then on until both rotated pairs were seen (the rotation
            # runs only when the GIL switches, so fast calls may need more than 3000)
            n = 0
            while n < 3000 or ({answers.get(a) for a in seen.copy()} < both and time.monotonic() < deadline):
                n += 1
                a = client.get_auth("PUT", "b-1", "k")
                seen.add(a)
                if a not in answers:
                    bad.append(a)

        r = threading.Thread(target=rotate)
        r.start()
        signers = [threading.Thread(target=sign) for _ in range(4)]
        for t in signers:
            t.start()
        for t in signers:
            t.join()
        stop.set()
        r.join()
    assert not bad
    assert {answers[a] for a in seen} >= {(ids[0], keys[0]), (ids[1], keys[1])}


def test_config_changes_while_signing():
    # set_ip_port from one thread while others sign through the same config: every answer is
    # the SDK's for one of the two settings, never a mix and never an error.
    conf = cos_sign.CosConfig(Region="ap-beijing", SecretId="AKIDip", SecretKey="ipkey")
    client = cos_sign.CosS3Client(conf)
    with frozen_time(NOW):
        answers = set()
        for ip, port in (("10.0.0.1", 80), ("10.0.0.2", 8080)):
            sdk_conf = qcloud_cos.CosConfig(Region="ap-beijing", SecretId="AKIDip", SecretKey="ipkey")
            sdk_conf.set_ip_port(ip, port)
            answers.add(qcloud_cos.CosS3Client(sdk_conf).get_presigned_url("b-1", "k", "GET"))
        stop = threading.Event()
        bad, seen = [], set()

        def flip():
            i = 0
            while not stop.is_set():
                i += 1
                conf.set_ip_port(*(("10.0.0.1", 80), ("10.0.0.2", 8080))[i % 2])

        deadline = time.monotonic() + 20

        def sign():
            # at least 3000 calls, then on until both settings were seen (see above)
            n = 0
            while n < 3000 or (seen.copy() != answers and time.monotonic() < deadline):
                n += 1
                u = client.get_presigned_url("b-1", "k", "GET")
                seen.add(u)
                if u not in answers:
                    bad.append(u)

        f = threading.Thread(target=flip)
        f.start()
        signers = [threading.Thread(target=sign) for _ in range(4)]
        for t in signers:
            t.start()
        for t in signers:
            t.join()
        stop.set()
        f.join()
    assert not bad
    assert seen == answers
