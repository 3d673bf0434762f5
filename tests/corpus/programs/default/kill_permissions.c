/* Who may signal whom: a process that dropped to uid 1000 may signal itself and
 * another uid 1000 process, not a root one (EPERM from kill, a process group, tgkill
 * and sigqueue; signal 0 checks the same), except SIGCONT within its session; root
 * signals anyone. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int r) {
    printf("%s: %d %s\n", what, r, r < 0 ? strerrorname_np(errno) : "ok");
}

/* A child that waits for its pipe to close, then exits 0 (or dies of a signal). */
static pid_t sleeper(int uid, int *hold) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        if (uid >= 0 && setresuid(uid, uid, uid) != 0) _exit(99);
        signal(SIGUSR1, SIG_IGN);
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    close(p[0]);
    *hold = p[1];
    return pid;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int hold_root, hold_user;
    pid_t root_child = sleeper(-1, &hold_root);
    pid_t user_child = sleeper(1000, &hold_user);
    usleep(100000);
    int report_pipe[2];
    pipe(report_pipe);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (setresuid(1000, 1000, 1000) != 0) _exit(98);
        report("kill root process, signal 0", kill(root_child, 0));
        report("kill root process, SIGUSR1", kill(root_child, SIGUSR1));
        report("kill root process, SIGCONT (same session)", kill(root_child, SIGCONT));
        report("tgkill root process", syscall(SYS_tgkill, root_child, root_child, SIGUSR1));
        report("sigqueue root process", sigqueue(root_child, SIGUSR1, (union sigval){0}));
        report("kill uid 1000 process", kill(user_child, SIGUSR1));
        report("kill self, signal 0", kill(getpid(), 0));
        report("kill no such process", kill(999999, 0));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("checker exit %d\n", WEXITSTATUS(st));
    /* Root signals a process that dropped to uid 1000. */
    pid = fork();
    if (pid == 0) {
        setresuid(1000, 1000, 0);
        pause();
        _exit(0);
    }
    usleep(50000);
    report("root kills a uid 1000 process", kill(pid, SIGTERM));
    waitpid(pid, &st, 0);
    printf("it died of %s\n", WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "nothing");
    close(hold_root);
    close(hold_user);
    waitpid(root_child, &st, 0);
    printf("root child: exit %d\n", WEXITSTATUS(st));
    waitpid(user_child, &st, 0);
    printf("user child: exit %d\n", WEXITSTATUS(st));
    return 0;
}
