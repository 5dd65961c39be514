#!/usr/bin/env python3
"""Times cos_sign against qcloud_cos (cos-python-sdk-v5 1.9.44) on the three cases of
tests/py/binding/data/bench-cases.json, for get_auth and get_presigned_url.

The two implementations run alternately in one process (ROUNDS rounds of CALLS calls each,
time.time frozen like the tests do so both sign the same window), with the same arguments;
both outputs are checked equal before any timing. Each round gives one ratio
qcloud_cos / cos_sign (the two batches of that round, back to back). Printed per case and
call: the median of those per-round ratios (the figure the goals are checked on), their
10th-90th percentile spread (the machine's noise), the ratio of the best rounds, and the
median per-round ratio on the thread's CPU time (steadier when other processes load the
machine).

Goals (issue 13): get_presigned_url >= 40x, get_auth >= 25x on every case.

    .venv/bin/python scripts/bench_py.py [--rounds 41] [--calls 500]
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
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--goal-presigned", type=float, default=40.0,
                    help="minimum median get_presigned_url ratio")
    ap.add_argument("--goal-auth", type=float, default=25.0, help="minimum median get_auth ratio")
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
                per_round = sorted(q / c for q, c in zip(times["qcloud_cos"], times["cos_sign"]))
                best = {k: min(v) for k, v in times.items()}
                med = {k: statistics.median(v) for k, v in times.items()}
                per_round_cpu = sorted(q / c for q, c in zip(cpu["qcloud_cos"], cpu["cos_sign"]))
                rows.append(dict(
                    case=case["name"], call=call, qcloud=med["qcloud_cos"], ours=med["cos_sign"],
                    median=statistics.median(per_round),
                    p10=per_round[len(per_round) // 10], p90=per_round[(len(per_round) * 9) // 10],
                    best=best["qcloud_cos"] / best["cos_sign"],
                    cpu=statistics.median(per_round_cpu)))
    finally:
        time.time = real_time

    print(f"{args.rounds} alternating rounds x {args.calls} calls; times: median round; ratio: median "
          "of the per-round ratios (p10-p90 spread); best: ratio of the best rounds; cpu: median of "
          "the per-round ratios of thread CPU time (less moved by other processes)")
    print(f"{'case':<10} {'call':<18} {'qcloud_cos':>12} {'cos_sign':>10} {'ratio':>8} {'p10-p90':>13} "
          f"{'best':>7} {'cpu':>7} {'goal':>6}")
    missed = []
    for r in rows:
        goal = args.goal_auth if r["call"] == "get_auth" else args.goal_presigned
        ok = r["median"] >= goal
        if not ok:
            missed.append(f"{r['case']} {r['call']} ({r['median']:.1f}x < {goal:g}x)")
        print(f"{r['case']:<10} {r['call']:<18} {r['qcloud'] * 1e6:>10.2f}us {r['ours'] * 1e6:>8.2f}us "
              f"{r['median']:>7.1f}x {r['p10']:>5.1f}-{r['p90']:<5.1f}x {r['best']:>6.1f}x {r['cpu']:>6.1f}x "
              f"{'ok' if ok else 'MISSED':>6}")
    if missed:
        print("below the goal: " + "; ".join(missed))
    else:
        print(f"every case meets the goals (get_presigned_url >= {args.goal_presigned:g}x, "
              f"get_auth >= {args.goal_auth:g}x)")


if __name__ == "__main__":
    main()
