/* A process group that becomes orphaned while one of its members is stopped: the
 * members get SIGHUP and then SIGCONT (POSIX), so the stopped job runs again and can
 * end. While a member's parent outside the group (same session) lives, nothing comes.
 * In an orphaned group SIGTSTP, SIGTTIN and SIGTTOU with the default action do not
 * stop (SIGSTOP does). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report;
static void say(const char *s) { write(report, s, strlen(s)); }
static void on_hup(int s) { (void)s; say("D: SIGHUP\n"); }
static void on_cont(int s) { (void)s; say("D: SIGCONT\n"); }

/* Prints everything written to the report pipe `fd` until its writers are gone. */
static void print_report(int fd) {
    char buf[512];
    ssize_t n, total = 0;
    while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
    buf[total] = 0;
    printf("%s", buf);
    close(fd);
}

/* C leads a new group and forks D into it; D stops itself. */
static void run(int c_exits) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        report = p[1];
        setpgid(0, 0);
        pid_t d = fork();
        if (d == 0) {
            setpgid(0, getppid());
            signal(SIGHUP, on_hup);
            signal(SIGCONT, on_cont);
            raise(SIGSTOP);
            say("D: running again\n");
            _exit(3);
        }
        int st;
        waitpid(d, &st, WUNTRACED);
        say(WIFSTOPPED(st) ? "C: D stopped\n" : "C: ?\n");
        if (!c_exits) {
            usleep(200000);
            say("C: still here, D still stopped\n");
            kill(d, SIGKILL);
            waitpid(d, NULL, 0);
        }
        _exit(0);
    }
    close(p[1]);
    waitpid(c, NULL, 0);
    print_report(p[0]);
}

/* E is alone in a group whose only member's parent (the orphaned process's new
 * parent) is not in it: it tries the terminal stop signals on itself. */
static void stops_in_orphaned_group(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        report = p[1];
        pid_t e = fork();
        if (e == 0) {
            setpgid(0, 0);
            usleep(100000); /* its parent is gone: the group is orphaned */
            int sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
            const char *names[] = {"TSTP", "TTIN", "TTOU"};
            for (int i = 0; i < 3; i++) {
                raise(sigs[i]);
                char line[64];
                snprintf(line, sizeof line, "E: SIG%s did not stop it\n", names[i]);
                say(line);
            }
            _exit(0);
        }
        _exit(0);
    }
    close(p[1]);
    waitpid(c, NULL, 0);
    print_report(p[0]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("-- C exits, D's group is orphaned --\n");
    run(1);
    printf("-- C stays --\n");
    run(0);
    printf("-- stop signals in an orphaned group --\n");
    stops_in_orphaned_group();
    return 0;
}
