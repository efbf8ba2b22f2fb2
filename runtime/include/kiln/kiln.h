/* kiln.h -- the embedder API of libkiln_runtime.
 *
 * Programs that run Kiln-compiled modules include this header and link libkiln_runtime.a.
 * For now it only reports the runtime's version; instances, pools and traps arrive with
 * code generation (issue 3).
 */
#ifndef KILN_KILN_H
#define KILN_KILN_H

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION_MAJOR 0
#define KILN_VERSION_MINOR 1
#define KILN_VERSION_PATCH 0

/* The runtime's version as "MAJOR.MINOR.PATCH"; a static string. */
const char *kiln_runtime_version(void);

#ifdef __cplusplus
}
#endif

#endif
