/* fuzz_wat.c -- libFuzzer target: arbitrary bytes through the text reader (kiln_wat_to_wasm).
 *
 * Any input must end in a module or a diagnostic, never a crash, a sanitizer report, a leak,
 * a hang or a huge allocation: the reader bounds its recursion (KILN_MAX_TEXT_DEPTH) and its
 * output (KILN_MAX_MODULE_SIZE). Checked beyond that: a malformed-text diagnostic always has
 * a line and column inside the input and formats into any buffer; what the reader produces
 * goes on through kiln_decode and kiln_validate, as every caller does, and their errors through
 * kiln_wat_locate (again a position inside the input). kiln_is_wat and
 * kiln_module_input are driven by the same bytes.
 * Built with -fsanitize=fuzzer when KILN_FUZZ=ON (seed it with tests/fuzz/corpus-wat/ and the
 * spec suite's .wast files); the same function is linked into fuzz_wat_replay, which runs
 * tests/fuzz/corpus-wat/ in every build (ctest fuzz.replay_wat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void check_diag(const kiln_diag *d, const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 16, 512};
    char buf[512];
    for (size_t i = 0; i < KILN_ARRAY_LEN(sizes); i++) {
        memset(buf, 'x', sizeof buf);
        sink += (size_t)kiln_diag_format(d, "fuzz.wat", buf, sizes[i]);
        if (!memchr(buf, '\0', sizes[i]))
            abort(); /* not NUL-terminated within the given size */
    }
    if (d->line != 0) {
        /* The position is inside the input (or just past its end). */
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (d->line > lines || d->column == 0 || d->offset > size)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_diag d;
    kiln_diag_init(&d);
    uint8_t *out;
    size_t out_size;
    if (kiln_wat_to_wasm(data, size, &out, &out_size, &d)) {
        wasm_module m;
        kiln_diag_init(&d);
        bool valid = kiln_decode(&m, out, out_size, NULL, &d) && kiln_validate(&m, NULL, &d);
        wasm_module_free(&m);
        free(out);
        /* A decode or validation error placed back in the text must lie inside it. */
        if (!valid && kiln_wat_locate(data, size, &d))
            check_diag(&d, data, size);
        sink += valid;
    } else {
        if (d.code == KILN_OK)
            abort(); /* a failure without a diagnostic */
        check_diag(&d, data, size);
    }

    const uint8_t *bytes;
    size_t n;
    uint8_t *owned;
    kiln_diag_init(&d);
    sink += kiln_is_wat(data, size);
    if (kiln_module_input(data, size, &bytes, &n, &owned, &d))
        sink += n;
    free(owned);
    return 0;
}
