/* wasi.h -- wasi_snapshot_preview1 for Kiln-compiled modules (libkiln_wasi).
 *
 * Thin for now: the WASI implementation arrives with issue 5.
 */
#ifndef KILN_WASI_H
#define KILN_WASI_H

#ifdef __cplusplus
extern "C" {
#endif

/* The WASI snapshot this library implements: "wasi_snapshot_preview1". */
const char *kiln_wasi_snapshot(void);

#ifdef __cplusplus
}
#endif

#endif
