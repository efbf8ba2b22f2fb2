/* basics.c -- a WASI guest for the end-to-end tests: arguments, environment and stdio.
 * Prints its arguments and the variables KILN_E2E_A, KILN_E2E_B and KILN_E2E_UNSET, echoes
 * standard input with its byte count, writes a line to stderr, and exits with N if its last
 * argument is "exit=N". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    static const char *const names[] = {"KILN_E2E_A", "KILN_E2E_B", "KILN_E2E_UNSET"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("%s=%s\n", names[i], v ? v : "(unset)");
    }
    char buf[256];
    size_t total = 0, n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    printf("stdin bytes=%zu\n", total);
    fputs("to stderr\n", stderr);
    if (argc > 1 && strncmp(argv[argc - 1], "exit=", 5) == 0) {
        fflush(stdout);
        exit(atoi(argv[argc - 1] + 5));
    }
    return 0;
}
