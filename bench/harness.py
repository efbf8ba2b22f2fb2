#!/usr/bin/env python3
"""harness.py -- Kiln's benchmark harness (run it through scripts/bench.sh).

Builds every kernel of bench/kernels/ natively and for each engine, runs them interleaved,
checks that every engine prints the native checksum, and writes bench/results/latest.{json,md,png}.
Also: the compile time of a large module (bench/bigmodule/), the start-up time of a hello world
(hyperfine), the micro benchmarks of bench/micro/run.sh when that script exists, and the
request-server sample under load (bench/server/run.py).
Python 3 standard library only. docs/bench.md describes what is measured and how.
"""
import argparse
import concurrent.futures
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
CC = "clang-19"
NATIVE_FLAGS = ["-O2"]
WASM_FLAGS = ["--target=wasm32-wasi", "-O2"]
# Engine order of one interleaved round; "kiln-bounds" is only present when kiln supports it.
# "kiln-baseline" (another build of Kiln, --baseline-kiln) joins after "kiln" when asked for.
# "kiln-clang16": the same kernel compiled to wasm by another toolchain (clang-16 and its own
# compiler-rt), then kiln build -O2: Kiln on code it was not tuned on; present when clang-16
# can build for wasm32-wasi.
ALL_ENGINES = ["native", "kiln", "kiln-clang16", "kiln-nochecks", "kiln-relaxed", "kiln-bounds",
               "wasm2c", "node"]
CC2 = "clang-16"


class BenchError(Exception):
    pass


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run_checked(cmd, what, cwd=None, env=None):
    """Runs a build step; raises BenchError with its output when it fails."""
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise BenchError(f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stdout}")
    return p.stdout


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        return p.stdout.strip().splitlines()[0] if p.stdout.strip() else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def find_first(paths):
    for p in paths:
        if os.path.exists(p):
            return p
    return None


# ---------------------------------------------------------------------------------------------
# Tools and the environment

class Tools:
    def __init__(self, args):
        self.kiln = os.path.join(args.build_dir, "bin", "kiln")
        if not os.access(self.kiln, os.X_OK):
            raise BenchError(f"no kiln executable at {self.kiln} (build Kiln first)")
        for exe in (CC, "wasm2c", "node"):
            if not shutil.which(exe):
                raise BenchError(f"'{exe}' not found on PATH (scripts/install-deps.sh installs it)")
        self.hyperfine = shutil.which("hyperfine")
        self.gnuplot = shutil.which("gnuplot") or shutil.which("gnuplot-nox")
        # wabt's runtime: Debian ships wasm-rt.h in /usr/include and wasm-rt-impl.{c,h} in
        # /usr/share/wabt/wasm2c (also /usr/src/wasm2c); WABT_RUNTIME_DIR overrides.
        rt_dirs = [os.environ.get("WABT_RUNTIME_DIR", ""), "/usr/share/wabt/wasm2c", "/usr/src/wasm2c"]
        impl = find_first([os.path.join(d, "wasm-rt-impl.c") for d in rt_dirs if d])
        if not impl:
            raise BenchError("wasm-rt-impl.c not found (Debian package wabt; or set WABT_RUNTIME_DIR)")
        self.wasm_rt_impl = impl
        hdr = find_first([os.path.join(d, "wasm-rt.h") for d in [os.path.dirname(impl), "/usr/include"]])
        if not hdr:
            raise BenchError("wasm-rt.h not found (Debian package wabt)")
        self.wasm2c_includes = ["-I" + os.path.dirname(impl), "-I" + os.path.dirname(hdr)]
        self.sysroot_flags = self.probe_wasi_sysroot(args.scratch)
        self.cc2 = self.probe_cc2()
        self.build_dir = args.build_dir
        self.baseline = None
        if args.baseline_kiln:
            self.baseline = os.path.abspath(args.baseline_kiln)
            if not os.access(self.baseline, os.X_OK):
                raise BenchError(f"--baseline-kiln: no executable at {self.baseline}")

    def probe_cc2(self):
        """Whether the second toolchain (CC2, its wasm32 compiler-rt, wasi-libc, wasm-ld) is
        there; sets what wasm_compile_cc2 needs."""
        self.wasm_ld = shutil.which("wasm-ld-19") or shutil.which("wasm-ld")
        if not shutil.which(CC2) or not self.wasm_ld:
            return False
        self.cc2_sysroot_flags = ["--sysroot=/usr"]
        p = subprocess.run([CC2, "--target=wasm32-wasi", *self.cc2_sysroot_flags, "-print-libgcc-file-name"],
                           capture_output=True, text=True)
        self.cc2_runtime = p.stdout.strip()
        self.wasi_libdir = "/usr/lib/wasm32-wasi"
        return (p.returncode == 0 and os.path.exists(self.cc2_runtime) and
                os.path.exists(os.path.join(self.wasi_libdir, "crt1-command.o")))

    @staticmethod
    def probe_wasi_sysroot(scratch):
        """The flags clang-19 needs for wasm32-wasi, probed as samples/CMakeLists.txt does."""
        os.makedirs(scratch, exist_ok=True)
        probe = os.path.join(scratch, "probe.c")
        with open(probe, "w") as f:
            f.write("#include <unistd.h>\nint main(void) { return write(1, \"\", 0); }\n")
        candidates = []
        if os.environ.get("KILN_WASI_SYSROOT"):
            candidates.append(os.environ["KILN_WASI_SYSROOT"])
        candidates += [None, "/usr/share/wasi-sysroot", "/opt/wasi-sdk/share/wasi-sysroot"]
        for c in candidates:
            if c is not None and not os.path.isdir(c):
                continue
            flags = [] if c is None else [f"--sysroot={c}"]
            p = subprocess.run([CC, "--target=wasm32-wasi", *flags, probe, "-o", probe + ".wasm"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if p.returncode == 0:
                return flags
        raise BenchError(f"{CC} cannot build for wasm32-wasi: install wasi-libc and "
                         "libclang-rt-19-dev-wasm32, or set KILN_WASI_SYSROOT")


def machine_info():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    os_name = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "memory": mem,
            "kernel": platform.release(), "os": os_name, "arch": platform.machine()}


# ---------------------------------------------------------------------------------------------
# Building

def wasm_compile(tools, src, wasm, extra=()):
    """C -> wasm32-wasi: compile with -O2, link in a second step without -O (as samples/ does:
    clang runs wasm-opt on -O links when binaryen is installed, which would make the module
    depend on what else is on the machine)."""
    obj = wasm[:-5] + ".o"
    run_checked([CC, *WASM_FLAGS, *tools.sysroot_flags, *extra, "-c", src, "-o", obj], f"wasm compile {src}")
    run_checked([CC, "--target=wasm32-wasi", *tools.sysroot_flags, obj, "-o", wasm, "-Wl,--strip-debug"],
                f"wasm link {src}")


def wasm_compile_cc2(tools, src, wasm, extra=()):
    """C -> wasm32-wasi with the second toolchain (CC2 and its own compiler-rt), linked by
    wasm-ld directly (no wasm-opt, and CC2's own wasm-ld may be absent)."""
    obj = wasm[:-5] + ".o"
    run_checked([CC2, *WASM_FLAGS, *tools.cc2_sysroot_flags, *extra, "-c", src, "-o", obj],
                f"{CC2} compile {src}")
    run_checked([tools.wasm_ld, "-L", tools.wasi_libdir, os.path.join(tools.wasi_libdir, "crt1-command.o"),
                 obj, "-lc", tools.cc2_runtime, "-o", wasm, "--strip-debug"], f"{CC2} link {src}")


def build_wasm2c_exe(tools, wasm, outdir, exe):
    os.makedirs(outdir, exist_ok=True)
    csrc = os.path.join(outdir, "kernel.c")
    run_checked(["wasm2c", "-n", "kernel", wasm, "-o", csrc], f"wasm2c {wasm}")
    run_checked([CC, "-O2", *tools.wasm2c_includes, "-I" + outdir, csrc,
                 os.path.join(BENCH_DIR, "wasm2c", "wasi_shim.c"), tools.wasm_rt_impl, "-o", exe, "-lm"],
                f"wasm2c build {wasm}")


def find_rustc():
    """A rustc with the wasm32-wasi standard library (Debian: rustc, libstd-rust-dev-wasm32),
    or None; the same one builds the native twin, so both come from one compiler."""
    for r in ("/usr/bin/rustc", shutil.which("rustc")):
        if not r or not os.access(r, os.X_OK):
            continue
        p = subprocess.run([r, "--print", "target-libdir", "--target", "wasm32-wasi"],
                           capture_output=True, text=True)
        if p.returncode == 0 and os.path.isdir(p.stdout.strip()):
            return r
    return None


RUSTC = find_rustc()
RUST_FLAGS = ["-O", "-C", "strip=debuginfo"]


def kernel_names(regex):
    """The kernels: bench/kernels/NAME.c, and NAME.rs when a rustc for wasm32-wasi is there."""
    files = os.listdir(os.path.join(BENCH_DIR, "kernels"))
    names = sorted(f[:-2] for f in files if f.endswith(".c"))
    rust = sorted(f[:-3] for f in files if f.endswith(".rs"))
    if rust and not RUSTC:
        log("no rustc with the wasm32-wasi standard library (rustc, libstd-rust-dev-wasm32): "
            "the Rust kernels are left out: " + ", ".join(rust))
    elif rust:
        names = sorted(names + rust)
    if regex:
        names = [n for n in names if re.search(regex, n)]
    return names


def kernel_wasm_flags(src):
    """Extra flags a kernel asks for in a 'bench-wasm-flags:' comment (e.g. -msimd128 for
    one written with vector types, which compile to SSE natively without any flag)."""
    with open(src) as f:
        for line in f:
            m = re.search(r"bench-wasm-flags:(.*)", line)
            if m:
                return m.group(1).split()
    return []


def build_kernel(tools, engines, scratch, name):
    src = os.path.join(BENCH_DIR, "kernels", name + ".c")
    rust = not os.path.exists(src)
    if rust:
        src = os.path.join(BENCH_DIR, "kernels", name + ".rs")
    extra = [] if rust else kernel_wasm_flags(src)
    d = os.path.join(scratch, "kernels", name)
    os.makedirs(d, exist_ok=True)
    exes = {}
    native = os.path.join(d, name + ".native")
    wasm = os.path.join(d, name + ".wasm")
    if rust:  # rustc -O natively and for wasm32-wasi (its own wasm-ld link: no wasm-opt)
        run_checked([RUSTC, *RUST_FLAGS, src, "-o", native], f"native build {name}")
        run_checked([RUSTC, *RUST_FLAGS, "--target", "wasm32-wasi", src, "-o", wasm], f"wasm build {name}")
    else:
        run_checked([CC, *NATIVE_FLAGS, src, "-o", native, "-lm"], f"native build {name}")
        wasm_compile(tools, src, wasm, extra)
    exes["native"] = [native]
    if "kiln" in engines:
        exe = os.path.join(d, name + ".kiln")
        run_checked([tools.kiln, "build", "-O2", wasm, "-o", exe], f"kiln build {name}")
        exes["kiln"] = [exe]
    for e in engines:
        if e.startswith("kiln@"):
            exe = os.path.join(d, name + "." + e.replace("@", "-cpu-"))
            run_checked([tools.kiln, "build", "-O2", "--cpu", e[5:], wasm, "-o", exe],
                        f"kiln build --cpu {e[5:]} {name}")
            exes[e] = [exe]
    if "kiln-clang16" in engines and not rust:  # n/a for Rust kernels
        wasm2 = os.path.join(d, name + ".clang16.wasm")
        wasm_compile_cc2(tools, src, wasm2, extra)
        exe = os.path.join(d, name + ".kiln-clang16")
        run_checked([tools.kiln, "build", "-O2", wasm2, "-o", exe], f"kiln build {name} (clang-16)")
        exes["kiln-clang16"] = [exe]
    if "kiln-baseline" in engines:
        exe = os.path.join(d, name + ".kiln-baseline")
        run_checked([tools.baseline, "build", "-O2", wasm, "-o", exe], f"baseline kiln build {name}")
        exes["kiln-baseline"] = [exe]
    if "kiln-nochecks" in engines:
        exe = os.path.join(d, name + ".kiln-nochecks")
        run_checked([tools.kiln, "build", "-O2", "--no-interrupt-checks", wasm, "-o", exe],
                    f"kiln build --no-interrupt-checks {name}")
        exes["kiln-nochecks"] = [exe]
    if "kiln-relaxed" in engines:
        exe = os.path.join(d, name + ".kiln-relaxed")
        run_checked([tools.kiln, "build", "-O2", "--relaxed-dead-loads", wasm, "-o", exe],
                    f"kiln build --relaxed-dead-loads {name}")
        exes["kiln-relaxed"] = [exe]
    if "kiln-bounds" in engines:
        exe = os.path.join(d, name + ".kiln-bounds")
        run_checked([tools.kiln, "build", "-O2", "--bounds-checks", wasm, "-o", exe],
                    f"kiln build --bounds-checks {name}")
        exes["kiln-bounds"] = [exe]
    if "wasm2c" in engines:
        exe = os.path.join(d, name + ".wasm2c")
        try:
            build_wasm2c_exe(tools, wasm, os.path.join(d, "wasm2c"), exe)
            exes["wasm2c"] = [exe]
        except BenchError as e:
            # Debian's wabt 1.0.32 aborts on some SIMD modules: the kernel says n/a there.
            log(f"{name}: wasm2c cannot build it, left out ({str(e).splitlines()[0][:120]})")
    if "node" in engines:
        exes["node"] = ["node", "--no-warnings", os.path.join(BENCH_DIR, "node", "run.mjs"), wasm]
    return name, exes, os.path.getsize(wasm)


# ---------------------------------------------------------------------------------------------
# Running

def timed_run(cmd, env=None, cwd=None):
    """Wall time of the whole process, from spawn to exit (seconds), and its stdout."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    t1 = time.perf_counter()
    return t1 - t0, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def verify(name, engine, rc, out, err, expected):
    if rc != 0:
        raise BenchError(f"{name} under {engine} exited with {rc}\nstdout: {out}\nstderr: {err}")
    if expected is not None and out != expected:
        raise BenchError(f"CHECKSUM MISMATCH: {name} under {engine} printed {out.strip()!r}, "
                         f"native printed {expected.strip()!r}")


def run_kernels(kernels, engines, runs, warmup):
    """Interleaved: every round runs every kernel under every engine in turn."""
    samples = {k: {e: [] for e in engines} for k in kernels}
    expected = {}
    for k, exes in kernels.items():
        t, rc, out, err = timed_run(exes["native"])
        verify(k, "native", rc, out, err, None)
        expected[k] = out
    if warmup:
        for k, exes in kernels.items():
            for e in engines:
                if e not in exes:  # an engine that cannot build this kernel (n/a)
                    continue
                t, rc, out, err = timed_run(exes[e])
                verify(k, e, rc, out, err, expected[k])
    for r in range(runs):
        log(f"round {r + 1}/{runs}")
        for k, exes in kernels.items():
            line = []
            for e in engines:
                if e not in exes:
                    continue
                t, rc, out, err = timed_run(exes[e])
                verify(k, e, rc, out, err, expected[k])
                samples[k][e].append(t)
                line.append(f"{e} {t:.3f}")
            log(f"  {k:13s} " + "  ".join(line))
    return samples, expected


# Engines whose instructions callgrind counts (node's JIT would count the compiler too).
INSTR_ENGINES = ("native", "kiln", "kiln-clang16", "kiln-baseline", "kiln-nochecks", "kiln-relaxed", "kiln-bounds", "wasm2c")


def count_instructions(cmd, valgrind):
    """Instructions the process executed (callgrind's Ir), deterministic where time is not.
    Counted on a copy without debug information: Debian's valgrind 3.19 gives up on the
    DWARF of clang-19's static executables ("Possibly corrupted debuginfo file"), and the
    instructions are the same."""
    strip = shutil.which("llvm-strip-19") or shutil.which("strip")
    if strip and os.path.isfile(cmd[0]):
        bare = cmd[0] + ".nodebug"
        run_checked([strip, "--strip-debug", cmd[0], "-o", bare], f"strip {cmd[0]}")
        cmd = [bare, *cmd[1:]]
    p = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode != 0 or not m:
        raise BenchError(f"callgrind failed on {' '.join(cmd)}:\n{p.stderr[-2000:]}")
    return int(m.group(1))


def add_instructions(res, kernels, engines, valgrind):
    for k, exes in kernels.items():
        counts = {e: count_instructions(exes[e], valgrind) for e in INSTR_ENGINES if e in engines and e in exes}
        res["kernels"][k]["instructions"] = {
            e: {"count": n, "ratio_to_native": n / counts["native"]} for e, n in counts.items()}
        log(f"  {k:13s} instructions " + "  ".join(f"{e} {n / counts['native']:.3f}"
                                                   for e, n in counts.items()))
    res["geomean_instructions_to_native"] = {
        e: geomean([kr["instructions"][e]["ratio_to_native"] for kr in res["kernels"].values()
                    if e in kr["instructions"]])
        for e in INSTR_ENGINES if e in engines}


def add_paired_ratios(res):
    """Per kernel and engine, the median over the rounds of (this engine's time / native's time
    in the same round): with interleaving, a burst of load hits both runs of a pair, so this
    is steadier on a busy machine than the ratio of the medians. Plus its geomean."""
    engines = [e for e in res["config"]["engines"] if e != "native"]
    for kr in res["kernels"].values():
        nat = kr["engines"]["native"]["samples_s"]
        for e in engines:
            if e not in kr["engines"]:
                continue
            kr["engines"][e]["paired_ratio_median"] = statistics.median(
                [a / b for a, b in zip(kr["engines"][e]["samples_s"], nat)])
    if res["kernels"]:
        res["geomean_paired_ratio_to_native"] = {
            e: geomean([kr["engines"][e]["paired_ratio_median"] for kr in res["kernels"].values()
                        if e in kr["engines"]])
            for e in engines}


def pair_cost(res, names, baseline, meaning):
    """What a feature of the default kiln costs against the baseline engine built without it:
    per kernel the median over the rounds of the time ratio kiln / baseline of the pair run in
    the same round, and its geomean; with --instructions, the same for counts."""
    per = {}
    for k in names:
        e = res["kernels"][k]["engines"]
        per[k] = statistics.median([a / b for a, b in zip(e["kiln"]["samples_s"],
                                                          e[baseline]["samples_s"])])
    out = {"geomean_ratio": geomean(list(per.values())), "per_kernel": per, "meaning": meaning}
    instr = [res["kernels"][k].get("instructions") for k in names]
    if all(i and "kiln" in i and baseline in i for i in instr):
        out["geomean_instruction_ratio"] = geomean(
            [i["kiln"]["count"] / i[baseline]["count"] for i in instr])
    return out


def geomean(values):
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


# ---------------------------------------------------------------------------------------------
# Compile time of a large module

def bench_compile(tools, scratch, runs, functions):
    d = os.path.join(scratch, "bigmodule")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, "big.c")
    wasm = os.path.join(d, "big.wasm")
    stamp = os.path.join(d, "stamp")
    key = f"{functions}:{os.path.getmtime(os.path.join(BENCH_DIR, 'bigmodule', 'gen.py'))}"
    if not (os.path.exists(wasm) and os.path.exists(stamp) and open(stamp).read() == key):
        log(f"generating the large module ({functions} functions) and compiling it to wasm")
        run_checked([sys.executable, os.path.join(BENCH_DIR, "bigmodule", "gen.py"), src,
                     "--functions", str(functions)], "gen.py")
        wasm_compile(tools, src, wasm)
        with open(stamp, "w") as f:
            f.write(key)
    kiln_cmd = [tools.kiln, "compile", "-O2", "-j2", wasm, "-o",
                os.path.join(d, "big.kiln.o")]
    w2c_dir = os.path.join(d, "wasm2c")
    os.makedirs(w2c_dir, exist_ok=True)
    w2c_c = os.path.join(w2c_dir, "big.c")
    w2c_cmd = ["wasm2c", "-n", "big", wasm, "-o", w2c_c]
    cc_cmd = [CC, "-O2", "-c", *tools.wasm2c_includes, w2c_c, "-o", os.path.join(w2c_dir, "big.o")]
    s = {"kiln": [], "wasm2c": [], "wasm2c:translate": [], "wasm2c:clang": []}
    for r in range(runs):
        log(f"compile round {r + 1}/{runs}: kiln compile -O2 -j2")
        t, rc, out, err = timed_run(kiln_cmd)
        if rc:
            raise BenchError(f"kiln compile of the large module failed: {err}")
        s["kiln"].append(t)
        log(f"  kiln {t:.2f} s; wasm2c + {CC} -O2 -c")
        t1, rc, out, err = timed_run(w2c_cmd)
        if rc:
            raise BenchError(f"wasm2c of the large module failed: {err}")
        t2, rc, out, err = timed_run(cc_cmd)
        if rc:
            raise BenchError(f"{CC} -O2 -c of wasm2c's output failed: {err}")
        s["wasm2c:translate"].append(t1)
        s["wasm2c:clang"].append(t2)
        s["wasm2c"].append(t1 + t2)
        log(f"  wasm2c {t1:.2f} s + clang {t2:.2f} s")
    res = {"module": {"source": "bench/bigmodule/gen.py", "functions": functions,
                      "wasm_bytes": os.path.getsize(wasm)},
           "jobs": 2,
           "commands": {"kiln": "kiln compile -O2 -j2 big.wasm",
                        "wasm2c": f"wasm2c big.wasm -o big.c && {CC} -O2 -c big.c"},
           "engines": {}}
    for e, v in s.items():
        res["engines"][e] = {"median_s": statistics.median(v), "samples_s": v}
    res["ratio_kiln_to_wasm2c"] = res["engines"]["kiln"]["median_s"] / res["engines"]["wasm2c"]["median_s"]
    return res


# ---------------------------------------------------------------------------------------------
# Start-up

# The start-up targets (docs/bench.md), process start to exit of a hello world (seconds).
STARTUP_BARS = {"kiln-build": 2e-3, "kiln-run": 5e-3}


def bench_startup(tools, scratch, runs):
    d = os.path.join(scratch, "startup")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(BENCH_DIR, "startup", "hello.c")
    native = os.path.join(d, "hello.native")
    native_static = os.path.join(d, "hello.native-static")
    wasm = os.path.join(d, "hello.wasm")
    app = os.path.join(d, "hello.kiln")
    w2c = os.path.join(d, "hello.wasm2c")
    run_checked([CC, "-O2", src, "-o", native], "native hello")
    # kiln build links static-pie executables by default: the like-for-like native build.
    run_checked([CC, "-O2", "-static-pie", src, "-o", native_static], "native static-pie hello")
    wasm_compile(tools, src, wasm)
    run_checked([tools.kiln, "build", "-O2", wasm, "-o", app], "kiln build hello")
    build_wasm2c_exe(tools, wasm, os.path.join(d, "wasm2c"), w2c)
    cache = os.path.join(d, "xdg-cache")
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    true_exe = shutil.which("true") or "/bin/true"
    cmds = {"true": [true_exe], "native": [native], "native-static": [native_static],
            "kiln-build": [app], "kiln-run": [tools.kiln, "run", wasm], "wasm2c": [w2c],
            "node": ["node", "--no-warnings", os.path.join(BENCH_DIR, "node", "run.mjs"), wasm]}
    # Warm the kiln cache and check the outputs agree (argv[0] differs, the output does not).
    ref = None
    for name, cmd in cmds.items():
        t, rc, out, err = timed_run(cmd, env=env)
        if rc != 0:
            raise BenchError(f"start-up: {name} exited with {rc}: {err}")
        if name != "true":
            if ref is None:
                ref = out
            elif out != ref:
                raise BenchError(f"start-up: {name} printed something else than native:\n{out}")
    res = {"program": "bench/startup/hello.c", "runs": runs, "engines": {},
           "tool": "hyperfine -N" if tools.hyperfine else "harness.py"}
    if tools.hyperfine:
        out_json = os.path.join(d, "hyperfine.json")
        hcmd = [tools.hyperfine, "-N", "--warmup", "5", "--runs", str(runs), "--export-json", out_json,
                "--style", "basic"]
        for name, cmd in cmds.items():
            hcmd += ["-n", name, " ".join(cmd)]
        p = subprocess.run(hcmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise BenchError(f"hyperfine failed:\n{p.stdout}")
        with open(out_json) as f:
            data = json.load(f)
        for r in data["results"]:
            res["engines"][r["command"]] = {"median_s": r["median"], "mean_s": r["mean"],
                                            "stddev_s": r.get("stddev"), "samples_s": r["times"]}
    else:
        samples = {n: [] for n in cmds}
        for _ in range(runs):
            for n, cmd in cmds.items():
                samples[n].append(timed_run(cmd, env=env)[0])
        for n, v in samples.items():
            res["engines"][n] = {"median_s": statistics.median(v), "samples_s": v}
    nat = res["engines"]["native"]["median_s"]
    for e in res["engines"].values():
        e["ratio_to_native"] = e["median_s"] / nat
    res["bars"] = {n: {"bar_s": bar, "met": res["engines"][n]["median_s"] < bar}
                   for n, bar in STARTUP_BARS.items()}
    return res


# ---------------------------------------------------------------------------------------------
# Micro benchmarks (bench/micro/, owned by its own script)

def bench_micro(build_dir, scratch):
    script = os.path.join(BENCH_DIR, "micro", "run.sh")
    if not (os.path.isfile(script) and os.access(script, os.X_OK)):
        log("bench/micro/run.sh not present: no micro benchmarks")
        return None
    out = os.path.join(scratch, "micro.json")
    if os.path.exists(out):
        os.remove(out)
    log("running bench/micro/run.sh")
    p = subprocess.run([script, build_dir, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stderr.write(p.stdout)
    if p.returncode != 0:
        raise BenchError(f"bench/micro/run.sh failed (exit {p.returncode})")
    try:
        with open(out) as f:
            data = json.load(f)
        return data["micro"]
    except (OSError, ValueError, KeyError) as e:
        raise BenchError(f"bench/micro/run.sh wrote no valid {out}: {e}")


# ---------------------------------------------------------------------------------------------
# The request-server sample under load (bench/server/, owned by its own script)

def bench_server(build_dir, scratch, quick):
    script = os.path.join(BENCH_DIR, "server", "run.py")
    out = os.path.join(scratch, "server.json")
    if os.path.exists(out):
        os.remove(out)
    log("running bench/server/run.py")
    cmd = [sys.executable, script, build_dir, out] + (["--runs", "1", "--requests", "2000"] if quick else [])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stderr.write(p.stdout)
    if p.returncode != 0:
        raise BenchError(f"bench/server/run.py failed (exit {p.returncode})")
    try:
        with open(out) as f:
            return json.load(f)["server"]
    except (OSError, ValueError, KeyError) as e:
        raise BenchError(f"bench/server/run.py wrote no valid {out}: {e}")


# ---------------------------------------------------------------------------------------------
# Reports

def fmt_s(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.2f} µs"
    return f"{s * 1e9:.1f} ns"


def write_execution(lines, res, engines, wasm_engines):
    for k, kr in res["kernels"].items():
        cells = [fmt_s(kr["engines"][e]["median_s"]) if e in kr["engines"] else "n/a" for e in engines]
        cells += [f"{kr['engines'][e]['ratio_to_native']:.2f}" if e in kr["engines"] else "n/a"
                  for e in wasm_engines]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    g = res["geomean_ratio_to_native"]
    lines.append("| **geomean** | " + " | ".join("" for _ in engines) + " | " +
                 " | ".join(f"**{g[e]:.2f}**" if g[e] is not None else "n/a" for e in wasm_engines) + " |")
    gp = res.get("geomean_paired_ratio_to_native")
    if gp:
        lines.append("| geomean of paired ratios | " + " | ".join("" for _ in engines) + " | " +
                     " | ".join(f"{gp[e]:.2f}" if gp[e] is not None else "n/a" for e in wasm_engines) + " |")
        lines += ["", "Paired ratio: per kernel, the median over the rounds of (engine time / native time in "
                  "the same round); steadier than the ratio of medians when the machine is busy "
                  "(`paired_ratio_median` in latest.json)."]
    bl = res.get("baseline_ratio")
    if bl:
        worst = max(bl["per_kernel"].items(), key=lambda kv: kv[1])
        lines += ["", f"Against the baseline build (kiln / kiln-baseline, geomean of paired ratios): "
                  f"{bl['geomean_ratio']:.3f}; highest {worst[0]} {worst[1]:.3f}; per kernel: " +
                  ", ".join(f"{k} {v:.3f}" for k, v in bl["per_kernel"].items()) +
                  (f"; instructions {bl['geomean_instruction_ratio']:.3f}"
                   if "geomean_instruction_ratio" in bl else "") +
                  " (`baseline_ratio` in latest.json)"]
    io = res.get("interrupt_overhead")
    if io:
        worst = max(io["per_kernel"].items(), key=lambda kv: kv[1])
        lines += ["", f"Interruption checks (kiln / kiln-nochecks, geomean of paired ratios): "
                  f"{io['geomean_ratio']:.3f} (target <= 1.03); highest {worst[0]} "
                  f"{worst[1]:.3f}" +
                  (f"; instructions {io['geomean_instruction_ratio']:.3f}"
                   if "geomean_instruction_ratio" in io else "") +
                  " (`interrupt_overhead` in latest.json)"]
    el = res.get("exact_loads_cost")
    if el:
        worst = max(el["per_kernel"].items(), key=lambda kv: kv[1])
        lines += ["", f"Exact traps of unused loads (kiln / kiln-relaxed, geomean of paired "
                  f"ratios): {el['geomean_ratio']:.3f} (target <= 1.01); highest {worst[0]} "
                  f"{worst[1]:.3f}" +
                  (f"; instructions {el['geomean_instruction_ratio']:.3f}"
                   if "geomean_instruction_ratio" in el else "") +
                  " (`exact_loads_cost` in latest.json)"]
    if "kiln-bounds" in engines:
        lines += ["", f"kiln-bounds / kiln (geomean): {res['geomean_bounds_to_kiln']:.2f} "
                  f"(kiln-bounds: {res['config']['kiln-bounds']})"]
    if "kiln" in g and "wasm2c" in g and "node" in g:
        slower_than_node = [k for k, kr in res["kernels"].items()
                            if kr["engines"]["kiln"]["median_s"] >= kr["engines"]["node"]["median_s"]]
        # The bars of the performance issue now open (docs/bench.md "The targets").
        above = [k for k, kr in res["kernels"].items() if kr["engines"]["kiln"]["ratio_to_native"] > 1.25]
        behind_w2c = [k for k, kr in res["kernels"].items() if "wasm2c" in kr["engines"]
                      and kr["engines"]["kiln"]["median_s"] > kr["engines"]["wasm2c"]["median_s"]]
        bounds = res.get("geomean_bounds_to_kiln")
        bounds_geo = g.get("kiln-bounds")
        lines += ["", "Targets: "
                  f"kiln/native geomean {g['kiln']:.2f} (bar 1.05: {'met' if g['kiln'] <= 1.05 else 'not met'}); "
                  "no program above 1.25x native: "
                  + ("yes" if not above else "no (" + ", ".join(above) + ")") + "; "
                  "faster than wasm2c on every program: "
                  + ("yes" if not behind_w2c else "no (" + ", ".join(behind_w2c) + ")") + "; "
                  + (f"kiln-bounds/native geomean {bounds_geo:.2f} (bar 1.12: "
                     f"{'met' if bounds_geo <= 1.12 else 'not met'}); " if bounds is not None and bounds_geo else "")
                  + "kiln faster than node on every kernel: "
                  + ("yes" if not slower_than_node else "no (" + ", ".join(slower_than_node) + ")") + "."]
    gi = res.get("geomean_instructions_to_native")
    if gi:
        ie = list(gi)
        lines += ["", "Instructions executed (callgrind, one run each; deterministic), relative to native:", "",
                  "| kernel | " + " | ".join(ie) + " |", "|---|" + "---:|" * len(ie)]
        for k, kr in res["kernels"].items():
            lines.append(f"| {k} | " + " | ".join(f"{kr['instructions'][e]['ratio_to_native']:.3f}"
                                                  for e in ie) + " |")
        lines.append("| **geomean** | " + " | ".join(f"**{gi[e]:.3f}**" for e in ie) + " |")
    flags = res.get("flags", [])
    if flags:
        lines += ["", "Kernels where Kiln is slower than wasm2c or node, or above 1.10x native:", ""]
        lines += [f"- {f}" for f in flags]


def section_date(sec, res):
    """A line for a section measured apart from the run (merged by --merge), else nothing."""
    d = sec.get("date") if isinstance(sec.get("date"), str) else None
    return [f"Measured {d} (`--merge`), apart from the run above.", ""] if d and d != res["date"] else []


def write_markdown(path, res):
    engines = res["config"]["engines"]
    wasm_engines = [e for e in engines if e != "native"]
    m = res["machine"]
    lines = ["# Kiln benchmark results", "",
             f"Run {res['date']} on {m['cpu']} ({m['cores']} cores, {m['memory']}), Linux {m['kernel']}, "
             f"{m['os']}." + (f" {res['config']['runs']} interleaved run(s) per kernel and engine, medians of "
                              "the wall time of the whole process. Ratios are to native (`clang-19 -O2`); "
                              "lower is better." if res["kernels"] else ""),
             ""]
    if res["kernels"]:
        lines += ["## Execution", "",
                  "| kernel | " + " | ".join(engines) + " | " + " | ".join(f"{e}/native" for e in wasm_engines) + " |",
                  "|---|" + "---:|" * (len(engines) + len(wasm_engines))]
        write_execution(lines, res, engines, wasm_engines)
    c = res.get("compile")
    if c:
        e = c["engines"]
        lines += ["", "## Compiling a large module", ""] + section_date(c, res) + [
                  f"{c['module']['functions']} generated functions ({c['module']['source']}), "
                  f"{c['module']['wasm_bytes'] / 1e6:.2f} MB of wasm; medians of {len(e['kiln']['samples_s'])} run(s).",
                  "", "| compiler | median |", "|---|---:|",
                  f"| `{c['commands']['kiln']}` (jobs: {c['jobs']}) | {fmt_s(e['kiln']['median_s'])} |",
                  f"| `wasm2c` + `clang-19 -O2 -c` | {fmt_s(e['wasm2c']['median_s'])} "
                  f"({fmt_s(e['wasm2c:translate']['median_s'])} + {fmt_s(e['wasm2c:clang']['median_s'])}) |",
                  "", f"kiln / (wasm2c + clang): {c['ratio_kiln_to_wasm2c']:.2f}"]
    s = res.get("startup")
    if s:
        lines += ["", "## Start-up", ""] + section_date(s, res) + [
                  f"`{s['program']}` (a hello world: process start to exit), medians of {s['runs']} runs "
                  f"({s['tool']}); `kiln run` with a warm cache; native = `{CC} -O2` (dynamic), "
                  "native-static = `-static-pie` (how `kiln build` links).",
                  "", "| command | median | / native | bar |", "|---|---:|---:|---|"]
        bars = s.get("bars", {})
        for n, e in s["engines"].items():
            b = bars.get(n)
            bar = f"< {fmt_s(b['bar_s'])}: {'met' if b['met'] else 'NOT met'}" if b else ""
            lines.append(f"| {n} | {fmt_s(e['median_s'])} | {e['ratio_to_native']:.2f} | {bar} |")
    mi = res.get("micro")
    if mi:
        eng = sorted({e for b in mi.values() for e in b})
        # (the micro section maps benchmark names only: a merge dates it at the top level)
        lines += ["", "## Micro benchmarks", ""] + section_date({"date": res.get("micro_date")}, res) + [
                  "(from bench/micro/run.sh)", "",
                  "| benchmark | " + " | ".join(eng) + " |", "|---|" + "---:|" * len(eng)]
        for b, per in mi.items():
            lines.append(f"| {b} | " + " | ".join(fmt_s(per[e].get("median_s")) if e in per else "-"
                                                  for e in eng) + " |")
    sv = res.get("server")
    if sv:
        c = sv["config"]
        lines += ["", "## Request server", ""] + section_date(sv, res) + [
                  f"samples/request-server on 127.0.0.1 (`{c['server']}`), driven by "
                  f"`{c['load']}`: {c['connection']}; medians of {c['runs']} run(s) "
                  "(bench/server/run.py). Latency: from connect() to the response's last byte; "
                  "instance and handler: the server's Server-Timing (taking an instance from the pool, "
                  "the handler's call).", "",
                  "| scenario | requests/s | p50 | p90 | p99 | max | instance p50 / p99 | handler p50 | runaway requests |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name, sc in sv["scenarios"].items():
            rw = sc.get("runaway")
            cut = f"{rw['requests']} `{rw['target']}` in all, 503 after {rw['p50_ms']:.1f} ms (p50)" if rw else ""
            inst = (f"{sc['instantiate_us_p50']:.1f} / {sc['instantiate_us_p99']:.1f} µs"
                    if "instantiate_us_p50" in sc else "-")
            handler = f"{sc['handler_us_p50']:.1f} µs" if "handler_us_p50" in sc else "-"
            lines.append(f"| {name} | {sc['rps']:,.0f} | {sc['p50_ms']:.3f} ms | {sc['p90_ms']:.3f} ms | "
                         f"{sc['p99_ms']:.3f} ms | {sc['max_ms']:.2f} ms | {inst} | {handler} | {cut} |")
    t = res["tools"]
    lines += ["", "## Tools", ""] + [f"- {k}: {v}" for k, v in t.items()]
    lines += ["", "The CPU is shared (a 2-core VM); other processes running at the same time make the "
              "figures noisy. See docs/bench.md for how to read them.", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_chart(path, res, gnuplot, scratch):
    engines = [e for e in res["config"]["engines"] if e != "native"]
    dat = os.path.join(scratch, "ratios.dat")
    with open(dat, "w") as f:
        f.write("kernel " + " ".join(engines) + "\n")
        for k, kr in res["kernels"].items():
            f.write(k + " " + " ".join(f"{kr['engines'][e]['ratio_to_native']:.4f}" if e in kr["engines"]
                                       else "NaN" for e in engines) + "\n")
        f.write("geomean " + " ".join(f"{res['geomean_ratio_to_native'][e]:.4f}"
                                      if res['geomean_ratio_to_native'][e] is not None else "NaN"
                                      for e in engines) + "\n")
    ymax = max(max(kr["engines"][e]["ratio_to_native"] for e in engines if e in kr["engines"])
               for kr in res["kernels"].values())
    script = f"""
set terminal pngcairo size 1400,600 font "sans,10"
set output "{path}"
set title "Execution time relative to native clang-19 -O2 (lower is better)"
set ylabel "time / native"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set grid ytics
set yrange [0:{ymax * 1.1:.2f}]
set xtics rotate by -30
set xrange [-0.6:{len(res["kernels"]) + 0.6:.1f}]
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "black"
plot for [i=2:{len(engines) + 1}] "{dat}" using i:xtic(1) title columnheader(i)
"""
    p = subprocess.run([gnuplot], input=script, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise BenchError(f"gnuplot failed:\n{p.stdout}")


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Kiln's benchmark harness (see docs/bench.md)")
    ap.add_argument("--build-dir", required=True, help="Kiln build tree (has bin/kiln)")
    ap.add_argument("--scratch", required=True, help="directory for everything built")
    ap.add_argument("--results", default=os.path.join(BENCH_DIR, "results"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--filter", default="",
                    help="regex over kernel names (and 'compile', 'startup', 'micro', 'server')")
    ap.add_argument("--quick", action="store_true", help="1 run everywhere, no warm-up (smoke test)")
    ap.add_argument("--startup-runs", type=int, default=100)
    ap.add_argument("--compile-runs", type=int, default=3)
    ap.add_argument("--functions", type=int, default=3400, help="functions of the large module")
    ap.add_argument("--jobs", type=int, default=2, help="parallel builds of the kernels")
    ap.add_argument("--baseline-kiln", default="",
                    help="another kiln executable (e.g. a build of an earlier commit): engine "
                         "kiln-baseline, and kiln / kiln-baseline per kernel")
    ap.add_argument("--kiln-cpus", default="",
                    help="also build every kernel with kiln build --cpu C for each C of this "
                         "comma-separated list: engines kiln@C (e.g. generic,x86-64-v2,native)")
    ap.add_argument("--engines", default="",
                    help="comma-separated subset of the engines to run (native is always run)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count each kernel's executed instructions under callgrind "
                         "(deterministic, unlike time on a shared machine; slow)")
    ap.add_argument("--merge", action="store_true",
                    help="with a --filter that matches only sections (startup, compile, micro, server): "
                         "replace those sections of latest.json, dated, and rewrite latest.md")
    ap.add_argument("--report-only", action="store_true",
                    help="only write latest.md and latest.png again from RESULTS/latest.json")
    args = ap.parse_args()
    if args.report_only:
        with open(os.path.join(args.results, "latest.json")) as f:
            res = json.load(f)
        if "geomean_paired_ratio_to_native" not in res:
            add_paired_ratios(res)
            with open(os.path.join(args.results, "latest.json"), "w") as f:
                json.dump(res, f, indent=1)
                f.write("\n")
        write_markdown(os.path.join(args.results, "latest.md"), res)
        gnuplot = shutil.which("gnuplot") or shutil.which("gnuplot-nox")
        if gnuplot:
            os.makedirs(args.scratch, exist_ok=True)
            write_chart(os.path.join(args.results, "latest.png"), res, gnuplot, args.scratch)
        log(f"wrote {os.path.join(args.results, 'latest.md')} from latest.json")
        return 0
    if args.quick:
        args.runs, args.startup_runs, args.compile_runs = 1, 10, 1
    if args.runs < 1:
        raise BenchError("--runs must be at least 1")
    args.build_dir = os.path.abspath(args.build_dir)
    args.scratch = os.path.abspath(args.scratch)
    os.makedirs(args.scratch, exist_ok=True)
    os.makedirs(args.results, exist_ok=True)

    tools = Tools(args)
    engines = list(ALL_ENGINES)
    if not tools.cc2:
        log(f"{CC2} cannot build wasm32-wasi here (clang-16, libclang-rt-16-dev-wasm32): no kiln-clang16")
        engines.remove("kiln-clang16")
    if tools.baseline:
        engines.insert(engines.index("kiln") + 1, "kiln-baseline")
    if args.engines:
        wanted = set(args.engines.split(",")) | {"native"}
        unknown = wanted - set(engines)
        if unknown:
            raise BenchError(f"--engines: unknown {', '.join(sorted(unknown))} (known: {', '.join(engines)})")
        engines = [e for e in engines if e in wanted]
    at = engines.index("kiln") + 1 if "kiln" in engines else 1
    for i, cpu in enumerate(c for c in args.kiln_cpus.split(",") if c):
        engines.insert(at + i, "kiln@" + cpu)
    log(f"engines: {', '.join(engines)}")
    names = kernel_names(args.filter)
    if args.merge and (not args.filter or names):
        raise BenchError("--merge needs a --filter that matches no kernel (only the sections "
                         "startup, compile, micro, server): kernels are compared within one full run")
    sections = {s: (not args.filter or re.search(args.filter, s) is not None)
                for s in ("compile", "startup", "micro", "server")}

    res = {"schema": 1,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "machine": machine_info(),
           "tools": {"clang": tool_version([CC, "--version"]),
                     "rustc": tool_version([RUSTC, "--version"]) if RUSTC else "absent",
                     "clang16": tool_version([CC2, "--version"]) if tools.cc2 else "absent",
                     "kiln": tool_version([tools.kiln, "--version"]) + f" ({args.build_dir})",
                     "kiln_cmake_build_type": cmake_build_type(args.build_dir),
                     "wasm2c": "wabt " + tool_version(["wasm2c", "--version"]),
                     "wasm_rt_impl": tools.wasm_rt_impl,
                     "node": tool_version(["node", "--version"]),
                     "hyperfine": tool_version([tools.hyperfine, "--version"]) if tools.hyperfine else "absent",
                     "gnuplot": tool_version([tools.gnuplot, "--version"]) if tools.gnuplot else "absent",
                     "wasi_sysroot_flags": " ".join(tools.sysroot_flags) or "(clang's default)"},
           "config": {"runs": args.runs, "quick": args.quick, "filter": args.filter, "engines": engines,
                      "native": f"{CC} {' '.join(NATIVE_FLAGS)}",
                      "wasm": f"{CC} {' '.join(WASM_FLAGS)} -c, then linked without -O",
                      "rust": (f"{RUSTC} {' '.join(RUST_FLAGS)} natively and with --target wasm32-wasi"
                               if RUSTC else "absent"),
                      "kiln": "kiln build -O2 (sealed executable)",
                      "kiln-clang16": (f"{CC2} {' '.join(WASM_FLAGS)} -c + its compiler-rt, wasm-ld without "
                                       "-O; kiln build -O2" if tools.cc2 else "absent"),
                      "kiln-baseline": (f"{tools.baseline} build -O2 ({tool_version([tools.baseline, '--version'])})"
                                        if tools.baseline else "absent"),
                      "kiln-nochecks": "kiln build -O2 --no-interrupt-checks",
                      "kiln-relaxed": "kiln build -O2 --relaxed-dead-loads",
                      "kiln-bounds": "kiln build -O2 --bounds-checks",
                      "wasm2c": f"wasm2c -n kernel + {CC} -O2 with wasm-rt-impl.c (guard pages) + bench/wasm2c/wasi_shim.c",
                      "node": "node --no-warnings bench/node/run.mjs (node:wasi preview1)",
                      "timing": "wall time of the whole process (spawn to exit), Python time.perf_counter; "
                                "interleaved rounds; median"},
           "kernels": {}}

    if names:
        log(f"building {len(names)} kernels: {' '.join(names)}")
        kernels, sizes = {}, {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for name, exes, size in pool.map(lambda n: build_kernel(tools, engines, args.scratch, n), names):
                kernels[name] = exes
                sizes[name] = size
        samples, outputs = run_kernels(kernels, engines, args.runs, warmup=not args.quick)
        for k in names:
            nat = statistics.median(samples[k]["native"])
            kr = {"checksum": outputs[k].strip(), "wasm_bytes": sizes[k], "engines": {}}
            for e in engines:
                if not samples[k][e]:  # n/a: the engine could not build this kernel
                    continue
                med = statistics.median(samples[k][e])
                kr["engines"][e] = {"median_s": med, "samples_s": samples[k][e], "ratio_to_native": med / nat}
            res["kernels"][k] = kr
        add_paired_ratios(res)
        if args.instructions:
            valgrind = shutil.which("valgrind")
            if not valgrind:
                raise BenchError("--instructions needs valgrind (apt-get install valgrind)")
            log("counting instructions with callgrind (one run per kernel and engine)")
            add_instructions(res, kernels, engines, valgrind)
        res["geomean_ratio_to_native"] = {
            e: geomean([res["kernels"][k]["engines"][e]["ratio_to_native"] for k in names
                        if e in res["kernels"][k]["engines"]]) for e in engines}
        if "kiln-baseline" in engines:
            res["baseline_ratio"] = pair_cost(
                res, names, "kiln-baseline", "kiln / kiln-baseline: 1.01 = this build is 1% slower")
        if "kiln-nochecks" in engines:
            res["interrupt_overhead"] = pair_cost(
                res, names, "kiln-nochecks", "kiln / kiln-nochecks: 1.02 = the checks cost 2%")
        if "kiln-relaxed" in engines:
            res["exact_loads_cost"] = pair_cost(
                res, names, "kiln-relaxed",
                "kiln / kiln-relaxed: 1.01 = keeping every out-of-bounds load trapping costs 1%")
        if "kiln-bounds" in engines:
            res["geomean_bounds_to_kiln"] = geomean(
                [res["kernels"][k]["engines"]["kiln-bounds"]["median_s"] / res["kernels"][k]["engines"]["kiln"]["median_s"]
                 for k in names])
        flags = []
        for k in names:
            e = res["kernels"][k]["engines"]
            why = []
            if e["kiln"]["ratio_to_native"] > 1.10:
                why.append(f"{e['kiln']['ratio_to_native']:.2f}x native")
            if "wasm2c" in e and e["kiln"]["median_s"] > e["wasm2c"]["median_s"]:
                why.append(f"slower than wasm2c ({e['wasm2c']['ratio_to_native']:.2f}x)")
            if "node" in e and e["kiln"]["median_s"] > e["node"]["median_s"]:
                why.append(f"slower than node ({e['node']['ratio_to_native']:.2f}x)")
            if why:
                flags.append(f"{k}: kiln {', '.join(why)}")
        res["flags"] = flags

    if sections["compile"]:
        res["compile"] = bench_compile(tools, args.scratch, args.compile_runs, args.functions)
    if sections["startup"]:
        res["startup"] = bench_startup(tools, args.scratch, max(args.startup_runs, 1))
    if sections["micro"]:
        micro = bench_micro(args.build_dir, args.scratch)
        if micro is not None:
            res["micro"] = micro
    if sections["server"]:
        res["server"] = bench_server(args.build_dir, args.scratch, args.quick)

    for sec in ("compile", "startup", "server"):  # (micro maps benchmark names only)
        if sec in res:
            res[sec]["date"] = res["date"]
    if args.merge:
        # Sections measured now replace the ones of the last full run; its kernels stay.
        latest_path = os.path.join(args.results, "latest.json")
        with open(latest_path) as f:
            latest = json.load(f)
        merged = [sec for sec in ("compile", "startup", "micro", "server") if sec in res]
        for sec in merged:
            latest[sec] = res[sec]
        if "micro" in merged:
            latest["micro_date"] = res["date"]
        with open(latest_path, "w") as f:
            json.dump(latest, f, indent=1)
            f.write("\n")
        write_markdown(os.path.join(args.results, "latest.md"), latest)
        log(f"merged {', '.join(merged) or 'nothing'} into {latest_path} and latest.md")
    # A --filter run is partial: it goes to filtered.*, and latest.* keeps the last full run.
    base = "filtered" if args.filter else "latest"
    json_path = os.path.join(args.results, base + ".json")
    with open(json_path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    md_path = os.path.join(args.results, base + ".md")
    write_markdown(md_path, res)
    if names:
        if tools.gnuplot:
            write_chart(os.path.join(args.results, base + ".png"), res, tools.gnuplot, args.scratch)
        else:
            log(f"gnuplot not found: no {base}.png (install gnuplot-nox)")
    log(f"wrote {json_path} and {md_path}")
    if names:
        g = res["geomean_ratio_to_native"]
        log("geomean / native: " + ", ".join(f"{e} {g[e]:.3f}" for e in engines if e != "native" and g[e] is not None))
        for f in res["flags"]:
            log("  " + f)
    if "compile" in res:
        log(f"compile: kiln / (wasm2c + clang) = {res['compile']['ratio_kiln_to_wasm2c']:.2f}")
    if "startup" in res:
        st = res["startup"]
        log("start-up medians: " + ", ".join(f"{n} {fmt_s(e['median_s'])}" for n, e in st["engines"].items()))
    if "server" in res:
        log("request server: " + ", ".join(f"{n} {sc['rps']:.0f}/s p50 {sc['p50_ms']:.3f} ms p99 {sc['p99_ms']:.3f} ms"
                                            for n, sc in res["server"]["scenarios"].items()))
    return 0


def cmake_build_type(build_dir):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        sys.exit(1)
