/* Real-time signals queue, standard ones merge: several instances sent while blocked
 * are delivered one by one in order (lowest signal first, each with its own si_value),
 * sigqueue to another process, sigwaitinfo and sigtimedwait taking instances one at a
 * time, rt_sigqueueinfo's permission rule, and rt_tgsigqueueinfo to a thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int seen[64], seen_value[64], seen_code[64], count;
static int seen_signo[64];

static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    if (count < 64) {
        seen_signo[count] = sig;
        seen_code[count] = si->si_code;
        seen_value[count] = si->si_value.sival_int;
        seen[count] = si->si_pid == getpid();
        count++;
    }
}

static const char *code_name(int code) {
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
    }
}

static void block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static void *thread_waits(void *arg) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 3);
    siginfo_t si;
    for (int i = 0; i < 2; i++) {
        int sig = sigwaitinfo(&s, &si);
        printf("thread took %s+%d value %d code %s\n", sig >= SIGRTMIN ? "RTMIN" : "?", sig - SIGRTMIN,
               si.si_value.sival_int, code_name(si.si_code));
    }
    return arg;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);

    /* While blocked: three SIGUSR1 (merge into one), three SIGRTMIN+1 and two SIGRTMIN
     * with values (all kept). */
    block(SIGUSR1, SIG_BLOCK);
    block(SIGRTMIN, SIG_BLOCK);
    block(SIGRTMIN + 1, SIG_BLOCK);
    for (int i = 0; i < 3; i++) kill(getpid(), SIGUSR1);
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 10 + i});
    for (int i = 1; i <= 2; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 20 + i});
    kill(getpid(), SIGRTMIN);
    sigset_t pending;
    sigpending(&pending);
    printf("pending: USR1 %d RTMIN %d RTMIN+1 %d\n", sigismember(&pending, SIGUSR1),
           sigismember(&pending, SIGRTMIN), sigismember(&pending, SIGRTMIN + 1));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    printf("delivered %d:\n", count);
    for (int i = 0; i < count; i++)
        printf("  %s value %d code %s from me %d\n",
               seen_signo[i] == SIGUSR1 ? "USR1" : seen_signo[i] == SIGRTMIN ? "RTMIN" : "RTMIN+1",
               seen_code[i] == SI_QUEUE ? seen_value[i] : 0, code_name(seen_code[i]), seen[i]);

    /* sigwaitinfo / sigtimedwait take one instance at a time. */
    block(SIGRTMIN + 2, SIG_BLOCK);
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 30 + i});
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGRTMIN + 2);
    siginfo_t si;
    for (int i = 0; i < 3; i++) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&w, &si, &ts);
        printf("took RTMIN+%d value %d\n", sig - SIGRTMIN, si.si_value.sival_int);
    }
    struct timespec zero = {0, 0};
    int r = sigtimedwait(&w, &si, &zero);
    printf("then: %d %s\n", r, strerrorname_np(errno));

    /* sigqueue to a child that waits for three instances. */
    block(SIGRTMIN + 4, SIG_BLOCK);
    int ready[2];
    pipe(ready);
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        write(ready[1], "r", 1);
        sigset_t cw;
        sigemptyset(&cw);
        sigaddset(&cw, SIGRTMIN + 4);
        for (int i = 0; i < 3; i++) {
            siginfo_t ci;
            sigwaitinfo(&cw, &ci);
            printf("child took value %d from parent %d code %s\n", ci.si_value.sival_int,
                   ci.si_pid == getppid(), code_name(ci.si_code));
        }
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    for (int i = 1; i <= 3; i++) sigqueue(pid, SIGRTMIN + 4, (union sigval){.sival_int = 40 + i});
    waitpid(pid, NULL, 0);

    /* Only a negative si_code other than SI_TKILL may be sent to another process. */
    siginfo_t forged;
    memset(&forged, 0, sizeof forged);
    forged.si_code = SI_USER;
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    r = syscall(SYS_rt_sigqueueinfo, pid, SIGRTMIN, &forged);
    printf("SI_USER to another: %d %s\n", r, strerrorname_np(errno));
    forged.si_code = SI_TKILL;
    r = syscall(SYS_rt_sigqueueinfo, pid, SIGRTMIN, &forged);
    printf("SI_TKILL to another: %d %s\n", r, strerrorname_np(errno));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    forged.si_code = SI_USER;
    block(SIGRTMIN + 5, SIG_BLOCK);
    r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 5, &forged);
    printf("SI_USER to self: %d\n", r);
    r = syscall(SYS_rt_sigqueueinfo, getpid(), 99, &forged);
    printf("bad signal: %d %s\n", r, strerrorname_np(errno));
    r = syscall(SYS_rt_sigqueueinfo, 999999, SIGRTMIN, &forged);
    printf("no such process: %d %s\n", r, strerrorname_np(errno));
    r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)16);
    printf("bad pointer: %d %s\n", r, strerrorname_np(errno));

    /* rt_tgsigqueueinfo to a thread that takes two instances. */
    block(SIGRTMIN + 3, SIG_BLOCK);
    pthread_t th;
    pthread_create(&th, NULL, thread_waits, NULL);
    for (int i = 1; i <= 2; i++) {
        union sigval v = {.sival_int = 50 + i};
        r = pthread_sigqueue(th, SIGRTMIN + 3, v);
        if (r) printf("pthread_sigqueue: %s\n", strerrorname_np(r));
    }
    pthread_join(th, NULL);
    return 0;
}
