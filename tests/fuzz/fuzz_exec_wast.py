#!/usr/bin/env python3
"""fuzz_exec_wast.py MODULE.wasm FUZZ_EXEC_OUTPUT OUT.wast

Turns a module made by binaryen's `wasm-opt -ttf` and what `wasm-opt --fuzz-exec` printed
when binaryen's interpreter ran it into a spec test script for `kiln wast`: a host module
registered as "fuzzing-support" (the log-* imports, which do nothing here), the module
itself (`module binary`), and for every export binaryen called, in the same order and on
the same instance, after resetting the hang limit as binaryen does, assert_return with the
value binaryen got (arguments all zero, as binaryen passes them) or assert_trap / assert_exhaustion. A NaN result matches any NaN of
the same quietness (binaryen's interpreter and the hardware may differ in payload).

Exit status 0, or 3 when the module uses something this script cannot express (the
caller skips it, with the reason on stderr), 2 on bad usage.
"""
import re
import struct
import sys

I32, I64, F32, F64, V128 = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B
NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128"}


class Unsupported(Exception):
    pass


def leb(b, i, signed=False):
    result = shift = 0
    while True:
        byte = b[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte & 0x80 == 0:
            if signed and byte & 0x40:
                result -= 1 << shift
            return result, i


def parse(wasm):
    """(types, func type index of every function, {export name: func index})."""
    if wasm[:8] != b"\0asm\1\0\0\0":
        raise Unsupported("not a wasm module")
    i, types, funcs, exports = 8, [], [], {}
    while i < len(wasm):
        sid = wasm[i]
        size, i = leb(wasm, i + 1)
        end = i + size
        if sid == 1:
            n, i = leb(wasm, i)
            for _ in range(n):
                if wasm[i] != 0x60:
                    raise Unsupported("type form 0x%02x" % wasm[i])
                np, i = leb(wasm, i + 1)
                params = list(wasm[i:i + np])
                i += np
                nr, i = leb(wasm, i)
                results = list(wasm[i:i + nr])
                i += nr
                types.append((params, results))
        elif sid == 2:
            n, i = leb(wasm, i)
            for _ in range(n):
                for _ in range(2):
                    ln, i = leb(wasm, i)
                    i += ln
                kind = wasm[i]
                i += 1
                if kind == 0:
                    t, i = leb(wasm, i)
                    funcs.append(t)
                elif kind == 1:  # table: reftype, limits
                    i += 1
                    flags, i = leb(wasm, i + 0)
                    _, i = leb(wasm, i)
                    if flags & 1:
                        _, i = leb(wasm, i)
                elif kind == 2:  # memory: limits
                    flags, i = leb(wasm, i)
                    _, i = leb(wasm, i)
                    if flags & 1:
                        _, i = leb(wasm, i)
                elif kind == 3:  # global: valtype, mutability
                    i += 2
                else:
                    raise Unsupported("import kind %d" % kind)
        elif sid == 3:
            n, i = leb(wasm, i)
            for _ in range(n):
                t, i = leb(wasm, i)
                funcs.append(t)
        elif sid == 7:
            n, i = leb(wasm, i)
            for _ in range(n):
                ln, i = leb(wasm, i)
                name = wasm[i:i + ln].decode()
                i += ln
                kind = wasm[i]
                idx, i = leb(wasm, i + 1)
                if kind == 0:
                    exports[name] = idx
        i = end
    return types, funcs, exports


def const(t, text):
    """The wast constant for binaryen's printed value `text` of type t."""
    name = NAMES.get(t)
    if name is None:
        raise Unsupported("result type 0x%02x" % t)
    text = text.strip()
    if t == V128:
        # binaryen prints the four 32-bit lanes in hex. Compared bit for bit: a NaN lane from
        # float arithmetic may differ in payload (then the difference is binaryen's to judge).
        m = re.fullmatch(r"i32x4((?: 0x[0-9a-f]{8}){4})", text)
        if not m:
            raise Unsupported("v128 result %r" % text)
        return "(v128.const i32x4%s)" % m.group(1)
    if t in (I32, I64):
        if not re.fullmatch(r"-?[0-9]+", text):
            raise Unsupported("%s result %r" % (name, text))
        return "(%s.const %s)" % (name, text)
    m = re.fullmatch(r"(-?)nan(?::0x([0-9a-f]+))?", text)
    if m:
        payload = int(m.group(2) or "0", 16)
        quiet = 1 << (22 if t == F32 else 51)
        if payload & quiet:
            return "(%s.const nan:arithmetic)" % name
        return "(%s.const %snan:0x%x)" % (name, m.group(1), payload)
    m = re.fullmatch(r"(-?)inf(inity)?", text)
    if m:
        return "(%s.const %sinf)" % (name, m.group(1))
    try:
        value = float(text)
    except ValueError:
        raise Unsupported("%s result %r" % (name, text))
    if t == F32:
        # binaryen prints the float's shortest decimal; round-trip it through f32 exactly.
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
        back = struct.unpack("<f", struct.pack("<I", bits))[0]
        return "(f32.const %s)" % float.hex(back)
    return "(f64.const %s)" % float.hex(value)


def zero(t):
    if t not in NAMES:
        raise Unsupported("parameter type 0x%02x" % t)
    if t == V128:
        return "(v128.const i64x2 0 0)"
    return "(%s.const 0)" % NAMES[t]


HOST = """(module $fuzzing_support
  (func (export "log-i32") (param i32))
  (func (export "log-i64") (param i64))
  (func (export "log-f32") (param f32))
  (func (export "log-f64") (param f64))
  (func (export "log-v128") (param v128)))
(register "fuzzing-support" $fuzzing_support)
"""


def convert(wasm, log):
    types, funcs, exports = parse(wasm)
    out = [HOST, "(module binary \"%s\")\n" % "".join("\\%02x" % b for b in wasm)]
    calling = None
    lines = log.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        k += 1
        m = re.match(r"\[fuzz-exec\] calling (.*)$", line)
        if m:
            if calling is not None:  # the previous call returned nothing
                out.append(invoke_cmd(types, funcs, exports, calling, None))
            calling = m.group(1)
            continue
        if calling is None:
            continue
        m = re.match(r"\[fuzz-exec\] note result: (.*?) => (.*)$", line)
        if m:
            if m.group(1) != calling:
                raise Unsupported("result of %r while calling %r" % (m.group(1), calling))
            out.append(invoke_cmd(types, funcs, exports, calling, m.group(2)))
            calling = None
            continue
        m = re.match(r"\[trap (.*)\]$", line)
        if m:
            out.append(invoke_cmd(types, funcs, exports, calling, None, trap=m.group(1)))
            calling = None
            continue
        if line.startswith("[host limit") or "exceeds" in line:
            raise Unsupported(line)
    if calling is not None:
        out.append(invoke_cmd(types, funcs, exports, calling, None))
    return "".join(out)


def invoke_cmd(types, funcs, exports, name, result, trap=None):
    if name not in exports:
        raise Unsupported("export %r not found" % name)
    params, results = types[funcs[exports[name]]]
    args = " ".join(zero(t) for t in params)
    inv = '(invoke "%s"%s)' % (name, " " + args if args else "")
    # binaryen resets the hang limit (a global its loops and calls count down) before each call.
    reset = '(assert_return (invoke "hangLimitInitializer"))\n'
    if "hangLimitInitializer" not in exports:
        reset = ""
    return reset + command(inv, results, result, trap, name)


def command(inv, results, result, trap, name):
    if trap is not None:
        if "stack limit" in trap or "call stack" in trap:
            return "(assert_exhaustion %s \"call stack exhausted\")\n" % inv
        return "(assert_trap %s \"\") ;; binaryen: %s\n" % (inv, trap)
    if result is None:
        if results:
            raise Unsupported("%r returned nothing, type has %d results" % (name, len(results)))
        return "(assert_return %s)\n" % inv
    if len(results) != 1:
        raise Unsupported("%r: %d results" % (name, len(results)))
    return "(assert_return %s %s)\n" % (inv, const(results[0], result))


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    wasm = open(sys.argv[1], "rb").read()
    log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
    try:
        text = convert(wasm, log)
    except Unsupported as e:
        print("%s: skipped: %s" % (sys.argv[1], e), file=sys.stderr)
        return 3
    with open(sys.argv[3], "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
