/* wasi.c -- entry points of libkiln_wasi (the full preview1 set arrives with issue 5). */
#include "kiln/wasi.h"

__attribute__((visibility("default"))) const char *kiln_wasi_snapshot(void)
{
    return "wasi_snapshot_preview1";
}
