/* spin.c -- a guest that never ends, for --timeout (test_e2e.sh): with no argument it spins
 * in a loop, with `sleep` it sleeps in poll_oneoff. Either way `kiln run --timeout` and an
 * executable built with `kiln build --timeout` must stop it: status 124 and one line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    puts("started");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
        sleep(3600);
        return 3;
    }
    volatile unsigned x = 0;
    for (;;)
        x++;
}
