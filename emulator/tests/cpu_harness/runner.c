/*
 * Native oracle for the CPU differential tests: runs one i386 instruction on the host CPU.
 *
 * Built by the tests with `gcc -m32 -static -O2`. Protocol on stdin/stdout (little-endian):
 *   startup: the runner writes a hello record (struct hello).
 *   then repeatedly: u32 count, `count` struct case_in records; the runner answers with
 *   `count` struct case_out records (each followed by the 4096-byte data page when
 *   case_in.flags & DUMP_PAGE).
 * Layout: code page at CODE (instruction bytes, then int3 everywhere), a read-write data
 * page at DATA filled from case_in.mem_seed, a read-only page at DATA+4096 with a fixed
 * fill. Every case ends in a signal: the int3 after the instruction (SIGTRAP) or the
 * instruction's own fault. The handler records the registers from the signal context.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CODE 0x10000000u
#define CODE_ALIAS 0x40000000u /* writable view of the code page, outside the test window */
#define DATA 0x20000000u
#define RO_PAGE (DATA + 4096u)
#define RO_SEED 0x5eed0001u
#define DUMP_PAGE 1u
#define WITH_FXSAVE 2u /* an FXSAVE image follows the case; the one after it is returned */
#define FX_BATCH 4u    /* every case of the batch has an FXSAVE image (they follow the cases);
                          each answer is case_out + the 512-byte image after the case, whose
                          last 4 bytes (software-available area) hold the signal's si_code */
#define FX_PAGE 8u     /* with FX_BATCH: this case's answer is also followed by the data page */

struct case_in {
    uint8_t code[16];
    uint32_t regs[8];
    uint32_t eflags, mem_seed, flags, reserved;
};
struct case_out {
    uint32_t regs[8];
    uint32_t eip, eflags, signo, trapno, err, addr;
    uint32_t hash_lo, hash_hi;
};
struct hello {
    uint32_t magic;
    uint32_t selectors[6]; /* es cs ss ds fs gs, as the guest code sees them */
    uint32_t reserved;
};

/* Bases of the fs and gs segments the guest code runs with (TLS descriptors). */
#define GUEST_FS_BASE (DATA + 0x400u)
#define GUEST_GS_BASE (DATA - 0x200u)

struct user_desc_i386 {
    uint32_t entry_number, base_addr, limit;
    uint32_t flags; /* seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1 useable:1 */
};

_Static_assert(sizeof(struct case_in) == 64, "case_in layout");
_Static_assert(sizeof(struct case_out) == 64, "case_out layout");

uint32_t guest_regs[8];
uint32_t guest_eflags;
uint32_t guest_entry = CODE;
uint16_t guest_gs;
uint16_t runner_gs;
static sigjmp_buf resume;
static struct case_out result;
static uint8_t fx_default[512] __attribute__((aligned(16)));
static uint8_t fx_case[512] __attribute__((aligned(16)));
static uint8_t fx_after[512];
static uint8_t fx_batch_in[4096][512] __attribute__((aligned(16)));
static uint8_t fx_batch_out[4096][512];
static int32_t last_si_code;
static uint8_t fx_pages[4096][4096];
static uint8_t alt_stack[1 << 16];

void enter_guest(void);
__asm__(
    ".text\n"
    ".globl enter_guest\n"
    "enter_guest:\n"
    "  pushl guest_eflags\n"
    "  popfl\n"
    "  movl guest_regs+0, %eax\n"
    "  movl guest_regs+4, %ecx\n"
    "  movl guest_regs+8, %edx\n"
    "  movl guest_regs+12, %ebx\n"
    "  movl guest_regs+16, %esp\n"
    "  movl guest_regs+20, %ebp\n"
    "  movl guest_regs+24, %esi\n"
    "  movl guest_regs+28, %edi\n"
    "  movw guest_gs, %gs\n"
    "  jmp *guest_entry\n");

/* Same generator as the Rust side (xorshift32). */
static void fill(uint8_t *page, uint32_t seed) {
    uint32_t x = seed | 1u;
    for (int i = 0; i < 4096; i += 4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        memcpy(page + i, &x, 4);
    }
}

static uint64_t page_hash(const uint8_t *page) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 4096; i += 4) {
        uint32_t w;
        memcpy(&w, page + i, 4);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h;
}

static void on_signal(int sig, siginfo_t *si, void *ctx) {
    /* Back to the C library's thread pointer before anything may use it. */
    __asm__ volatile("movw %0, %%gs" ::"m"(runner_gs));
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    result.regs[0] = g[REG_EAX];
    result.regs[1] = g[REG_ECX];
    result.regs[2] = g[REG_EDX];
    result.regs[3] = g[REG_EBX];
    result.regs[4] = g[REG_ESP];
    result.regs[5] = g[REG_EBP];
    result.regs[6] = g[REG_ESI];
    result.regs[7] = g[REG_EDI];
    result.eip = g[REG_EIP];
    result.eflags = g[REG_EFL];
    result.signo = sig;
    result.trapno = g[REG_TRAPNO];
    result.err = g[REG_ERR];
    result.addr = (uint32_t)(uintptr_t)si->si_addr;
    last_si_code = si->si_code;
    /* The i386 signal frame's _fpstate holds the FXSAVE image after its 112-byte legacy
       header (fpregs is null if the task never touched the FPU). */
    uint8_t *fp = (uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs;
    if (fp) memcpy(fx_after, fp + 112, sizeof fx_after);
    siglongjmp(resume, 1);
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void *map_fixed(uint32_t addr, int prot, int fd) {
    int flags = MAP_FIXED_NOREPLACE | (fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS);
    void *p = mmap((void *)(uintptr_t)addr, 4096, prot, flags, fd, 0);
    if (p != (void *)(uintptr_t)addr) die("mmap");
    return p;
}

static int read_full(void *buf, size_t len) {
    uint8_t *b = buf;
    while (len) {
        ssize_t n = read(0, b, len);
        if (n <= 0) return 0;
        b += n;
        len -= (size_t)n;
    }
    return 1;
}

static void write_full(const void *buf, size_t len) {
    const uint8_t *b = buf;
    while (len) {
        ssize_t n = write(1, b, len);
        if (n <= 0) die("write");
        b += n;
        len -= (size_t)n;
    }
}

int main(void) {
    int fd = memfd_create("code", 0);
    if (fd < 0 || ftruncate(fd, 4096)) die("memfd");
    uint8_t *code_rw = map_fixed(CODE_ALIAS, PROT_READ | PROT_WRITE, fd);
    map_fixed(CODE, PROT_READ | PROT_EXEC, fd);
    uint8_t *data = map_fixed(DATA, PROT_READ | PROT_WRITE, -1);
    uint8_t *ro = map_fixed(RO_PAGE, PROT_READ | PROT_WRITE, -1);
    fill(ro, RO_SEED);
    if (mprotect(ro, 4096, PROT_READ)) die("mprotect");
    memset(code_rw, 0xcc, 4096);

    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
    if (sigaltstack(&ss, 0)) die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, 0)) die("sigaction");

    __asm__ volatile("fninit\n fxsave %0" : "=m"(fx_default));

    /* fs and gs for the guest: two fresh TLS descriptors (glibc keeps its own in gs). */
    uint16_t selectors[2];
    uint32_t bases[2] = {GUEST_FS_BASE, GUEST_GS_BASE};
    for (int n = 0; n < 2; n++) {
        struct user_desc_i386 d = {.entry_number = (uint32_t)-1, .base_addr = bases[n], .limit = 0xfffff,
                                   .flags = 1u | 1u << 4 | 1u << 6};
        if (syscall(243 /* set_thread_area */, &d)) die("set_thread_area");
        selectors[n] = (uint16_t)(d.entry_number << 3 | 3);
    }
    __asm__ volatile("movw %0, %%fs" ::"r"(selectors[0]));
    guest_gs = selectors[1];
    __asm__ volatile("movw %%gs, %0" : "=r"(runner_gs));

    struct hello h = {.magic = 0x57564d31};
    uint16_t sel;
    __asm__("mov %%es, %0" : "=r"(sel)); h.selectors[0] = sel;
    __asm__("mov %%cs, %0" : "=r"(sel)); h.selectors[1] = sel;
    __asm__("mov %%ss, %0" : "=r"(sel)); h.selectors[2] = sel;
    __asm__("mov %%ds, %0" : "=r"(sel)); h.selectors[3] = sel;
    __asm__("mov %%fs, %0" : "=r"(sel)); h.selectors[4] = sel;
    h.selectors[5] = guest_gs;
    write_full(&h, sizeof h);

    static struct case_in cases[4096];
    static struct case_out outs[4096];
    for (;;) {
        uint32_t count;
        if (!read_full(&count, 4)) return 0;
        if (count > 4096) die("batch too large");
        if (!read_full(cases, count * sizeof cases[0])) die("short batch");
        int with_fx = count == 1 && (cases[0].flags & WITH_FXSAVE);
        if (with_fx && !read_full(fx_case, sizeof fx_case)) die("short fxsave image");
        int fx_batch = count && (cases[0].flags & FX_BATCH);
        if (fx_batch && !read_full(fx_batch_in, count * 512u)) die("short fxsave batch");
        alarm(20); /* a runaway case kills the runner; the test reports the batch */
        for (uint32_t n = 0; n < count; n++) {
            struct case_in *c = &cases[n];
            memcpy(code_rw, c->code, sizeof c->code);
            fill(data, c->mem_seed);
            memcpy(guest_regs, c->regs, sizeof guest_regs);
            guest_eflags = c->eflags;
            if (fx_batch)
                __asm__ volatile("fxrstor %0" ::"m"(fx_batch_in[n]));
            else if (with_fx)
                __asm__ volatile("fxrstor %0" ::"m"(fx_case));
            else
                __asm__ volatile("fxrstor %0" ::"m"(fx_default));
            if (sigsetjmp(resume, 0) == 0) enter_guest();
            __asm__ volatile("cld");
            result.hash_lo = (uint32_t)page_hash(data);
            result.hash_hi = (uint32_t)(page_hash(data) >> 32);
            outs[n] = result;
            if (c->flags & DUMP_PAGE) {
                write_full(&outs[n], sizeof outs[n]);
                write_full(data, 4096);
            }
            if (fx_batch) {
                memcpy(fx_batch_out[n], fx_after, 512);
                memcpy(fx_batch_out[n] + 508, &last_si_code, 4);
                if (c->flags & FX_PAGE) memcpy(fx_pages[n], data, 4096);
            }
            if (with_fx) {
                if (!(c->flags & DUMP_PAGE)) write_full(&outs[n], sizeof outs[n]);
                write_full(fx_after, sizeof fx_after);
            }
        }
        /* Dump requests are answered inline; ordinary batches in one write. */
        if (fx_batch && !(cases[0].flags & DUMP_PAGE)) {
            for (uint32_t n = 0; n < count; n++) {
                write_full(&outs[n], sizeof outs[n]);
                write_full(fx_batch_out[n], 512);
                if (cases[n].flags & FX_PAGE) write_full(fx_pages[n], 4096);
            }
        } else if (count && !(cases[0].flags & (DUMP_PAGE | WITH_FXSAVE)))
            write_full(outs, count * sizeof outs[0]);
        memset(code_rw, 0xcc, 16);
    }
}
