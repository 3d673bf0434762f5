/* Sleeps and signals: a handler interrupts nanosleep/clock_nanosleep with EINTR and the
 * time left in `rem`; a stop and continue (no handler) do not interrupt them at all,
 * and the sleep still ends when it was due. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static void interrupted(const char *what, int use_clock) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec req = {2, 0}, rem = {-1, -1};
    int r = use_clock ? clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem) : nanosleep(&req, &rem);
    int e = use_clock ? r : errno;
    printf("%s: r=%d %s rem in (1, 2) s: %d\n", what, r < 0 ? -1 : r, e == EINTR ? "EINTR" : strerror(e),
           rem.tv_sec == 1 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
    waitpid(pid, NULL, 0);
}

static void stopped(const char *what, int use_clock) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        double start = now();
        struct timespec req = {0, 400000000}, rem = {0, 0};
        int r = use_clock ? clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem) : nanosleep(&req, &rem);
        double took = now() - start;
        printf("%s: r=%d slept at least 0.4 s: %d\n", what, r, took >= 0.399);
        fflush(stdout);
        _exit(0);
    }
    sleep_ms(100);
    kill(pid, SIGSTOP);
    int status;
    waitpid(pid, &status, WUNTRACED);
    printf("%s: child stopped: %d\n", what, WIFSTOPPED(status));
    sleep_ms(100);
    kill(pid, SIGCONT);
    waitpid(pid, &status, 0);
    printf("%s: child exited 0: %d\n", what, WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    interrupted("nanosleep", 0);
    interrupted("clock_nanosleep", 1);
    stopped("nanosleep", 0);
    stopped("clock_nanosleep", 1);
    /* An absolute sleep interrupted by a handler leaves rem alone. */
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sleep_ms(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec until, rem = {7, 7};
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 2;
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, &rem);
    printf("absolute: %s rem untouched: %d\n", r == EINTR ? "EINTR" : strerror(r), rem.tv_sec == 7 && rem.tv_nsec == 7);
    waitpid(pid, NULL, 0);
    return 0;
}
