/* MAP_SHARED file mappings are coherent with read/write and between processes; msync,
 * munmap and exit write back; truncation makes pages past the end raise SIGBUS; mremap
 * grows in place, moves, and moves to a fixed address. Works in /tmp only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static sigjmp_buf jump;
static volatile int got_signal;

static void on_signal(int sig) {
    got_signal = sig;
    siglongjmp(jump, 1);
}

/* Reads one byte at `p`, reporting a signal instead. */
static int probe(volatile char *p) {
    got_signal = 0;
    if (sigsetjmp(jump, 1) == 0) return (unsigned char)*p;
    return -got_signal;
}

static void pread_show(int fd, off_t off, size_t n, const char *label) {
    char buf[64] = {0};
    ssize_t got = pread(fd, buf, n, off);
    printf("%s: read %zd '%s'\n", label, got, buf);
}

static int fresh(const char *path, size_t size) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, size)) { perror(path); exit(1); }
    return fd;
}

static void coherence(void) {
    int fd = fresh("/tmp/m1", 2 * PG);
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); exit(1); }
    memcpy(m + 10, "stored", 6);
    pread_show(fd, 10, 6, "read after store");
    pwrite(fd, "written", 7, PG + 5);
    printf("map after write: '%.7s'\n", m + PG + 5);

    /* A child stores through the inherited mapping; the parent sees it both ways. */
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(m + 100, "child", 5);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent map sees: '%.5s'\n", m + 100);
    pread_show(fd, 100, 5, "parent read sees");

    /* A second, independent mapping of the same file (another process maps it anew). */
    pid = fork();
    if (pid == 0) {
        int fd2 = open("/tmp/m1", O_RDWR);
        char *m2 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
        printf("child new map sees: '%.6s' '%.5s'\n", m2 + 10, m2 + 100);
        memcpy(m2 + 200, "other", 5);
        munmap(m2, PG);
        close(fd2);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent map sees other: '%.5s'\n", m + 200);

    /* A private mapping taken now sees the current bytes; its stores stay private. */
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private sees: '%.6s'\n", p + 10);
    memcpy(p + 10, "PRIVAT", 6);
    printf("shared after private store: '%.6s'\n", m + 10);
    munmap(p, PG);

    printf("msync: %d\n", msync(m, 2 * PG, MS_SYNC));
    int rc = msync(m + 1, PG, MS_SYNC);
    printf("msync unaligned: %d %s\n", rc, strerrorname_np(errno));
    munmap(m, 2 * PG);
    close(fd);

    /* After the last mapping is gone, the file holds everything. */
    fd = open("/tmp/m1", O_RDONLY);
    pread_show(fd, 10, 6, "after munmap");
    pread_show(fd, 200, 5, "after munmap other");
    close(fd);
}

static void exit_writes_back(void) {
    int fd = fresh("/tmp/m2", PG);
    pid_t pid = fork();
    if (pid == 0) {
        char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        strcpy(m, "left by exit");
        _exit(0); /* no munmap, no msync */
    }
    waitpid(pid, NULL, 0);
    pread_show(fd, 0, 12, "after child exit");
    close(fd);
    unlink("/tmp/m2");
}

static void truncation(void) {
    int rc;
    int fd = fresh("/tmp/m3", 2 * PG);
    char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memset(m, 'a', 2 * PG);
    printf("beyond end of file: %d\n", probe(m + 2 * PG));
    /* msync over a hole */
    munmap(m + 2 * PG, PG);
    rc = msync(m, 3 * PG, MS_SYNC);
    printf("msync over hole: %d %s\n", rc, strerrorname_np(errno));
    if (ftruncate(fd, PG + 100)) perror("ftruncate");
    printf("in last page: %d, past new end in page: %d\n", probe(m + PG + 99), probe(m + PG + 100));
    printf("second page after shrink: %d\n", probe(m + PG + 50));
    printf("page past new end: %d\n", probe(m + PG * 2 - 1));
    if (ftruncate(fd, 2 * PG)) perror("ftruncate");
    printf("after growing again: %d %d\n", probe(m + PG + 100), probe(m + 2 * PG - 1));
    struct stat st;
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    munmap(m, 3 * PG);
    /* A write that extends a mapped file. */
    m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ftruncate(fd, 10);
    pwrite(fd, "z", 1, PG + 1);
    printf("after extending write: %d %d %d\n", probe(m + 9), probe(m + 10), probe(m + PG + 1));
    munmap(m, 2 * PG);
    close(fd);
    unlink("/tmp/m3");
}

static void unlinked_while_mapped(void) {
    int fd = fresh("/tmp/m4", PG);
    char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    unlink("/tmp/m4");
    strcpy(m, "still here");
    printf("unlinked map: '%s'\n", m);
    munmap(m, PG);
}

static void permissions(void) {
    int fd = open("/tmp/m1", O_RDONLY);
    void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared writable map of read-only fd: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "ok");
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private writable map of read-only fd: %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "ok");
    close(fd);
}

static void remap(void) {
    char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + 2 * PG, 2 * PG); /* room to grow in place */
    strcpy(a, "kept");
    char *b = mremap(a, 2 * PG, 4 * PG, 0);
    printf("grow in place: %s same=%d '%s'\n", b == MAP_FAILED ? strerrorname_np(errno) : "ok", b == a, b);
    b[4 * PG - 1] = 'x';
    char *blocker = mmap(b + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *c = mremap(b, 4 * PG, 8 * PG, 0);
    printf("grow blocked: %s\n", c == MAP_FAILED ? strerrorname_np(errno) : "ok");
    c = mremap(b, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
    printf("grow by moving: moved=%d '%s' %c\n", c != b, c, c[4 * PG - 1]);
    c[8 * PG - 1] = 'y';
    printf("old place gone: %d\n", probe(b));
    char *target = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *d = mremap(c, 8 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + 4 * PG);
    printf("fixed: at=%d '%s'\n", d == target + 4 * PG, d);
    printf("fixed without maymove: %s\n",
           mremap(d, 2 * PG, 2 * PG, MREMAP_FIXED, target) == MAP_FAILED ? strerrorname_np(errno) : "ok");
    munmap(target + 12 * PG, 4 * PG);
    printf("not mapped: %s\n",
           mremap(target + 13 * PG, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED ? strerrorname_np(errno) : "ok");
    printf("across two areas: %s\n",
           mremap(target + 10 * PG, 4 * PG, 8 * PG, MREMAP_MAYMOVE) == MAP_FAILED ? strerrorname_np(errno) : "ok");
    char *e = mremap(d, 2 * PG, PG, 0);
    printf("shrink: same=%d\n", e == d);

    /* A shared file mapping keeps its sharing when it moves. */
    int fd = fresh("/tmp/m5", 4 * PG);
    char *f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    mmap(f + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    strcpy(f, "before move");
    char *g = mremap(f, PG, 3 * PG, MREMAP_MAYMOVE);
    strcpy(g + 2 * PG, "grown part");
    pread_show(fd, 0, 11, "moved shared");
    pread_show(fd, 2 * PG, 10, "grown shared");
    munmap(g, 3 * PG);
    munmap(blocker, PG);
    close(fd);
    unlink("/tmp/m5");
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);
    coherence();
    exit_writes_back();
    truncation();
    unlinked_while_mapped();
    permissions();
    remap();
    unlink("/tmp/m1");
    return 0;
}
