/* Native oracle for the sigframe tests: an i386 program that raises signals from known
 * register states and dumps, from inside the handler, the raw frame the host kernel built
 * (from the handler's incoming esp, and the fpstate the sigcontext points to). Handlers
 * then modify the saved context and return, and the state after sigreturn is dumped.
 *
 * Output: one line per fact, "KEY hexword..." or "KEY hexbytes"; cases start with CASE
 * and end with END. Built by the Rust test with gcc -m32 -O0 -no-pie. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

struct regs { uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags, fcw, mxcsr; };
struct regs in_regs, out_regs;
uint32_t in_df; /* set DF before the instruction */
uint32_t saved_esp;

/* One trigger function per case: load the GPRs from in_regs, set up the x87 stack, run
 * INSN at NAME_insn, and at NAME_after store every register into out_regs. */
#define TRIGGER(name, insn)                                                        \
    extern void name(void);                                                        \
    extern char name##_insn[], name##_after[];                                     \
    __asm__(".text\n.globl " #name "\n" #name ":\n"                                \
            "pushal\n"                                                             \
            "movl %esp, saved_esp\n"                                               \
            "fninit\nfldpi\nfldz\nfld1\n"                                          \
            "cmpl $0, in_regs+28\nje 1f\nmovl in_regs+28, %esp\n1:\n"             \
            "movl in_regs+0, %eax\nmovl in_regs+4, %ebx\nmovl in_regs+8, %ecx\n"   \
            "movl in_regs+12, %edx\nmovl in_regs+16, %esi\nmovl in_regs+20, %edi\n" \
            "movl in_regs+24, %ebp\n"                                              \
            "cmpl $0, in_df\nje 2f\nstd\n2:\n"                                      \
            ".globl " #name "_insn\n" #name "_insn:\n" insn "\n"                   \
            ".globl " #name "_after\n" #name "_after:\n"                           \
            "movl %eax, out_regs+0\nmovl %ebx, out_regs+4\nmovl %ecx, out_regs+8\n" \
            "movl %edx, out_regs+12\nmovl %esi, out_regs+16\n"                     \
            "movl %edi, out_regs+20\nmovl %ebp, out_regs+24\n"                     \
            "movl %esp, out_regs+28\n"                                             \
            "pushfl\npopl out_regs+32\n"                                           \
            "fnstcw out_regs+36\nstmxcsr out_regs+40\n"                            \
            "cld\nfninit\nmovl saved_esp, %esp\npopal\nret\n");

TRIGGER(t_syscall, "int $0x80")
TRIGGER(t_vsyscall, "call *%gs:0x10")
TRIGGER(t_load, "movl (%eax), %eax")
TRIGGER(t_store, "movl %eax, (%ebx)")
TRIGGER(t_div, "divl %ecx")
TRIGGER(t_ud2, "ud2")
TRIGGER(t_int3, "int3")
TRIGGER(t_hlt, "hlt")

/* Restorers of our own, for SA_RESTORER. */
extern char my_restorer[], my_rt_restorer[];
__asm__(".text\n.globl my_restorer\nmy_restorer:\npopl %eax\nmovl $119, %eax\nint $0x80\n"
        ".globl my_rt_restorer\nmy_rt_restorer:\nmovl $173, %eax\nint $0x80\n");

static char *cur_after;
static int cur_modify;
static int pipefd[2];

static void hex(const char *key, const void *p, size_t n)
{
    const unsigned char *b = p;
    printf("%s ", key);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

/* The extended size the sw bytes announce, or the plain _fpstate_32 size. */
static size_t fp_size(const unsigned char *fp)
{
    uint32_t magic1, ext;
    memcpy(&magic1, fp + 112 + 464, 4);
    memcpy(&ext, fp + 112 + 468, 4);
    return magic1 == 0x46505853 ? ext : 624;
}

static void dump_blocked(void)
{
    uint32_t set[2] = {0, 0};
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, set, 8);
    printf("BLOCKED %08x %08x\n", set[0], set[1]);
}

/* The sigcontext words as the i386 struct sigcontext lays them out. */
enum { SC_EDI = 4, SC_ESI = 5, SC_EAX = 11, SC_EIP = 14, SC_EFLAGS = 16, SC_FPSTATE = 19 };

static void handle(uint32_t *esp, size_t frame_size, uint32_t *sc)
{
    uint32_t flags;
    __asm__ volatile("pushfl; popl %0" : "=r"(flags));
    printf("ENTRYFLAGS %08x\n", flags);
    unsigned char *fp = (unsigned char *)(uintptr_t)sc[SC_FPSTATE];
    size_t fpn = fp_size(fp);
    printf("FRAMEAT %08x\n", (uint32_t)(uintptr_t)esp);
    hex("FRAME", esp, frame_size);
    printf("FPAT %08x\n", (uint32_t)(uintptr_t)fp);
    hex("FP", fp, fpn);
    hex("PRETCODE", (void *)(uintptr_t)esp[0], 8);
    hex("EIPBYTES", (void *)(uintptr_t)sc[SC_EIP], 2);
    dump_blocked();
    if (cur_modify) {
        sc[SC_EIP] = (uint32_t)(uintptr_t)cur_after;
        sc[SC_EAX] = 0x600d0000 | esp[1];
        sc[SC_ESI] ^= 0xffffffff;
        sc[SC_EFLAGS] |= 0x400 | 0x200000 | 0x3000 | 0x1; /* DF, ID, IOPL, CF */
        uint16_t cw = 0x27f;
        memcpy(fp + 0, &cw, 2);         /* legacy cw: 53-bit precision */
        uint32_t mxcsr = 0x9f80;        /* FTZ */
        memcpy(fp + 112 + 24, &mxcsr, 4);
        hex("MODFRAME", esp, frame_size);
        hex("MODFP", fp, fpn);
    }
    /* Wake a restarted read. */
    if (write(pipefd[1], "x", 1) != 1)
        printf("WRITEFAIL\n");
    fflush(stdout);
}

static void rt_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si, (void)ucv;
    uint32_t *esp = (uint32_t *)((char *)__builtin_frame_address(0) + 4);
    handle(esp, 268, esp + 4 + 32 + 5); /* pretcode sig pinfo puc, info, uc head */
}

static void legacy_handler(int sig)
{
    (void)sig;
    uint32_t *esp = (uint32_t *)((char *)__builtin_frame_address(0) + 4);
    handle(esp, 732, esp + 2);
}

struct kact { uint32_t handler, flags, restorer; uint32_t mask[2]; };

static void install(int sig, int rt, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (rt)
        sa.sa_sigaction = rt_handler;
    else
        sa.sa_handler = legacy_handler;
    sa.sa_flags = flags | (rt ? SA_SIGINFO : 0);
    sigaddset(&sa.sa_mask, SIGWINCH);
    sigaction(sig, &sa, NULL);
    struct kact k;
    syscall(SYS_rt_sigaction, sig, NULL, &k, 8);
    printf("ACTION %08x %08x %08x %08x %08x %08x\n", sig, k.handler, k.flags, k.restorer,
           k.mask[0], k.mask[1]);
}

/* Installs through the raw system call with SA_RESTORER and one of our restorers. */
static void install_raw(int sig, int rt)
{
    struct kact k = {(uint32_t)(uintptr_t)(rt ? (void *)rt_handler : (void *)legacy_handler),
                     (rt ? SA_SIGINFO : 0) | 0x04000000,
                     (uint32_t)(uintptr_t)(rt ? my_rt_restorer : my_restorer), {0, 0}};
    syscall(SYS_rt_sigaction, sig, &k, NULL, 8);
    printf("ACTION %08x %08x %08x %08x %08x %08x\n", sig, k.handler, k.flags, k.restorer,
           k.mask[0], k.mask[1]);
}

static void set_regs(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    in_regs.eax = eax;
    in_regs.ebx = ebx;
    in_regs.ecx = ecx;
    in_regs.edx = edx;
    in_regs.esi = 0x51515151;
    in_regs.edi = 0xd1d1d1d1;
    in_regs.ebp = 0xb9b9b9b9;
    in_regs.esp = 0; /* 0: run on the caller's stack */
}

static void run(const char *name, void (*trigger)(void), char *insn, char *after, int modify)
{
    cur_after = after;
    cur_modify = modify;
    printf("CASE %s\n", name);
    printf("LABELS %08x %08x\n", (uint32_t)(uintptr_t)insn, (uint32_t)(uintptr_t)after);
    printf("IN %08x %08x %08x %08x %08x %08x %08x %08x\n", in_regs.eax, in_regs.ebx,
           in_regs.ecx, in_regs.edx, in_regs.esi, in_regs.edi, in_regs.ebp, in_regs.esp);
    fflush(stdout);
    trigger();
    printf("SAVEDESP %08x\n", saved_esp);
    printf("OUT %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x\n", out_regs.eax,
           out_regs.ebx, out_regs.ecx, out_regs.edx, out_regs.esi, out_regs.edi, out_regs.ebp,
           out_regs.esp, out_regs.eflags, out_regs.fcw & 0xffff, out_regs.mxcsr);
    printf("END\n");
    fflush(stdout);
    unsigned int dflt = 0x1f80;
    __asm__ volatile("ldmxcsr %0" ::"m"(dflt));
    char drain[16];
    int pending = 0;
    if (ioctl(pipefd[0], FIONREAD, &pending) == 0 && pending > 0)
        if (read(pipefd[0], drain, pending < 16 ? pending : 16) < 0)
            printf("DRAINFAIL\n");
}

static void arm_timer(void)
{
    /* Long enough that the read is blocking when it fires, even on a loaded host. */
    struct itimerval it = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static char altstack[65536] __attribute__((aligned(16)));

int main(void)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (pipe(pipefd))
        return 1;
    uint32_t pid = getpid(), uid = getuid(), tid = syscall(SYS_gettid);
    printf("PID %08x %08x %08x\n", pid, uid, tid);

    /* Block SIGUSR2 and signal 40 (a high-word bit) so both mask words are non-zero. */
    uint32_t block[2] = {1u << (SIGUSR2 - 1), 1u << (40 - 33)};
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, block, NULL, 8);

    install(SIGUSR1, 1, 0);
    set_regs(SYS_kill, pid, SIGUSR1, 0xdddddddd);
    run("kill_rt", t_syscall, t_syscall_insn, t_syscall_after, 1);

    install(SIGHUP, 0, 0);
    set_regs(SYS_kill, pid, SIGHUP, 0xdddddddd);
    run("kill_legacy", t_syscall, t_syscall_insn, t_syscall_after, 1);

    set_regs(SYS_tgkill, pid, tid, SIGUSR1);
    run("tgkill_rt", t_syscall, t_syscall_insn, t_syscall_after, 1);

    install(34, 1, 0);
    static uint32_t qinfo[32];
    memset(qinfo, 0xee, sizeof qinfo);
    qinfo[0] = 34;    /* si_signo */
    qinfo[1] = 0;     /* si_errno */
    qinfo[2] = -1;    /* SI_QUEUE */
    qinfo[3] = pid;
    qinfo[4] = uid;
    qinfo[5] = 0x12345678; /* si_value */
    hex("QINFO", qinfo, 128);
    set_regs(SYS_rt_sigqueueinfo, pid, 34, (uint32_t)(uintptr_t)qinfo);
    run("sigqueue_rt", t_syscall, t_syscall_insn, t_syscall_after, 1);

    /* SIGCHLD from a child that exited with 7, delivered when the rt_sigprocmask
     * system call that unblocks it returns. */
    install(SIGCHLD, 1, 0);
    uint32_t chld[2] = {1u << (SIGCHLD - 1), 0};
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, chld, NULL, 8);
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0)
        _exit(7);
    siginfo_t ws;
    waitid(P_PID, kid, &ws, WEXITED | WNOWAIT);
    printf("CHILD %08x\n", (uint32_t)kid);
    set_regs(SYS_rt_sigprocmask, SIG_UNBLOCK, (uint32_t)(uintptr_t)chld, 0);
    in_regs.esi = 8;
    run("sigchld_rt", t_syscall, t_syscall_insn, t_syscall_after, 1);
    waitpid(kid, NULL, 0);
    signal(SIGCHLD, SIG_DFL);

    static char buf[4];
    install(SIGALRM, 1, SA_RESTART);
    set_regs(SYS_read, pipefd[0], (uint32_t)(uintptr_t)buf, 1);
    arm_timer();
    run("restart_yes", t_syscall, t_syscall_insn, t_syscall_after, 0);

    install(SIGALRM, 1, 0);
    set_regs(SYS_read, pipefd[0], (uint32_t)(uintptr_t)buf, 1);
    arm_timer();
    run("restart_no", t_syscall, t_syscall_insn, t_syscall_after, 0);

    install(SIGALRM, 1, SA_RESTART);
    set_regs(SYS_read, pipefd[0], (uint32_t)(uintptr_t)buf, 1);
    arm_timer();
    run("restart_sysenter", t_vsyscall, t_vsyscall_insn, t_vsyscall_after, 0);

    stack_t ss = {altstack, 0, sizeof altstack};
    sigaltstack(&ss, NULL);
    printf("ALTSTACK %08x %08x %08x\n", (uint32_t)(uintptr_t)ss.ss_sp, ss.ss_flags,
           (uint32_t)ss.ss_size);
    install(SIGSEGV, 1, SA_ONSTACK);
    set_regs(0x10, 0xbbbbbbbb, 0xcccccccc, 0xdddddddd);
    run("segv_maperr", t_load, t_load_insn, t_load_after, 1);

    ss.ss_flags = SS_AUTODISARM;
    sigaltstack(&ss, NULL);
    printf("ALTSTACK %08x %08x %08x\n", (uint32_t)(uintptr_t)ss.ss_sp, ss.ss_flags,
           (uint32_t)ss.ss_size);
    set_regs(0xaaaaaaaa, (uint32_t)(uintptr_t)t_store, 0xcccccccc, 0xdddddddd);
    run("segv_accerr", t_store, t_store_insn, t_store_after, 1);
    stack_t now;
    sigaltstack(NULL, &now);
    printf("ALTSTACKNOW %08x %08x %08x\n", (uint32_t)(uintptr_t)now.ss_sp, now.ss_flags,
           (uint32_t)now.ss_size);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &now);
    printf("ALTSTACK %08x %08x %08x\n", (uint32_t)(uintptr_t)now.ss_sp, now.ss_flags,
           (uint32_t)now.ss_size);

    /* Already on the alternate stack (no SS_AUTODISARM): the frame goes below esp. */
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);
    printf("ALTSTACK %08x %08x %08x\n", (uint32_t)(uintptr_t)ss.ss_sp, ss.ss_flags,
           (uint32_t)ss.ss_size);
    install(SIGUSR1, 1, SA_ONSTACK);
    set_regs(SYS_kill, pid, SIGUSR1, 0xdddddddd);
    in_regs.esp = (uint32_t)(uintptr_t)altstack + 0x8000 + 12;
    run("nested_onstack", t_syscall, t_syscall_insn, t_syscall_after, 1);

    /* Too close to the bottom of the alternate stack: the kernel cannot place the frame
     * and forces SIGSEGV, which cannot be placed either: the child dies of SIGSEGV. */
    in_regs.esp = (uint32_t)(uintptr_t)altstack + 300;
    printf("OVERFLOWESP %08x\n", in_regs.esp);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        set_regs(SYS_kill, getpid(), SIGUSR1, 0xdddddddd);
        in_regs.esp = (uint32_t)(uintptr_t)altstack + 300;
        t_syscall();
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("OVERFLOWSTATUS %08x\n", status);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &now);
    printf("ALTSTACK %08x %08x %08x\n", (uint32_t)(uintptr_t)now.ss_sp, now.ss_flags,
           (uint32_t)now.ss_size);
    install(SIGUSR1, 1, 0);

    install(SIGFPE, 1, 0);
    set_regs(1, 0xbbbbbbbb, 0, 0);
    run("fpe", t_div, t_div_insn, t_div_after, 1);

    install(SIGILL, 1, 0);
    set_regs(0xaaaaaaaa, 0xbbbbbbbb, 0xcccccccc, 0xdddddddd);
    in_df = 1; /* the handler must still start with DF clear */
    run("ill", t_ud2, t_ud2_insn, t_ud2_after, 1);
    in_df = 0;

    install(SIGTRAP, 1, 0);
    run("trap", t_int3, t_int3_insn, t_int3_after, 1);

    install(SIGSEGV, 0, SA_NODEFER);
    run("gp_legacy", t_hlt, t_hlt_insn, t_hlt_after, 1);

    set_regs(SYS_kill, pid, SIGHUP, 0xdddddddd);
    run("kill_legacy_stale", t_syscall, t_syscall_insn, t_syscall_after, 1);

    install_raw(SIGUSR1, 1);
    set_regs(SYS_kill, pid, SIGUSR1, 0xdddddddd);
    run("restorer_rt", t_syscall, t_syscall_insn, t_syscall_after, 1);

    install_raw(SIGHUP, 0);
    set_regs(SYS_kill, pid, SIGHUP, 0xdddddddd);
    run("restorer_legacy", t_syscall, t_syscall_insn, t_syscall_after, 1);
    return 0;
}
