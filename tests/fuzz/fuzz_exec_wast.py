#!/usr/bin/env python3
"""fuzz_exec_wast.py: binaryen's fuzz-exec output as a spec script, and its log compared.

  fuzz_exec_wast.py convert KILN MODULE.wasm FUZZ_EXEC_OUTPUT OUT.wast OUT.expect
  fuzz_exec_wast.py compare OUT.expect KILN_LOG

convert: MODULE.wasm was made by `wasm-opt -ttf`, FUZZ_EXEC_OUTPUT is what
`wasm-opt --fuzz-exec-before` printed when binaryen's interpreter ran it (binaryen 108's
"[fuzz-exec] calling NAME" or 132's "[fuzz-exec] export NAME" format). OUT.wast holds the
module (`module binary`) and, for every export binaryen called or read, in the same order on
the same instance: assert_return with the values binaryen got (arguments all zero, as
binaryen passes them), assert_trap, assert_exhaustion or assert_exception; an exported
global's value is checked with `get` at its place. It runs under tests/fuzz's fuzz_exec_host,
which supplies the "fuzzing-support" host module and writes what the log-* imports are given
to the file named by KILN_FUZZ_LOG. OUT.expect holds the values binaryen logged, one call per
line, for `compare`. Types come from `KILN inspect --json`.

compare: the values Kiln logged (KILN_LOG) against OUT.expect: the same number of log calls
with the same values (a float NaN matches any NaN: which NaN arithmetic returns is
nondeterministic in Wasm; modules are made with --denan).

Exit status 0 (compare: the logs agree), 1 a difference (compare, printed), 3 when the module
uses something this script cannot express (the caller skips it, with the reason on stderr),
2 on bad usage.
"""
import json
import re
import struct
import subprocess
import sys

JS_ERROR = 0xBAD  # binaryen's payload of the externref a JS exception carries


class Unsupported(Exception):
    pass


def wast_string(name):
    out = []
    for b in name.encode("utf-8"):
        c = chr(b)
        out.append(c if 0x20 <= b < 0x7F and c not in '"\\' else "\\%02x" % b)
    return "".join(out)


def float_const(t, text):
    m = re.fullmatch(r"(-?)nan(?::0x([0-9a-f]+))?", text)
    if m:
        payload = int(m.group(2) or "0", 16)
        quiet = 1 << (22 if t == "f32" else 51)
        if payload == 0 or payload & quiet:
            return "(%s.const nan:arithmetic)" % t
        return "(%s.const %snan:0x%x)" % (t, m.group(1), payload)
    m = re.fullmatch(r"(-?)inf(inity)?", text)
    if m:
        return "(%s.const %sinf)" % (t, m.group(1))
    try:
        value = float(text)
    except ValueError:
        raise Unsupported("%s value %r" % (t, text))
    if t == "f32":
        # binaryen prints the f32 as a double; it is exactly representable as f32.
        value = struct.unpack("<f", struct.pack("<f", value))[0]
    return "(%s.const %s)" % (t, float.hex(value))


def const(t, text):
    """The wast constant (or pattern) for binaryen's printed value text of type t."""
    text = text.strip()
    if t in ("i32", "i64"):
        if not re.fullmatch(r"-?[0-9]+", text):
            raise Unsupported("%s value %r" % (t, text))
        return "(%s.const %s)" % (t, text)
    if t in ("f32", "f64"):
        return float_const(t, text)
    if t == "v128":
        m = re.fullmatch(r"i32x4((?: 0x[0-9a-f]{8}){4})", text)
        if not m:
            raise Unsupported("v128 value %r" % text)
        return "(v128.const i32x4%s)" % m.group(1)
    top = {"funcref": "func", "nullfuncref": "func", "externref": "extern",
           "nullexternref": "extern", "exnref": "exn", "nullexnref": "exn"}.get(t)
    if top is None:
        raise Unsupported("value of type %s" % t)
    if text == "null":
        return "(ref.null %s)" % top
    if top == "func" and text == "function":
        return "(ref.func)"
    if top == "extern":
        if text == "jserror":
            return "(ref.extern %d)" % JS_ERROR
        m = re.fullmatch(r"externref\(([0-9]+)\)", text)
        if m:
            return "(ref.extern %s)" % m.group(1)
    if top == "exn" and text.startswith("object("):
        return "(ref.exn)"
    raise Unsupported("%s value %r" % (t, text))


def zero(t):
    if t in ("i32", "i64", "f32", "f64"):
        return "(%s.const 0)" % t
    if t == "v128":
        return "(v128.const i64x2 0 0)"
    top = {"funcref": "func", "externref": "extern", "exnref": "exn"}.get(t)
    if top is None:
        raise Unsupported("parameter type %s" % t)
    return "(ref.null %s)" % top


def inspect(kiln, wasm_path):
    out = subprocess.run([kiln, "inspect", "--json", wasm_path], capture_output=True,
                         check=False)
    if out.returncode != 0:
        raise Unsupported("kiln inspect: %s" % out.stderr.decode(errors="replace").strip())
    d = json.loads(out.stdout)
    types = {t["index"]: (t.get("params", []), t.get("results", [])) for t in d["types"]}
    funcs = {f["index"]: f["type"] for f in d["functions"]}
    globals_ = {g["index"]: g["type"] for g in d["globals"]}
    exports = {}
    for e in d["exports"]:
        if e["kind"] == "func":
            exports[e["name"]] = ("func", types[funcs[e["index"]]])
        elif e["kind"] == "global":
            exports[e["name"]] = ("global", globals_[e["index"]])
    return exports


def logged_values(text):
    """The values of one '[LoggingExternalInterface logging ...]' line, as printed."""
    text = text.strip()
    vals, i = [], 0
    toks = text.split()
    while i < len(toks):
        if toks[i] == "i32x4":
            vals.append(" ".join(toks[i:i + 5]))
            i += 5
        else:
            vals.append(toks[i])
            i += 1
    return vals


def convert(kiln, wasm_path, log):
    exports = inspect(kiln, wasm_path)
    wasm = open(wasm_path, "rb").read()
    module = "(module binary \"%s\")\n" % "".join("\\%02x" % b for b in wasm)
    cmds, expect = [], []
    legacy = "[fuzz-exec] calling " in log  # binaryen 108
    current = None  # [name, result texts, trap, exception, is global]
    lines = log.splitlines()

    def flush():
        if current is None:
            return
        name, results, trap, exception, _ = current
        if name not in exports:
            raise Unsupported("export %r not in the module" % name)
        kind, ty = exports[name]
        if kind == "global":
            if len(results) != 1:
                raise Unsupported("global %r: %d values" % (name, len(results)))
            cmds.append('(assert_return (get "%s") %s)\n'
                        % (wast_string(name), const(ty, results[0])))
            return
        params, rtypes = ty
        inv = '(invoke "%s"%s)' % (wast_string(name),
                                   "".join(" " + zero(t) for t in params))
        if legacy and "hangLimitInitializer" in exports:
            # binaryen 108 resets the hang limit (a global its loops and calls count down)
            # before each call.
            cmds.append('(assert_return (invoke "hangLimitInitializer"))\n')
        if trap is not None:
            if "stack limit" in trap or "call stack" in trap:
                cmds.append('(assert_exhaustion %s "call stack exhausted")\n' % inv)
            else:
                cmds.append('(assert_trap %s "") ;; binaryen: %s\n' % (inv, trap))
        elif exception is not None:
            cmds.append("(assert_exception %s) ;; binaryen: %s\n" % (inv, exception))
        elif not results and rtypes:
            raise Unsupported("%r returned nothing, its type has %d results"
                              % (name, len(rtypes)))
        else:
            if len(results) != len(rtypes):
                raise Unsupported("%r: %d values for %d results"
                                  % (name, len(results), len(rtypes)))
            cmds.append("(assert_return %s%s)\n"
                        % (inv, "".join(" " + const(t, v) for t, v in zip(rtypes, results))))

    in_result = False
    for line in lines:
        m = re.match(r"\[fuzz-exec\] (?:calling|export) (.*)$", line)
        if m:
            flush()
            name = m.group(1)
            is_global = exports.get(name, ("func",))[0] == "global"
            current = [name, [], None, None, is_global]
            in_result = False
            continue
        m = re.match(r"\[LoggingExternalInterface logging ?(.*)\]$", line)
        if m and current is None:
            expect.append(logged_values(m.group(1)))  # logged by the start function
            continue
        if current is None:
            continue
        if m:
            in_result = False
            if current[4]:
                current[1].append(m.group(1))  # an exported global's value
            else:
                expect.append(logged_values(m.group(1)))
            continue
        m = re.match(r"\[fuzz-exec\] note result: (.*?) => (.*)$", line)
        if m:
            if m.group(1) != current[0]:
                raise Unsupported("result of %r while calling %r" % (m.group(1), current[0]))
            current[1].append(m.group(2))
            in_result = True
            continue
        m = re.match(r"\[trap (.*)\]$", line)
        if m:
            current[2] = m.group(1)
            in_result = False
            continue
        m = re.match(r"\[exception thrown: (.*)\]$", line)
        if m:
            current[3] = m.group(1)
            in_result = False
            continue
        if line.startswith("[host limit") or "ignoring comparison" in line:
            raise Unsupported(line)
        if line.startswith("[LoggingExternalInterface"):
            raise Unsupported(line)  # log-branch, log-execution, an unknown import
        if in_result and not line.startswith(("[", "warning:")):
            current[1].append(line)  # the next value of a multi-value result
            continue
        in_result = False
    flush()
    if not cmds and exports:
        # binaryen printed nothing: instantiating the module trapped.
        return "(assert_trap %s \"\")\n" % module.strip(), expect
    return module + "".join(cmds), expect


def same_float(bits_text, t, printed):
    bits = int(bits_text, 16)
    if t == "f32":
        nan = (bits & 0x7F800000) == 0x7F800000 and (bits & 0x7FFFFF) != 0
        value = struct.unpack("<f", struct.pack("<I", bits))[0]
    else:
        nan = (bits >> 52 & 0x7FF) == 0x7FF and (bits & ((1 << 52) - 1)) != 0
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if printed.lstrip("-").startswith("nan"):
        return nan
    if nan:
        return False
    try:
        want = float(printed)  # also "inf", "-inf", "infinity"
    except ValueError:
        return False
    if t == "f32":
        want = struct.unpack("<f", struct.pack("<f", want))[0]
    # the same value and, for zeros, the same sign
    return value == want and struct.pack("<d", value)[7] >> 7 == struct.pack("<d", want)[7] >> 7


def same_log(kiln_line, printed):
    """Whether one of Kiln's log lines ("i32 -5", ...) is the values binaryen printed."""
    parts = kiln_line.split()
    t = parts[0]
    if t == "i32":
        return printed == [parts[1]]
    if t == "i64":
        v = int(parts[1]) & (1 << 64) - 1
        lo, hi = v & 0xFFFFFFFF, v >> 32
        signed = [x - (1 << 32) if x >= 1 << 31 else x for x in (lo, hi)]
        return printed == [str(signed[0]), str(signed[1])]
    if t in ("f32", "f64"):
        return len(printed) == 1 and same_float(parts[1], t, printed[0])
    if t == "v128":
        return printed == ["i32x4 " + " ".join(parts[1:])]
    return False


def compare(expect_path, kiln_log_path):
    expect = [json.loads(line) for line in open(expect_path, encoding="utf-8")]
    try:
        got = [line.rstrip("\n") for line in open(kiln_log_path, encoding="utf-8")]
    except FileNotFoundError:
        got = []
    for i, (want, have) in enumerate(zip(expect, got)):
        if not same_log(have, want):
            print("log call %d: binaryen logged %s, Kiln %s" % (i + 1, " ".join(want), have))
            return 1
    if len(expect) != len(got):
        print("binaryen logged %d calls, Kiln %d" % (len(expect), len(got)))
        return 1
    return 0


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "convert":
        _, _, kiln, wasm_path, log_path, wast_path, expect_path = sys.argv
        log = open(log_path, encoding="utf-8", errors="replace").read()
        try:
            text, expect = convert(kiln, wasm_path, log)
        except Unsupported as e:
            print("%s: skipped: %s" % (wasm_path, e), file=sys.stderr)
            return 3
        with open(wast_path, "w") as f:
            f.write(text)
        with open(expect_path, "w") as f:
            f.writelines(json.dumps(v) + "\n" for v in expect)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3])
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
