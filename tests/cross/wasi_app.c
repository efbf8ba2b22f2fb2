/* wasi_app.c -- main() of a sample WASI command in a cross build, what `kiln build` generates
 * for a native one (its linking step uses the host's libraries, so a cross build links here).
 * The module is compiled by the host kiln with --prefix app; with KILN_APP_PREOPEN the
 * working directory is pre-opened as /work (the wc sample reads files from it).
 */
#include <kiln/wasi_main.h>

extern const kiln_module app_module;

int main(int argc, char **argv)
{
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
#ifdef KILN_APP_PREOPEN
    static const kiln_wasi_preopen dirs[1] = {{".", "/work", 0}};
    cfg.preopens = dirs;
    cfg.preopen_count = 1;
#endif
    return kiln_wasi_run_main(&app_module, &cfg, argc, argv);
}
