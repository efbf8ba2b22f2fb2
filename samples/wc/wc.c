/* wc.c -- Kiln's second sample: count lines, words and bytes and a CRC-32 (gzip's), like `wc`.
 *
 * Reads standard input, or each FILE given (a WASI runtime must pre-open its directory, e.g.
 * `wasmtime --dir=. wc.wasm notes.txt`), and prints one line per input plus a total. It is a
 * second compiler-produced module with a different shape from hello.c: file I/O imports
 * (fd_read, path_open through fopen), a 1 KiB CRC table in linear memory and a byte loop
 * the optimiser vectorises. Built to wasm32-wasi at build time (samples/CMakeLists.txt).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct counts {
    unsigned long long lines, words, bytes;
    uint32_t crc;
} counts;

/* The CRC-32 table (polynomial 0xEDB88320), built once on first use. */
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static void count_stream(FILE *in, counts *c)
{
    unsigned char buf[4096];
    int in_word = 0;
    uint32_t crc = 0xFFFFFFFFu;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = buf[i];
            crc = crc_table[(crc ^ ch) & 0xFF] ^ (crc >> 8);
            if (ch == '\n')
                c->lines++;
            if (isspace(ch)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                c->words++;
            }
        }
        c->bytes += n;
    }
    c->crc = crc ^ 0xFFFFFFFFu;
}

static void print_counts(const counts *c, const char *name)
{
    printf("%8llu %8llu %8llu  %08x  %s\n", c->lines, c->words, c->bytes, (unsigned)c->crc, name);
}

int main(int argc, char **argv)
{
    crc_init();
    if (argc < 2) {
        counts c = {0, 0, 0, 0};
        count_stream(stdin, &c);
        print_counts(&c, "-");
        return 0;
    }
    int status = 0;
    counts total = {0, 0, 0, 0};
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        counts c = {0, 0, 0, 0};
        count_stream(f, &c);
        fclose(f);
        print_counts(&c, argv[i]);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (argc > 2)
        printf("%8llu %8llu %8llu            total\n", total.lines, total.words, total.bytes);
    return status;
}
