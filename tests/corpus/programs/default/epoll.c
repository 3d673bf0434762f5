/* epoll over pipes and eventfds: level and edge triggering, one-shot, nesting, the
   lifetime of items, blocking waits, and the error paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { got = s; }

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

static int wait_events(int ep, int timeout, const char *label) {
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    printf("%s: n=%d", label, n);
    if (n < 0) printf(" %s", strerrorname_np(errno));
    /* Report in data order so the listing does not depend on ready-list order. */
    for (int pass = 0; pass < 64 && n > 0; pass++)
        for (int i = 0; i < n; i++)
            if ((int)ev[i].data.u64 == pass)
                printf(" [data=%llu ev=%#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    return n;
}

static void add(int ep, int fd, uint32_t events, uint64_t data, const char *label) {
    struct epoll_event ev = {.events = events, .data.u64 = data};
    CHECK(label, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
}

int main(void) {
    char buf[64];
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("sizeof epoll_event = %zu\n", sizeof(struct epoll_event));
    CHECK("epoll_create(0)", epoll_create(0));
    CHECK("epoll_create1(bad)", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("cloexec=%d\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);

    /* Level-triggered pipe. */
    int p[2];
    pipe(p);
    add(ep, p[0], EPOLLIN, 1, "add pipe");
    wait_events(ep, 0, "lt empty");
    write(p[1], "abc", 3);
    wait_events(ep, 0, "lt data");
    wait_events(ep, 0, "lt data again");
    read(p[0], buf, sizeof buf);
    wait_events(ep, 0, "lt drained");

    /* Error paths. */
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK("add twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK("mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    CHECK("del missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    CHECK("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    CHECK("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
    CHECK("bad epfd", epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev));
    CHECK("not epoll", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
    CHECK("bad op", epoll_ctl(ep, 99, p[0], &ev));
    int reg = open("/etc/passwd", O_RDONLY);
    CHECK("regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
    CHECK("maxevents 0", epoll_wait(ep, &ev, 0, 0));
    CHECK("wait on pipe", epoll_wait(p[0], &ev, 1, 0));

    /* Write end: EPOLLOUT, then EPOLLERR once the reader is gone. */
    int w[2];
    pipe(w);
    add(ep, w[1], EPOLLOUT, 2, "add write end");
    wait_events(ep, 0, "writable");
    CHECK("del write end", epoll_ctl(ep, EPOLL_CTL_DEL, w[1], NULL));
    close(w[0]);
    add(ep, w[1], EPOLLOUT, 2, "re-add write end");
    wait_events(ep, 0, "reader gone");
    CHECK("del write end", epoll_ctl(ep, EPOLL_CTL_DEL, w[1], NULL));

    /* Hang-up of the read end once the writer closes. */
    int h[2];
    pipe(h);
    add(ep, h[0], EPOLLIN, 3, "add hup pipe");
    write(h[1], "x", 1);
    close(h[1]);
    wait_events(ep, 0, "data then hup");
    read(h[0], buf, sizeof buf);
    wait_events(ep, 0, "hup only");
    CHECK("del hup pipe", epoll_ctl(ep, EPOLL_CTL_DEL, h[0], NULL));
    struct pollfd pf = {.fd = h[0], .events = POLLIN};
    int pr = poll(&pf, 1, 0);
    printf("poll hup: %d revents=%#x\n", pr, pf.revents);

    /* Edge-triggered. */
    int e[2];
    pipe(e);
    add(ep, e[0], EPOLLIN | EPOLLET, 4, "add et");
    wait_events(ep, 0, "et empty");
    write(e[1], "0123456789", 10);
    wait_events(ep, 0, "et first");
    wait_events(ep, 0, "et no new data");
    read(e[0], buf, 5);
    wait_events(ep, 0, "et after partial read");
    write(e[1], "z", 1);
    wait_events(ep, 0, "et new data");
    read(e[0], buf, sizeof buf);
    write(e[1], "y", 1);
    wait_events(ep, 0, "et drained then new data");
    read(e[0], buf, sizeof buf);
    wait_events(ep, 0, "et drained");

    /* One-shot eventfd. */
    int efd = eventfd(0, EFD_NONBLOCK);
    add(ep, efd, EPOLLIN | EPOLLONESHOT, 5, "add oneshot");
    uint64_t one = 1;
    write(efd, &one, 8);
    wait_events(ep, 0, "oneshot fires");
    wait_events(ep, 0, "oneshot disabled");
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = 5;
    CHECK("oneshot rearm", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
    wait_events(ep, 0, "oneshot rearmed");
    ev.events = EPOLLIN | EPOLLOUT;
    CHECK("mod to lt in|out", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
    wait_events(ep, 0, "eventfd in|out");
    CHECK("del eventfd", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));

    /* EPOLLEXCLUSIVE: accepted on ADD, refused on MOD. */
    int x = eventfd(0, 0);
    add(ep, x, EPOLLIN | EPOLLEXCLUSIVE, 6, "add exclusive");
    ev.events = EPOLLIN;
    CHECK("mod exclusive", epoll_ctl(ep, EPOLL_CTL_MOD, x, &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    int x2 = eventfd(0, 0);
    CHECK("exclusive+oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, x2, &ev));

    /* Items follow the open file description. */
    int d[2];
    pipe(d);
    int dupfd = dup(d[0]);
    add(ep, d[0], EPOLLIN, 7, "add dup'd pipe");
    close(d[0]);
    write(d[1], "q", 1);
    wait_events(ep, 0, "closed fd, file alive");
    CHECK("del closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, d[0], NULL));
    close(dupfd);
    wait_events(ep, 0, "file gone");

    /* Nesting: an epoll fd is pollable and can be watched. */
    int outer = epoll_create1(0);
    add(outer, ep, EPOLLIN, 8, "nest");
    ev.events = EPOLLIN;
    CHECK("loop", epoll_ctl(ep, EPOLL_CTL_ADD, outer, &ev));
    wait_events(outer, 0, "outer idle");
    write(p[1], "n", 1);
    wait_events(outer, 0, "outer sees inner");
    pf.fd = ep;
    pf.revents = 0;
    pr = poll(&pf, 1, 0);
    printf("poll epfd: %d revents=%#x\n", pr, pf.revents);
    read(p[0], buf, sizeof buf);

    /* Blocking wait woken by a child. */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "c", 1);
        _exit(0);
    }
    wait_events(ep, -1, "blocking wait");
    waitpid(pid, NULL, 0);
    read(p[0], buf, sizeof buf);
    wait_events(ep, 30, "timeout");
    sigset_t mask;
    sigemptyset(&mask);
    CHECK("epoll_pwait", epoll_pwait(ep, &ev, 1, 0, &mask));
    /* epoll_pwait lets in a signal its mask unblocks, and puts the old mask back. */
    signal(SIGUSR1, on_usr1);
    sigset_t block, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    int r = epoll_pwait(ep, &ev, 1, 1000, &mask);
    printf("pwait with signal: %d %s handler=%d\n", r, r < 0 ? strerrorname_np(errno) : "ok", got);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
    got = 0;
    r = epoll_pwait(ep, &ev, 1, 20, &block);
    printf("pwait blocked signal: %d handler=%d\n", r, got);
    struct { int64_t sec, nsec; } ts = {0, 1000000};
    CHECK("epoll_pwait2", syscall(441, ep, &ev, 1, &ts, NULL, 8));
    ts.nsec = -1;
    CHECK("epoll_pwait2 bad ts", syscall(441, ep, &ev, 1, &ts, NULL, 8));
    return 0;
}
