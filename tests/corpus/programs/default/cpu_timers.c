/* Interval timers on CPU time: ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF)
 * fire while the process computes and not while it sleeps; periodic reloads, the old
 * value setitimer returns, getitimer on a disarmed timer, bad arguments, the default
 * action, a fork child that does not inherit them, and CPU-time clocks and rusage that
 * move with work. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t vt, prof;
static void on_vt(int sig) { (void)sig; vt++; }
static void on_prof(int sig) { (void)sig; prof++; }

static void set(int which, long value_us, long interval_us, struct itimerval *old) {
    struct itimerval it = {{interval_us / 1000000, interval_us % 1000000},
                           {value_us / 1000000, value_us % 1000000}};
    if (setitimer(which, &it, old) != 0)
        printf("setitimer(%d): %s\n", which, strerrorname_np(errno));
}

static volatile unsigned long sink;
/* Busy work until `*count` reaches `want`. */
static void spin_until(volatile sig_atomic_t *count, int want) {
    while (*count < want)
        for (int i = 0; i < 1000; i++) sink += i;
}

static double cpu_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGVTALRM, on_vt);
    signal(SIGPROF, on_prof);

    struct itimerval cur;
    getitimer(ITIMER_VIRTUAL, &cur);
    printf("disarmed: %ld %ld %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec,
           (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);

    /* Periodic virtual timer: three expirations while computing. */
    set(ITIMER_VIRTUAL, 20000, 20000, NULL);
    getitimer(ITIMER_VIRTUAL, &cur);
    /* Linux adds one tick (4 ms with HZ=250) to the first period. */
    printf("armed: value in (20 ms, 24 ms]: %d interval 20 ms: %d\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 20000 && cur.it_value.tv_usec <= 24000,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000);
    spin_until(&vt, 3);
    struct itimerval old;
    set(ITIMER_VIRTUAL, 0, 0, &old);
    printf("SIGVTALRM x3; old interval %ld us, old value in (0, 20 ms]: %d\n",
           (long)old.it_interval.tv_usec, old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 20000);

    /* Profiling timer, one shot. */
    set(ITIMER_PROF, 30000, 0, NULL);
    spin_until(&prof, 1);
    getitimer(ITIMER_PROF, &cur);
    printf("SIGPROF once, then disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

    /* Sleeping uses no CPU: a 50 ms virtual timer does not fire during 200 ms asleep. */
    int before = vt;
    set(ITIMER_VIRTUAL, 50000, 0, NULL);
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    printf("fired while asleep: %d\n", vt - before);
    set(ITIMER_VIRTUAL, 0, 0, NULL);

    /* Bad arguments. */
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    int r = setitimer(ITIMER_VIRTUAL, &bad, NULL);
    printf("usec 1000000: %d %s\n", r, strerrorname_np(errno));
    bad.it_value.tv_usec = 1000;
    r = setitimer(7, &bad, NULL);
    printf("which 7: %d %s\n", r, strerrorname_np(errno));
    r = getitimer(9, &cur);
    printf("getitimer which 9: %d %s\n", r, strerrorname_np(errno));

    /* A fork child does not inherit the timer. */
    set(ITIMER_PROF, 10000, 10000, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerval c;
        getitimer(ITIMER_PROF, &c);
        printf("child's ITIMER_PROF: %ld %ld\n", (long)c.it_value.tv_usec, (long)c.it_interval.tv_usec);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    set(ITIMER_PROF, 0, 0, NULL);

    /* The default action of SIGVTALRM ends the process. */
    pid = fork();
    if (pid == 0) {
        signal(SIGVTALRM, SIG_DFL);
        set(ITIMER_VIRTUAL, 10000, 0, NULL);
        for (;;) sink++;
    }
    int status;
    waitpid(pid, &status, 0);
    printf("default action: signaled %d by %s\n", WIFSIGNALED(status), sigabbrev_np(WTERMSIG(status)));

    /* CPU clocks and rusage move with work; children's time is counted after wait. */
    double p0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < 3000000; i++) sink += i;
    printf("process clock moved: %d thread clock moved: %d\n",
           cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) > p0, cpu_seconds(CLOCK_THREAD_CPUTIME_ID) > t0);
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    printf("rusage self > 0: %d children > 0: %d\n",
           self.ru_utime.tv_sec > 0 || self.ru_utime.tv_usec > 0,
           children.ru_utime.tv_sec > 0 || children.ru_utime.tv_usec > 0 ||
               children.ru_stime.tv_sec > 0 || children.ru_stime.tv_usec > 0);
    r = getrusage(5, &self);
    printf("rusage bad who: %d %s\n", r, strerrorname_np(errno));
    return 0;
}
