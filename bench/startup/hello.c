/* hello.c -- the start-up benchmark's program: a hello world, so that what is timed is
 * process start to exit (exec, runtime and WASI set-up, instantiation, one write, tear-down)
 * and nothing else. bench/harness.py builds it natively and for every engine. write() rather
 * than stdio, as in the kernels (bench.h): the wasm2c WASI shim has only fd_write. */
#include <unistd.h>

int main(void)
{
    static const char line[] = "hello, world\n";
    return write(1, line, sizeof line - 1) == (ssize_t)(sizeof line - 1) ? 0 : 1;
}
