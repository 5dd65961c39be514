"""Differential test: generated adversarial calls (gen.py) evaluated by the live qcloud_cos
(cos-python-sdk-v5 1.9.44) and by cos_sign must give the same strings and the same exception
classes. The seed comes from COS_SIGN_SEED (else a random one) and is printed; the number of
calls from COS_SIGN_DIFF_N (default 5000)."""

import os
import random

import qcloud_cos
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cos_sign
from gen import ALLOWED, Credential, evaluate, frozen_time, generate

N = int(os.environ.get("COS_SIGN_DIFF_N", "5000"))
SEED = int(os.environ["COS_SIGN_SEED"])  # set by conftest.py when not given


def _same(a, b):
    return a == b and type(a[1]) is type(b[1])  # equal strings, classes and dict arguments after


# What the core's signing errors say (cos_sign_core::Error): for a call the SDK signs, no
# refusal on purpose, but a bug in cos_sign (a template given another shape's values, a
# buffer it sized itself).
_NOT_REFUSALS = ("the template takes", "output buffer too small")


def _refused(got):
    # cos_sign.CosRefusedError (a CosClientError): a value qcloud_cos lets through although it
    # changes or breaks the request host, see cos_sign.CosRefusedError. Its message names the
    # refused value; test_refusals.py pins each kind down against the SDK's answer.
    return got[:2] == ("error", "CosRefusedError")


# Calls a random seed once found to differ, kept so that they are checked on every run:
# which error the SDK raises first when several values are bad.
PINNED = [
    # A Host header whose value is not encodable, and a domain urlsplit refuses: the SDK sees
    # the Host name (so it takes no host from the URL) and fails on the value
    # (CosClientError); cos_sign split the URL (ValueError) before (seed 2826321523).
    {"config": {"SecretId": "AKIDpinned", "SecretKey": "pinnedkey", "Domain": "a]b",
                "Region": "ap-guangzhou", "Token": b"bytes-token"},
     "call": "get_auth", "args": ["PUT", "my-bucket", "k"],
     "kwargs": {"Headers": {"HOST": "h\udc80", "X-Cos-Meta-Name": b"",
                            "content-type": "t"}, "SignHost": 1},
     "now": 1632063560.999999},
    # The same with the host last, and with a header before it failing too.
    {"config": {"SecretId": "AKIDpinned", "SecretKey": "pinnedkey", "Domain": "[x"},
     "call": "get_presigned_url", "args": [],
     "kwargs": {"Bucket": "b-125", "Key": "k", "Method": "GET",
                "Headers": {"x-cos-meta-a": "\udc80", "Host": "\udc81"}},
     "now": 1_700_000_000},
    # A value that fails in a header that is not the host: the URL's host is split first.
    {"config": {"SecretId": "AKIDpinned", "SecretKey": "pinnedkey", "Domain": "a]b"},
     "call": "get_auth", "args": ["GET", "b-125", "k"],
     "kwargs": {"Headers": {"x-cos-meta-a": "\udc80"}},
     "now": 1_700_000_000},
]


def test_pinned_calls_match_the_sdk():
    for case in PINNED:
        want = evaluate(qcloud_cos, case, effects=True)
        got = evaluate(cos_sign, case, effects=True)
        assert want[0] == "error", want
        assert _same(want, got), f"{case!r}\n  sdk:      {want!r}\n  cos_sign: {got!r}"


def test_generated_calls_match_the_sdk():
    print(f"differential: seed={SEED} calls={N} (rerun with COS_SIGN_SEED={SEED})")
    cases = generate(SEED, N)
    mismatches = []
    oks = refused = effects = 0
    for i, case in enumerate(cases):
        want = evaluate(qcloud_cos, case, effects=True)
        got = evaluate(cos_sign, case, effects=True)
        oks += want[0] == "ok"
        effects += want[2] != [dict(a) for a in case.get("args", ()) + list(case["kwargs"].values())
                               if isinstance(a, dict)]
        if _refused(got):
            refused += 1
        elif not _same(want, got):
            mismatches.append((i, case, want, got))
    print(f"differential: {N - len(mismatches) - refused}/{N} equal ({oks} successful SDK calls), "
          f"{refused} refused by cos_sign only, {len(mismatches)} different; "
          f"{effects} calls changed a dict argument")
    report = "\n".join(f"#{i} {case!r}\n  sdk:      {want!r}\n  cos_sign: {got!r}"
                       for i, case, want, got in mismatches[:10])
    assert not mismatches, (f"seed={SEED}: {len(mismatches)} of {N} calls differ "
                            f"(rerun with COS_SIGN_SEED={SEED}):\n{report}")
    # The generator must exercise both outcomes, or the comparison proves little.
    assert oks > N // 3 and N - oks > N // 10
    # the added refusals stay the exception (the generator makes host-breaking values often)
    assert refused < N // 6


ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates included
TEXT = st.text(ANY_CHAR, max_size=12)
HEADER_NAME = st.one_of(st.sampled_from(ALLOWED), st.builds(lambda s: "x-cos-" + s, TEXT),
                        st.builds(lambda s: "X-Ci-" + s, TEXT), TEXT)
VALUE = st.one_of(TEXT, st.integers(), st.none(), st.booleans(), st.binary(max_size=6).filter(
    lambda b: _decodes(b)))


def _decodes(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _both(call, cfg, args, kwargs, now):
    case = {"config": cfg, "call": call, "args": args, "kwargs": kwargs, "now": now}
    return evaluate(qcloud_cos, case), evaluate(cos_sign, case)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=TEXT, method=TEXT, headers=st.dictionaries(HEADER_NAME, VALUE, max_size=5),
       params=st.dictionaries(TEXT, VALUE, max_size=5), sign_host=st.sampled_from([None, True, False]),
       now=st.integers(1_000_000_000, 2_000_000_000), expired=st.integers(-10 ** 6, 10 ** 9))
def test_free_form_strings_match_the_sdk(key, method, headers, params, sign_host, now, expired):
    cfg = {"SecretId": "AKIDfreeform", "SecretKey": "freeformkey", "Region": "ap-beijing"}
    for call, args in (("get_auth", [method, "bucket-1250000000", key, expired, headers, params, sign_host]),
                       ("get_presigned_url", ["bucket-1250000000", key, method, expired, params, headers, False,
                                              sign_host])):
        want, got = _both(call, cfg, args, {}, now)
        assert _same(want, got), (call, args, want, got)


def test_frozen_time_is_read_through_time_time():
    # The binding reads time.time() at each call, like the SDK: patching it moves the window.
    conf = cos_sign.CosConfig(Region="ap-beijing", SecretId="AKIDx", SecretKey="k")
    client = cos_sign.CosS3Client(conf)
    with frozen_time(1_700_000_000.9):
        a = client.get_auth("GET", "b-1", "k")
    with frozen_time(1_700_000_100):
        b = client.get_auth("GET", "b-1", "k")
    assert "q-sign-time=1699999940;1700000300&" in a
    assert "q-sign-time=1700000040;1700000400&" in b


SIGNING = ("get_auth", "get_presigned_url", "get_presigned_download_url")


def _client(mod, cfg):
    cfg = dict(cfg)
    if isinstance(cfg.get("CredentialInstance"), tuple):
        cfg["CredentialInstance"] = Credential(*cfg["CredentialInstance"])
    return mod.CosS3Client(mod.CosConfig(**cfg))


def _call(client, case, args, kwargs):
    with frozen_time(case["now"]):
        try:
            return ("ok", getattr(client, case["call"])(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - the class is the result
            # a refusal is one of its kinds, never a signing error passed on as one
            assert not (type(e).__name__ == "CosRefusedError"
                        and any(s in str(e) for s in _NOT_REFUSALS)), f"{case['call']}: {e}"
            return ("error", type(e).__name__)


def test_repeated_shapes_match_the_sdk():
    """One client of each library signs each generated call five times in a row, the values of
    its Headers and Params redrawn each time, and on the second and fourth time without each
    dict's last name: two shapes (names in order) taking turns, which cos_sign signs through
    the templates it caches from the second call of each on. Each call gives the SDK's string
    or exception class, and leaves the dicts as the SDK's does."""
    rng = random.Random(SEED)
    cases = [c for c in generate(SEED + 1, 2000) if c["call"] in SIGNING and not c["setup"]]
    pool = [v for c in cases for a in c["args"] + list(c["kwargs"].values()) if isinstance(a, dict)
            for v in a.values()]
    calls = oks = repeated = 0
    mismatches = []
    for i, case in enumerate(cases[:1000]):
        try:
            with frozen_time(case["now"]):
                clients = [_client(qcloud_cos, case["config"]), _client(cos_sign, case["config"])]
        except Exception:  # noqa: BLE001 - a config both refuse is the main test's
            continue
        first_ok = None
        for round_ in range(5):
            def redraw(a):
                if not isinstance(a, dict) or not round_:
                    return a
                # odd rounds drop each dict's last name: two shapes taking turns
                names = list(a)[:-1] if round_ % 2 else list(a)
                return {k: rng.choice(pool) for k in names}
            args = [redraw(a) for a in case["args"]]
            kwargs = {k: redraw(v) for k, v in case["kwargs"].items()}
            results = []
            for client in clients:
                a = [dict(x) if isinstance(x, dict) else x for x in args]
                kw = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
                passed = a + list(kw.values())
                results.append(_call(client, case, a, kw) + ([x for x in passed if isinstance(x, dict)],))
            want, got = results
            calls += 1
            oks += want[0] == "ok"
            first_ok = want[0] == "ok" if first_ok is None else first_ok
            repeated += round_ > 1 and first_ok and want[0] == "ok"
            if not _refused(got) and not _same(want, got):
                mismatches.append((i, round_, case, args, kwargs, want, got))
    print(f"repeated shapes: {calls} calls, {oks} successful SDK calls ({repeated} repeats of a "
          f"signed shape), {len(mismatches)} different")
    report = "\n".join(f"#{i}.{r} {case['call']} {args!r} {kwargs!r}\n  sdk:      {want!r}\n  cos_sign: {got!r}"
                       for i, r, case, args, kwargs, want, got in mismatches[:10])
    assert not mismatches, f"seed={SEED}: {len(mismatches)} of {calls} differ:\n{report}"
    assert repeated > calls // 5, (repeated, calls)
