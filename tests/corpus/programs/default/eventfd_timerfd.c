/* eventfd counters and semaphores, timerfd one-shot, interval and absolute timers;
   timing-dependent results are printed as booleans. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

static void msleep(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t get(int fd, const char *label) {
    uint64_t v = 0;
    errno = 0;
    ssize_t n = read(fd, &v, 8);
    printf("%s: n=%zd %s value=%llu\n", label, n, n < 0 ? strerrorname_np(errno) : "ok",
           (unsigned long long)v);
    return v;
}

static void put(int fd, uint64_t v, const char *label) {
    CHECK(label, write(fd, &v, 8));
}

static void eventfds(void) {
    int e = eventfd(5, 0);
    put(e, 3, "write 3");
    put(e, 4, "write 4");
    get(e, "read sum");
    fcntl(e, F_SETFL, O_NONBLOCK);
    get(e, "read empty");
    char small[4];
    CHECK("short read", read(e, small, 4));
    CHECK("short write", write(e, small, 4));
    put(e, UINT64_MAX, "write max");
    put(e, UINT64_MAX - 1, "write max-1");
    put(e, 1, "write overflow");
    struct pollfd pf = {.fd = e, .events = POLLIN | POLLOUT};
    int pr = poll(&pf, 1, 0);
    printf("poll full: %d %#x\n", pr, pf.revents);
    get(e, "read full");
    pr = poll(&pf, 1, 0);
    printf("poll empty: %d %#x\n", pr, pf.revents);
    close(e);

    int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    printf("flags nonblock=%d cloexec=%d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
    get(s, "sem 1");
    get(s, "sem 2");
    get(s, "sem 3");
    get(s, "sem 4");
    close(s);
    CHECK("eventfd bad flags", eventfd(0, 0x40));

    /* A blocking read woken by a child's write, a blocking write by its read. */
    int b = eventfd(0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        msleep(30);
        uint64_t v = 42;
        write(b, &v, 8);
        msleep(30);
        read(b, &v, 8);
        _exit(0);
    }
    get(b, "blocking read");
    put(b, UINT64_MAX - 1, "fill");
    put(b, 1, "blocking write");
    waitpid(pid, NULL, 0);
    get(b, "after child");
    close(b);
}

static long long ms_of(const struct itimerspec *it, int interval) {
    const struct timespec *t = interval ? &it->it_interval : &it->it_value;
    return t->tv_sec * 1000LL + t->tv_nsec / 1000000;
}

static void timerfds(void) {
    CHECK("bad clock", timerfd_create(99, 0));
    CHECK("bad flags", timerfd_create(CLOCK_MONOTONIC, 0x40));
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec it = {0}, old = {0};
    CHECK("gettime idle", timerfd_gettime(t, &it));
    printf("idle: %lld %lld\n", ms_of(&it, 0), ms_of(&it, 1));
    get(t, "read unarmed");
    char small[4];
    CHECK("short read", read(t, small, 4));
    int e = eventfd(0, 0);
    CHECK("settime on eventfd", timerfd_settime(e, 0, &it, NULL));
    CHECK("settime bad fd", timerfd_settime(999, 0, &it, NULL));
    it.it_value.tv_nsec = 1000000000;
    CHECK("settime bad nsec", timerfd_settime(t, 0, &it, NULL));
    CHECK("settime bad flags", timerfd_settime(t, 8, &it, NULL));

    /* One-shot, 20 ms. */
    it.it_value.tv_sec = 0;
    it.it_value.tv_nsec = 20000000;
    CHECK("arm 20ms", timerfd_settime(t, 0, &it, NULL));
    timerfd_gettime(t, &old);
    printf("remaining in (0,20]: %d\n", ms_of(&old, 0) <= 20 && old.it_value.tv_nsec > 0);
    fcntl(t, F_SETFL, 0);
    get(t, "one-shot blocking read");
    timerfd_gettime(t, &old);
    printf("after expiry: %lld %lld\n", ms_of(&old, 0), ms_of(&old, 1));
    fcntl(t, F_SETFL, O_NONBLOCK);
    get(t, "no second expiry");

    /* Interval 10 ms. */
    it.it_value.tv_nsec = 10000000;
    it.it_interval.tv_nsec = 10000000;
    timerfd_settime(t, 0, &it, NULL);
    msleep(55);
    uint64_t n = 0;
    read(t, &n, 8);
    printf("interval count >= 3: %d\n", n >= 3);
    timerfd_gettime(t, &old);
    printf("interval kept: %lld\n", ms_of(&old, 1));

    /* Re-arming returns the old setting and resets the count. */
    it.it_value.tv_sec = 5;
    it.it_value.tv_nsec = 0;
    it.it_interval.tv_nsec = 0;
    timerfd_settime(t, 0, &it, &old);
    printf("old interval: %lld, old value <= 10: %d\n", ms_of(&old, 1), ms_of(&old, 0) <= 10);
    get(t, "count reset");
    struct itimerspec zero = {0};
    timerfd_settime(t, 0, &zero, &old);
    printf("old value near 5s: %d\n", ms_of(&old, 0) > 4000 && ms_of(&old, 0) <= 5000);
    get(t, "disarmed");

    /* Absolute: 20 ms from now, and one in the past. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    it.it_value = now;
    it.it_value.tv_nsec += 20000000;
    if (it.it_value.tv_nsec >= 1000000000) {
        it.it_value.tv_sec++;
        it.it_value.tv_nsec -= 1000000000;
    }
    CHECK("arm absolute", timerfd_settime(t, TFD_TIMER_ABSTIME, &it, NULL));
    struct pollfd pf = {.fd = t, .events = POLLIN};
    int pr = poll(&pf, 1, -1);
    printf("poll absolute: %d %#x\n", pr, pf.revents);
    get(t, "absolute expiry");
    it.it_value.tv_sec = 0;
    it.it_value.tv_nsec = 1;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &it, NULL);
    get(t, "past absolute");
    close(t);

    /* CLOCK_REALTIME and BOOTTIME, under epoll. */
    int r = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
    int bt = timerfd_create(CLOCK_BOOTTIME, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev);
    ev.data.u32 = 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, bt, &ev);
    it.it_value.tv_nsec = 15000000;
    timerfd_settime(r, 0, &it, NULL);
    struct epoll_event out[2];
    int k = epoll_wait(ep, out, 2, -1);
    printf("epoll realtime: %d data=%u\n", k, out[0].data.u32);
    get(r, "realtime expiry");
    timerfd_settime(bt, 0, &it, NULL);
    k = epoll_wait(ep, out, 2, -1);
    printf("epoll boottime: %d data=%u\n", k, out[0].data.u32);
    get(bt, "boottime expiry");

    /* The old 32-bit call, directly. */
    struct { int32_t isec, insec, vsec, vnsec; } it32 = {0, 0, 0, 10000000}, old32;
    int m = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK("timerfd_settime32", syscall(325, m, 0, &it32, NULL));
    CHECK("timerfd_gettime32", syscall(326, m, &old32));
    printf("gettime32 in (0,10]: %d\n", old32.vsec == 0 && old32.vnsec > 0 && old32.vnsec <= 10000000);
    get(m, "32-bit timer expiry");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    eventfds();
    timerfds();
    return 0;
}
