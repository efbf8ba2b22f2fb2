#!/usr/bin/env python3
"""run.py -- the request-server benchmark: samples/request-server under load on 127.0.0.1.

    python3 bench/server/run.py KILN_BUILD_DIR OUT.json [--runs N] [--requests N]

Builds the sample (its own CMake project, Release, against the Kiln build tree KILN_BUILD_DIR,
in KILN_BUILD_DIR/bench-server) and measures, with its load generator request_load, the
requests per second and the latency distribution of the normal handler (/hello), one request
per connection (no keep-alive), in two scenarios:

  hello        --connections 2 sending /hello?name=bench
  hello+spin   the same while one more connection sends /spin back to back, so that one
               worker is always running a handler that never ends until its deadline

The server runs with --workers 2 --deadline-ms 50 --memory-mib 16, a fresh process per run;
scenarios alternate, --runs times each (default 9). Every /hello must be answered 200 and every
/spin 503. Writes {"server": {...}} to OUT.json: per scenario the medians over the runs of
requests/s, p50, p90, p99 and max latency (ms), the server's time to take an instance
and the handler's time (its Server-Timing header, us), and every run. Python 3 standard library only;
needs cmake, ninja (or make) and clang-19 (or $CC). docs/bench.md describes it.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "samples", "request-server")
SERVER_FLAGS = ["--workers", "2", "--deadline-ms", "50", "--memory-mib", "16"]
TARGET = "/hello?name=bench"
SCENARIOS = {
    "hello": [],
    "hello+spin": ["--runaway", "/spin"],
}


def log(msg):
    print(f"bench/server: {msg}", file=sys.stderr, flush=True)


def build(kiln_build):
    out = os.path.join(kiln_build, "bench-server")
    cc = os.environ.get("CC", "clang-19")
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    logf = out + ".log"
    with open(logf, "w") as f:
        for cmd in (["cmake", "-S", SAMPLE, "-B", out, *gen, f"-DKiln_DIR={kiln_build}",
                     f"-DCMAKE_C_COMPILER={cc}", "-DCMAKE_BUILD_TYPE=Release"],
                    ["cmake", "--build", out, "-j", "2"]):
            if subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode != 0:
                sys.stderr.write(open(logf).read())
                raise SystemExit(f"bench/server: {' '.join(cmd[:2])} failed (log: {logf})")
    return os.path.join(out, "request_server"), os.path.join(out, "request_load")


def start_server(server):
    p = subprocess.Popen([server, "--port", "0", *SERVER_FLAGS], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        raise SystemExit(f"bench/server: the server printed no port: {line!r}")
    return p, int(m.group(1))


def stop_server(p):
    """SIGTERM: the server finishes what it accepted and prints its summary; exit 0."""
    p.terminate()
    try:
        rest, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise SystemExit("bench/server: the server did not stop on SIGTERM")
    if p.returncode != 0:
        raise SystemExit(f"bench/server: the server exited with {p.returncode}")
    return rest.strip()


def measure(server, load, extra, requests, warmup):
    p, port = start_server(server)
    try:
        r = subprocess.run([load, "--port", str(port), "--connections", "2", "--requests",
                            str(requests), "--warmup", str(warmup), "--json", *extra, TARGET],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    finally:
        summary = stop_server(p)
    if r.returncode != 0:
        raise SystemExit(f"bench/server: request_load failed: {r.stderr.strip()}")
    data = json.loads(r.stdout)
    run = {"rps": data["rps"], "seconds": data["seconds"], **{f"{k}_ms": v for k, v in data["latency_ms"].items()}}
    st = data.get("server_timing_ms")
    if st:  # the server's own Server-Timing: taking an instance, and the handler's call
        run["instantiate_us_p50"] = st["instantiate"]["p50"] * 1e3
        run["instantiate_us_p99"] = st["instantiate"]["p99"] * 1e3
        run["handler_us_p50"] = st["handler"]["p50"] * 1e3
    if "runaway" in data:
        rw = data["runaway"]
        if set(rw["statuses"]) - {"503"}:
            raise SystemExit(f"bench/server: runaway requests answered {rw['statuses']}, not 503")
        run["runaway"] = {"target": rw["target"], "requests": rw["requests"], "p50_ms": rw["latency_ms"]["p50"],
                          "max_ms": rw["latency_ms"]["max"]}
    run["server"] = summary
    run["loadavg_1min"] = os.getloadavg()[0]  # other work on the machine, at the end of the run
    return run


def main():
    ap = argparse.ArgumentParser(description="request-server benchmark (docs/bench.md)")
    ap.add_argument("kiln_build")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--requests", type=int, default=20000, help="timed requests per run")
    ap.add_argument("--warmup", type=int, default=1000, help="untimed requests per run, first")
    args = ap.parse_args()
    kiln_build = os.path.abspath(args.kiln_build)
    server, load = build(kiln_build)

    runs = {name: [] for name in SCENARIOS}
    for i in range(max(args.runs, 1)):
        for name, extra in SCENARIOS.items():
            run = measure(server, load, extra, args.requests, args.warmup)
            runs[name].append(run)
            rw = run.get("runaway")
            log(f"run {i + 1} {name}: {run['rps']:.0f} requests/s, p50 {run['p50_ms']:.3f} ms, "
                f"p99 {run['p99_ms']:.3f} ms" + (f"; {rw['requests']} /spin cut off" if rw else ""))

    result = {"config": {"server": "request_server " + " ".join(SERVER_FLAGS),
                         "load": f"request_load --connections 2 --requests {args.requests} "
                                 f"--warmup {args.warmup} {TARGET}",
                         "connection": "one request per connection (HTTP/1.0, no keep-alive)",
                         "runs": max(args.runs, 1),
                         "summary": "medians over the runs of each run's figure"},
              "scenarios": {}}
    for name, rs in runs.items():
        sc = {"extra": " ".join(SCENARIOS[name])}
        for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "instantiate_us_p50",
                    "instantiate_us_p99", "handler_us_p50"):
            if all(key in r for r in rs):
                sc[key] = statistics.median(r[key] for r in rs)
        if rs[0].get("runaway"):
            sc["runaway"] = {"target": rs[0]["runaway"]["target"],
                             "requests": sum(r["runaway"]["requests"] for r in rs),
                             "p50_ms": statistics.median(r["runaway"]["p50_ms"] for r in rs)}
        sc["runs"] = rs
        result["scenarios"][name] = sc
    with open(args.out, "w") as f:
        json.dump({"server": result}, f, indent=1)
        f.write("\n")
    for name, sc in result["scenarios"].items():
        log(f"{name}: {sc['rps']:.0f} requests/s, p50 {sc['p50_ms']:.3f} ms, p99 {sc['p99_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
