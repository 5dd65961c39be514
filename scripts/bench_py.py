#!/usr/bin/env python3
"""Times cos_sign against qcloud_cos (cos-python-sdk-v5 1.9.44) on the three cases of
tests/py/binding/data/bench-cases.json, for get_auth and get_presigned_url.

The two implementations run alternately in one process (ROUNDS rounds of CALLS calls each,
time.time frozen like the tests do so both sign the same window); the best round of each is
kept and the ratio qcloud_cos / cos_sign printed per case, on the wall clock and on the thread's
CPU time (steadier when other processes load the machine). Both outputs are checked equal first.

    .venv/bin/python scripts/bench_py.py [--rounds 40] [--calls 500]
"""

import argparse
import json
import os
import statistics
import sys
import time

import qcloud_cos

import cos_sign

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "tests", "py", "binding", "data", "bench-cases.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--goal", type=float, default=25.0, help="minimum get_presigned_url ratio")
    args = ap.parse_args()

    with open(CASES, encoding="utf-8") as f:
        bench = json.load(f)
    cfg = dict(Region=bench["region"], SecretId=bench["secret_id"], SecretKey=bench["secret_key"])
    clients = {"qcloud_cos": qcloud_cos.CosS3Client(qcloud_cos.CosConfig(**cfg)),
               "cos_sign": cos_sign.CosS3Client(cos_sign.CosConfig(**cfg))}
    real_time = time.time
    now = int(real_time())
    time.time = lambda: now  # both sign the same window, as in the tests
    perf = time.perf_counter
    thread_time = time.thread_time
    rows = []
    try:
        for case in bench["cases"]:
            for call in ("get_auth", "get_presigned_url"):
                def make(client, call=call, case=case):
                    if call == "get_auth":
                        return lambda: client.get_auth(case["method"], bench["bucket"], case["key"],
                                                       bench["expired"], case["headers"], case["params"])
                    return lambda: client.get_presigned_url(bench["bucket"], case["key"], case["method"],
                                                            bench["expired"], case["params"], case["headers"])
                fns = {name: make(c) for name, c in clients.items()}
                outs = {name: fn() for name, fn in fns.items()}
                if outs["qcloud_cos"] != outs["cos_sign"]:
                    sys.exit(f"{case['name']} {call}: outputs differ:\n{outs}")
                times = {name: [] for name in fns}
                cpu = {name: [] for name in fns}
                n = args.calls
                for _ in range(args.rounds):
                    for name, fn in fns.items():  # alternate the two in every round
                        t0, c0 = perf(), thread_time()
                        for _ in range(n):
                            fn()
                        times[name].append((perf() - t0) / n)
                        cpu[name].append((thread_time() - c0) / n)
                best = {k: min(v) for k, v in times.items()}
                med = {k: statistics.median(v) for k, v in times.items()}
                best_cpu = {k: min(v) for k, v in cpu.items()}
                rows.append((case["name"], call, best["qcloud_cos"], best["cos_sign"],
                             best["qcloud_cos"] / best["cos_sign"], med["qcloud_cos"] / med["cos_sign"],
                             best_cpu["qcloud_cos"] / best_cpu["cos_sign"]))
    finally:
        time.time = real_time

    print(f"{args.rounds} rounds x {args.calls} calls; times: best round (wall clock); ratios: best wall, "
          "median wall, best thread CPU time")
    print(f"{'case':<10} {'call':<18} {'qcloud_cos':>12} {'cos_sign':>10} {'ratio':>8} {'median':>8} {'cpu':>8}")
    for name, call, a, b, r, rm, rc in rows:
        print(f"{name:<10} {call:<18} {a * 1e6:>10.2f}us {b * 1e6:>8.2f}us {r:>7.1f}x {rm:>7.1f}x {rc:>7.1f}x")
    low = [r for r in rows if r[1] == "get_presigned_url" and max(r[4], r[6]) < args.goal]
    if low:
        print(f"below the {args.goal:g}x goal on get_presigned_url: {[r[0] for r in low]}")
    else:
        print(f"get_presigned_url ratio >= {args.goal:g}x on every case")


if __name__ == "__main__":
    main()
