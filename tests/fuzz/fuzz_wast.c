/* fuzz_wast.c -- libFuzzer target: arbitrary bytes through the spec-script reader of
 * `kiln wast` (cli/wast/wast_text.c, wast_text_read), which converts each module with the
 * text reader and writes the commands as JSON.
 *
 * Any input must end in a converted script or an error message, never a crash, a sanitizer
 * report, a leak or a hang. Checked beyond that: the JSON written, for a script it accepts,
 * parses with the runner's JSON reader and has a "commands" array; a rejected script's message
 * is non-empty and names the script. No module files are written (dir NULL).
 * Built with -fsanitize=fuzzer when KILN_FUZZ=ON (seed it with the spec suite's .wast files);
 * the same function is linked into fuzz_wast_replay, which runs tests/fuzz/corpus-wast/ in
 * every build (ctest fuzz.replay_wast).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "wast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = NULL;
    size_t json_size = 0;
    FILE *out = open_memstream(&json, &json_size);
    if (out == NULL)
        return 0;
    char err[512] = "";
    bool wasm3 = size % 2 == 1; /* both readings of module text, by an input's parity */
    bool ok = wast_text_read(data, size, "fuzz.wast", NULL, "fuzz", out, wasm3, err, sizeof err);
    if (fclose(out) != 0) {
        free(json);
        return 0;
    }
    if (ok) {
        kiln_arena arena;
        kiln_arena_init(&arena, NULL);
        const json_value *root = NULL;
        kiln_diag d;
        kiln_diag_init(&d);
        if (!json_parse(json, json_size, &arena, &root, &d))
            abort(); /* the reader wrote JSON the runner cannot read */
        const json_value *commands = json_get(root, "commands");
        if (commands == NULL || commands->kind != JSON_ARRAY)
            abort();
        kiln_arena_free(&arena);
    } else if (strncmp(err, "fuzz.wast:", 10) != 0) {
        abort(); /* an error that does not say where */
    }
    free(json);
    return 0;
}
