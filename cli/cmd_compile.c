/* cmd_compile.c -- `kiln compile FILE.wasm [-o OUT] [--header OUT.h] [options]`
 *
 * Parses the command line into kiln_compile_options and runs kiln_compile, which writes the
 * files. Usage errors are "kiln compile: MESSAGE" + a pointer to the help (exit status 2);
 * compile errors are one "FILE:0xOFFSET: error: MESSAGE" line (kiln_diag_format), exit status
 * 1. `-o -` writes the output to standard output. The tests' kiln_cg runs this same function
 * linked with the code generator itself instead of the plugin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_compile_help[] =
    "Usage: kiln compile FILE.wasm [-o OUT] [--header OUT.h] [--prefix NAME] [-O0..-O3]\n"
    "                    [--target TRIPLE] [--cpu NAME] [--emit obj|asm|llvm] [--bounds-checks]\n"
    "                    [--interrupt-checks signal|full|none] [--sealed-imports LIST]\n"
    "                    [-j N] [--partition-size BYTES] [--disable-FEATURE...]\n"
    "\n"
    "Compile a WebAssembly module to a relocatable object that links with libkiln_runtime,\n"
    "and optionally a C header to call its exports. FILE is a binary module or module text\n"
    "(.wat), told apart by its content.\n"
    "\n"
    "Options:\n"
    "  -o OUT            output file ('-' = standard output); default: FILE's stem + .o,\n"
    "                    .s or .ll in the current directory\n"
    "  --header OUT.h    also write the C header: PREFIX_module and one typed wrapper\n"
    "                    PREFIX_EXPORT per exported function (docs/abi.md)\n"
    "  --prefix NAME     symbol prefix, a C identifier; default: FILE's stem, sanitised\n"
    "  --sealed-imports LIST\n"
    "                    bind the function imports of these modules at link time: the\n"
    "                    object calls the C function PREFIX_import_MODULE_NAME the header\n"
    "                    declares. LIST: module names separated by ',', '*' for all,\n"
    "                    -NAME to leave NAME out again (e.g. '*,-wasi_snapshot_preview1')\n"
    "  -O0 -O1 -O2 -O3   optimisation level (default -O2)\n"
    "  -Os, -Oz          optimise for size (-Oz: smallest; for flash-bound firmware)\n"
    "  --target TRIPLE   target triple (default: the host's)\n"
    "  --cpu NAME        target CPU (default: generic; 'native' = this machine's CPU)\n"
    "  --emit KIND       obj (default), asm, or llvm (optimised textual IR)\n"
    "  -g                debug info: each function named by the module's name section\n"
    "                    (gdb breaks at a guest function by name; no line table yet)\n"
    "  --bounds-checks   check every memory access explicitly instead of relying on guard\n"
    "                    pages (always on for 32-bit targets; needed for bare metal)\n"
    "  --no-address-facts\n"
    "                    exact address wrapping in memories of 65,536 pages (4 GiB), at\n"
    "                    a cost in speed (docs/abi.md, \"Memory and aliasing\")\n"
    "  --relaxed-dead-loads\n"
    "                    an out-of-bounds load whose value is never used may not trap\n"
    "                    (not conformant; measures what exact traps cost, docs/abi.md)\n"
    "  --interrupt-checks MODE\n"
    "                    how running calls can be stopped (kiln_instance_interrupt,\n"
    "                    deadlines; docs/tasks.md): signal (default; checks at entries and\n"
    "                    in loops that call, a signal stops the rest), full (checks in every\n"
    "                    loop; the default for targets without an OS) or none (trusted code)\n"
    "  --no-interrupt-checks  the same as --interrupt-checks none\n"
    "  --disable-FEATURE refuse modules that use FEATURE, a compiled WebAssembly 3.0 feature\n"
    "                    (all are on by default): tail-call, multi-memory, memory64,\n"
    "                    extended-const, relaxed-simd, wide-arithmetic, custom-page-sizes;\n"
    "                    the module is 'unsupported' at the first use (docs/limits.md)\n"
    "  -j N, --jobs N    threads compiling a large module's parts (default: the number of\n"
    "                    online cores); the output is the same for every N\n"
    "  --partition-size BYTES\n"
    "                    bytes of function bodies per part (default 65536): objects of\n"
    "                    larger modules are compiled in parts merged by ld.lld -r\n"
    "  -h, --help        show this help\n"
    "\n"
    "The output depends only on the input and the options. KILN_VERIFY=1 in the environment\n"
    "runs LLVM's verifier on the generated IR.\n"
    "Exit status: 0 success, 1 the module cannot be compiled, 2 usage error.\n";

/* A decimal number in [min, max], all of text. */
static bool parse_count(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    if (text[0] < '0' || text[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static const char *const emit_names[] = {
    [KILN_EMIT_OBJ] = "obj", [KILN_EMIT_ASM] = "asm", [KILN_EMIT_LLVM] = "llvm"};
static const char *const emit_exts[] = {
    [KILN_EMIT_OBJ] = ".o", [KILN_EMIT_ASM] = ".s", [KILN_EMIT_LLVM] = ".ll"};

/* FILE's stem + ext, in the current directory. */
static void default_output(const char *input, const char *ext, char *out, size_t cap)
{
    const char *base = input;
    for (const char *p = input; *p; p++)
        if (*p == '/')
            base = p + 1;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        len = (size_t)(dot - base);
    snprintf(out, cap, "%.*s%s", (int)len, base, ext);
}

int cli_compile(int argc, char **argv)
{
    kiln_compile_options o;
    kiln_compile_options_init(&o);
    const char *input = NULL, *output = NULL, *emit = NULL, *jobs = NULL, *part_size = NULL;
    const char *interrupts = NULL;
    bool only_files = false;
    int status = CLI_EXIT_OK;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool missing = false;
        if (only_files || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (input)
                return cli_usage_error("compile", "expected one FILE, got '%s' and '%s'", input,
                                       arg);
            input = arg;
        } else if (strcmp(arg, "--") == 0) {
            only_files = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(cli_compile_help, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(arg, "-o") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("compile", "option '-o' needs a value");
            output = argv[++i];
        } else if (arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && arg[3] == '\0') {
            o.opt_level = arg[2] - '0';
            o.size_level = 0;
        } else if (strcmp(arg, "-Os") == 0 || strcmp(arg, "-Oz") == 0) {
            o.opt_level = 2;
            o.size_level = arg[2] == 's' ? 1 : 2;
        } else if (strncmp(arg, "-j", 2) == 0 && arg[2] != '\0') {
            jobs = arg + 2;
        } else if (strcmp(arg, "-j") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("compile", "option '-j' needs a value");
            jobs = argv[++i];
        } else if (strcmp(arg, "-g") == 0) {
            o.debug_info = true;
        } else if (strcmp(arg, "--bounds-checks") == 0) {
            o.bounds_checks = true;
        } else if (strcmp(arg, "--relaxed-dead-loads") == 0) {
            o.relaxed_dead_loads = true;
        } else if (strcmp(arg, "--no-address-facts") == 0) {
            o.no_address_facts = true;
        } else if (strcmp(arg, "--no-interrupt-checks") == 0) {
            o.interrupts = KILN_INTERRUPT_NONE;
        } else if (cli_disable_option("compile", arg, &o.disabled_features, &status)) {
            if (status != CLI_EXIT_OK)
                return status;
        } else if (cli_option_value(argc, argv, &i, "--header", &o.header_path, &missing) ||
                   cli_option_value(argc, argv, &i, "--prefix", &o.prefix, &missing) ||
                   cli_option_value(argc, argv, &i, "--sealed-imports", &o.sealed_imports,
                                    &missing) ||
                   cli_option_value(argc, argv, &i, "--target", &o.triple, &missing) ||
                   cli_option_value(argc, argv, &i, "--cpu", &o.cpu, &missing) ||
                   cli_option_value(argc, argv, &i, "--emit", &emit, &missing) ||
                   cli_option_value(argc, argv, &i, "--interrupt-checks", &interrupts, &missing) ||
                   cli_option_value(argc, argv, &i, "--jobs", &jobs, &missing) ||
                   cli_option_value(argc, argv, &i, "--partition-size", &part_size, &missing)) {
            if (missing)
                return cli_usage_error("compile", "option '%s' needs a value", arg);
        } else {
            return cli_usage_error("compile", "unknown option '%s'", arg);
        }
    }
    if (!input)
        return cli_usage_error("compile", "expected a FILE to compile");
    if (interrupts && !cli_interrupt_mode(interrupts, &o.interrupts))
        return cli_usage_error(
            "compile", "--interrupt-checks must be signal, full or none, not '%s'", interrupts);
    if (emit) {
        size_t k = 0;
        while (k < KILN_ARRAY_LEN(emit_names) && strcmp(emit, emit_names[k]) != 0)
            k++;
        if (k == KILN_ARRAY_LEN(emit_names))
            return cli_usage_error("compile", "--emit must be obj, asm or llvm, not '%s'", emit);
        o.emit = (kiln_emit_kind)k;
    }
    unsigned long n;
    if (jobs) {
        if (!parse_count(jobs, 1, 256, &n))
            return cli_usage_error("compile",
                                   "-j must be a number of threads from 1 to 256, not '%s'", jobs);
        o.jobs = (unsigned)n;
    }
    if (part_size) {
        if (!parse_count(part_size, 1, UINT32_MAX, &n))
            return cli_usage_error(
                "compile", "--partition-size must be a number of bytes from 1 to %u, not '%s'",
                UINT32_MAX, part_size);
        o.partition_size = (uint32_t)n;
    }
    if (o.prefix && !kiln_prefix_valid(o.prefix))
        return cli_usage_error("compile", "--prefix must be a C identifier of at most %u bytes",
                               KILN_MAX_PREFIX);

    char default_path[4096];
    if (!output) {
        default_output(input, emit_exts[o.emit], default_path, sizeof default_path);
        output = default_path;
    }
    bool to_stdout = strcmp(output, "-") == 0;
    o.input_path = input;
    o.output_path = to_stdout ? NULL : output;

    kiln_compile_result res;
    kiln_diag d;
    if (!kiln_compile(&o, to_stdout ? &res : NULL, &d)) {
        cli_print_diag(stderr, &d, input);
        return CLI_EXIT_FAIL;
    }
    if (to_stdout) {
        if (fwrite(res.output, 1, res.output_size, stdout) != res.output_size)
            status = CLI_EXIT_FAIL;
        kiln_compile_result_free(&res);
    }
    return status;
}
