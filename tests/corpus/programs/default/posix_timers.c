/* POSIX timers and sigtimedwait: signal timers with their siginfo, intervals and
 * overruns, SIGEV_NONE, SIGEV_THREAD (glibc's helper thread), absolute times, fork and
 * the error paths. Prints only what must be the same on every run. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    default: return strerror(e);
    }
}

/* Runs `expr`, then prints its result and errno (never read before the call). */
#define TRY(label, expr)                                                          \
    do {                                                                          \
        errno = 0;                                                                \
        long r_ = (long)(expr);                                                   \
        int e_ = errno;                                                           \
        printf("%s: %ld %s\n", label, r_, en(r_ < 0 ? e_ : 0));                  \
    } while (0)

static void ms(long n) {
    struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static volatile int thread_calls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static void on_timer(union sigval v) {
    pthread_mutex_lock(&lock);
    thread_calls += v.sival_int;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static volatile sig_atomic_t handled, handled_code, handled_value;
static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    handled = sig;
    handled_code = si->si_code;
    handled_value = si->si_value.sival_int;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    /* A one-shot signal timer, taken with sigtimedwait. */
    timer_t t1;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 4242;
    printf("create: %s\n", en(timer_create(CLOCK_MONOTONIC, &ev, &t1) ? errno : 0));
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    printf("settime: %s\n", en(timer_settime(t1, 0, &its, NULL) ? errno : 0));
    struct itimerspec cur;
    timer_gettime(t1, &cur);
    printf("armed: %d interval0: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0);
    siginfo_t si;
    struct timespec wait = {5, 0};
    int sig = sigtimedwait(&set, &si, &wait);
    printf("got: %d code=%d SI_TIMER=%d value=%d overrun=%d\n", sig == SIGRTMIN, si.si_code,
           si.si_code == SI_TIMER, si.si_value.sival_int, si.si_overrun);
    timer_gettime(t1, &cur);
    printf("disarmed after: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* Nothing pending: a zero timeout is EAGAIN at once; a short one after waiting. */
    struct timespec zero = {0, 0}, short_wait = {0, 30000000};
    TRY("poll", sigtimedwait(&set, &si, &zero));
    TRY("timeout", sigtimedwait(&set, &si, &short_wait));

    /* An interval timer left pending accumulates overruns. */
    its.it_interval.tv_nsec = 5000000;
    its.it_value.tv_nsec = 5000000;
    timer_settime(t1, 0, &its, NULL);
    ms(60);
    sig = sigwaitinfo(&set, &si);
    printf("interval: %d overruns>=3: %d getoverrun matches: %d\n", sig == SIGRTMIN,
           si.si_overrun >= 3, timer_getoverrun(t1) == si.si_overrun);
    struct itimerspec old;
    memset(&its, 0, sizeof its);
    timer_settime(t1, 0, &its, &old);
    printf("old interval: %ld\n", old.it_interval.tv_nsec);
    while (sigtimedwait(&set, &si, &zero) > 0) {}

    /* An absolute expiry on CLOCK_REALTIME, delivered to a handler. */
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    timer_t t2;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    timer_create(CLOCK_REALTIME, &ev, &t2);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its.it_value = now;
    its.it_value.tv_nsec += 20000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    timer_settime(t2, TIMER_ABSTIME, &its, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigsuspend(&none);
    printf("handler: %d code=%d value=%d\n", handled == SIGUSR1, handled_code, handled_value);

    /* SIGEV_NONE: it runs, nobody is told. */
    timer_t t3;
    struct sigevent quiet = {0};
    quiet.sigev_notify = SIGEV_NONE;
    timer_create(CLOCK_MONOTONIC, &quiet, &t3);
    its.it_interval.tv_sec = 0;
    its.it_interval.tv_nsec = 0;
    its.it_value.tv_sec = 100;
    its.it_value.tv_nsec = 0;
    timer_settime(t3, 0, &its, NULL);
    timer_gettime(t3, &cur);
    printf("none: left between 90 and 100 s: %d\n", cur.it_value.tv_sec >= 90 && cur.it_value.tv_sec <= 100);

    /* SIGEV_THREAD: glibc runs the function in a helper thread. */
    timer_t t4;
    struct sigevent tev = {0};
    tev.sigev_notify = SIGEV_THREAD;
    tev.sigev_notify_function = on_timer;
    tev.sigev_value.sival_int = 5;
    printf("thread create: %s\n", en(timer_create(CLOCK_MONOTONIC, &tev, &t4) ? errno : 0));
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 10000000;
    timer_settime(t4, 0, &its, NULL);
    pthread_mutex_lock(&lock);
    while (thread_calls == 0) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    printf("thread calls: %d\n", thread_calls);
    timer_delete(t4);

    /* A child does not inherit timers. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        TRY("child gettime", timer_gettime(t3, &cur));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* Error paths. */
    timer_t bad;
    struct sigevent badev = {0};
    badev.sigev_notify = SIGEV_SIGNAL;
    badev.sigev_signo = 99;
    TRY("bad signal", timer_create(CLOCK_MONOTONIC, &badev, &bad));
    badev.sigev_notify = 77;
    TRY("bad notify", timer_create(CLOCK_MONOTONIC, &badev, &bad));
    TRY("bad clock", timer_create(12345, NULL, &bad));
    TRY("bad timer id", timer_settime((timer_t)(long)9999, 0, &its, NULL));
    its.it_value.tv_nsec = 2000000000;
    TRY("bad nsec", timer_settime(t3, 0, &its, NULL));
    TRY("delete", timer_delete(t3));
    TRY("delete again", timer_delete(t3));
    TRY("gettime deleted", timer_gettime(t3, &cur));
    timer_t dflt;
    printf("default sigevent: %d\n", timer_create(CLOCK_MONOTONIC, NULL, &dflt));
    timer_delete(dflt);
    timer_delete(t1);
    timer_delete(t2);
    return 0;
}
