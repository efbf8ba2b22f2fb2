/* test_rt_chain.c -- faults that are not Kiln's go to the handler installed before Kiln's.
 *
 * main installs a SA_SIGINFO handler (sa_mask {SIGUSR1}) before kiln_runtime_init, so it is
 * the "previous" handler. It either repairs the fault (mprotect the page read/write and
 * return, so the instruction re-executes) or siglongjmps back to the test. Covered: a fault
 * outside wasm, in a host function called from wasm, in generated code at an address outside
 * every memory reservation (all chained, with the mask the kernel would have set), and a
 * guard-page fault (claimed, not chained).
 *
 * SIG_DFL, SIG_IGN and a plain (non-SA_SIGINFO) previous handler each need a process of their
 * own: the test re-executes itself with --child <case> and checks how the child ended.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

static volatile uint8_t *volatile guarded; /* one PROT_NONE page outside any reservation */

static uint8_t *new_guarded_page(void)
{
    void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

/* ---- The "module": one host import, a store to `guarded`, a guard-page store ---- */

enum { F_HOST, F_CALL_HOST, F_POKE, F_OOB, F_COUNT };

KILN_GEN static void gen_adapter(kiln_vmctx *vm)
{
    uint64_t ar[2] = {0, 0};
    kiln_host_call(vm, F_HOST, ar);
}
KILN_GEN static void gen_call_host(kiln_vmctx *vm)
{
    kiln_import_slot *slot = &kiln_vm_imports(vm)[F_HOST];
    ((rt_fn_v_v)slot->code.p)(slot->vmctx.p);
}
KILN_GEN static void gen_poke(kiln_vmctx *vm)
{
    (void)vm;
    guarded[8] = 0x77;
}
KILN_GEN static void gen_oob(kiln_vmctx *vm)
{
    *(volatile uint8_t *)((uint8_t *)vm->mem0_base.p + (UINT64_C(6) << 30)) = 1;
}

static kiln_trap host_poke(void *env, kiln_instance *caller, const kiln_val *args,
                           kiln_val *results)
{
    (void)env, (void)caller, (void)args, (void)results;
    guarded[16] = 0x66; /* host code: never Kiln's fault, even inside a wasm call */
    return KILN_TRAP_NONE;
}

static const kiln_host_func host = {host_poke, NULL, 0, 0, NULL, NULL};
static desc_builder module_desc;

static kiln_instance *new_instance(void)
{
    desc_builder *m = &module_desc;
    desc_begin(m, "test");
    uint32_t t_v_v = desc_type(m, 0, 0, NULL);
    desc_import_func(m, "env", "poke", t_v_v, (void *)gen_adapter, rt_entry_v_v);
    desc_func(m, (void *)gen_call_host, rt_entry_v_v, t_v_v);
    desc_func(m, (void *)gen_poke, rt_entry_v_v, t_v_v);
    desc_func(m, (void *)gen_oob, rt_entry_v_v, t_v_v);
    desc_memory(m, rt_limits(1));
    kiln_import item = {"env", "poke", {.kind = KILN_KIND_HOST_FUNC, .of.host = &host}};
    kiln_imports list = {&item, 1};
    kiln_instance *inst = NULL;
    assert_int_equal(kiln_instance_new(desc_end(m), &list, &inst), KILN_STATUS_OK);
    return inst;
}

static kiln_trap invoke(kiln_instance *inst, uint32_t f)
{
    uint64_t ar[2] = {0, 0};
    return kiln_invoke(inst, f, ar);
}

/* ---- The previous handler ---- */

enum { MODE_REPAIR, MODE_JUMP };
static volatile sig_atomic_t mode, calls, segv_blocked, usr1_blocked;
static void *volatile fault_addr;
static sigjmp_buf jump_back;

static void previous_handler(int sig, siginfo_t *info, void *uc)
{
    (void)sig, (void)uc;
    calls++;
    fault_addr = info->si_addr;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    segv_blocked = sigismember(&cur, SIGSEGV);
    usr1_blocked = sigismember(&cur, SIGUSR1);
    if (mode == MODE_JUMP)
        siglongjmp(jump_back, 1);
    mprotect((void *)((uintptr_t)info->si_addr & ~(uintptr_t)4095), 4096, PROT_READ | PROT_WRITE);
}

static void reset(void)
{
    rt_arm();
    calls = segv_blocked = usr1_blocked = 0;
    fault_addr = NULL;
    mode = MODE_REPAIR;
    guarded = new_guarded_page();
}

static void test_fault_outside_wasm_is_chained(void **state)
{
    (void)state;
    reset();
    guarded[1] = 5; /* repaired by the previous handler, then re-executed */
    assert_int_equal(calls, 1);
    assert_ptr_equal(fault_addr, (void *)(uintptr_t)(guarded + 1));
    assert_int_equal(guarded[1], 5);
    /* The kernel would have blocked the signal and the handler's sa_mask. */
    assert_true(segv_blocked);
    assert_true(usr1_blocked);

    guarded = new_guarded_page();
    mode = MODE_JUMP;
    if (sigsetjmp(jump_back, 1) == 0) {
        guarded[2] = 1;
        fail_msg("the fault was not delivered");
    }
    assert_int_equal(calls, 2);
    assert_ptr_equal(fault_addr, (void *)(uintptr_t)(guarded + 2));
}

static void test_fault_in_host_code_during_wasm_is_chained(void **state)
{
    (void)state;
    reset();
    kiln_instance *inst = new_instance();
    assert_int_equal(invoke(inst, F_CALL_HOST), KILN_TRAP_NONE);
    assert_int_equal(calls, 1);
    assert_ptr_equal(fault_addr, (void *)(uintptr_t)(guarded + 16));
    assert_int_equal(guarded[16], 0x66);
    assert_int_equal(kiln_tls.depth, 0);
    kiln_instance_free(inst);
}

static void test_generated_code_fault_outside_memories_is_chained(void **state)
{
    (void)state;
    reset();
    kiln_instance *inst = new_instance();
    assert_int_equal(invoke(inst, F_POKE), KILN_TRAP_NONE);
    assert_int_equal(calls, 1);
    assert_ptr_equal(fault_addr, (void *)(uintptr_t)(guarded + 8));
    assert_int_equal(guarded[8], 0x77);
    kiln_instance_free(inst);
}

static void test_guard_page_fault_is_claimed(void **state)
{
    (void)state;
    reset();
    kiln_instance *inst = new_instance();
    assert_int_equal(invoke(inst, F_OOB), KILN_TRAP_MEMORY_OOB);
    assert_int_equal(calls, 0);
    kiln_instance_free(inst);
}

/* ---- Children: each installs its own previous disposition, then faults ---- */

static volatile sig_atomic_t plain_calls;
static void plain_handler(int sig)
{
    (void)sig;
    plain_calls++;
    mprotect((void *)(uintptr_t)guarded, 4096, PROT_READ | PROT_WRITE);
}

static int child(const char *which)
{
    prctl(PR_SET_DUMPABLE, 0); /* no core files from the deaths below */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    if (strcmp(which, "inherited") == 0) /* keep what the process started with */
        sigaction(SIGSEGV, NULL, &sa);
    if (strcmp(which, "ign") == 0 || strcmp(which, "ign-kill") == 0)
        sa.sa_handler = SIG_IGN;
    if (strcmp(which, "plain") == 0)
        sa.sa_handler = plain_handler;
    sigaction(SIGSEGV, &sa, NULL);
    if (kiln_runtime_init() != KILN_STATUS_OK)
        return 2;
    guarded = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (strcmp(which, "ign-kill") == 0) {
        raise(SIGSEGV); /* a sent SIGSEGV is honoured as ignored */
        return 0;
    }
    if (strcmp(which, "dfl-wasm") == 0) {
        kiln_instance *inst = new_instance();
        invoke(inst, F_POKE);
        return 3; /* not reached: the fault is not Kiln's, SIG_DFL kills */
    }
    guarded[0] = 1;
    return plain_calls == 1 ? 42 : 4;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
static const bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
static const bool sanitized = true;
#else
static const bool sanitized = false;
#endif
#else
static const bool sanitized = false;
#endif

/* Under qemu-user (cross builds) the kernel cannot run this binary itself: ctest passes the
 * emulator command in KILN_TEST_EMULATOR ("qemu-aarch64 -L /usr/aarch64-linux-gnu"), and the
 * child runs through it. Returns only if that is not possible. */
static void exec_emulated(char **args)
{
    const char *emu = getenv("KILN_TEST_EMULATOR");
    static char self[4096], words[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (emu == NULL || n <= 0 || strlen(emu) >= sizeof(words))
        return;
    self[n] = '\0';
    strcpy(words, emu);
    char *argv[16];
    size_t argc = 0;
    for (char *w = strtok(words, " "); w != NULL && argc < 10; w = strtok(NULL, " "))
        argv[argc++] = w;
    if (argc == 0)
        return;
    argv[argc++] = self;
    for (size_t i = 1; args[i] != NULL && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    execvp(argv[0], argv);
}

static int run_child(const char *which)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (strcmp(which, "inherited") == 0) { /* the sanitizer's report is expected */
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 2);
        }
        static char name[] = "test_rt_chain", flag[] = "--child";
        char *argv[] = {name, flag, (char *)(uintptr_t)which, NULL};
        execv("/proc/self/exe", argv);
        exec_emulated(argv);
        _exit(99);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void test_default_and_ignored_dispositions(void **state)
{
    (void)state;
    int st = run_child("dfl");
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_child("dfl-wasm");
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_child("ign"); /* the kernel does not let a real fault be ignored */
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_child("ign-kill");
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Whatever the process had at startup still gets the fault: SIG_DFL normally, the
     * sanitizer's own handler (which reports and exits) in -DKILN_SANITIZE builds. */
    st = run_child("inherited");
    if (sanitized)
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 4);
    else
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = run_child("plain");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 42);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child(argv[2]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = previous_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGSEGV, &sa, NULL);
    if (kiln_runtime_init() != KILN_STATUS_OK)
        return 1;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_outside_wasm_is_chained),
        cmocka_unit_test(test_fault_in_host_code_during_wasm_is_chained),
        cmocka_unit_test(test_generated_code_fault_outside_memories_is_chained),
        cmocka_unit_test(test_guard_page_fault_is_claimed),
        cmocka_unit_test(test_default_and_ignored_dispositions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
