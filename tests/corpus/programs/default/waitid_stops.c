/* waitid: WSTOPPED and WCONTINUED report a child's stop and continue (CLD_STOPPED,
 * CLD_CONTINUED with the signal), WNOWAIT leaves the report to be collected again,
 * WEXITED alone does not see stops, no option is EINVAL, and an exit is CLD_EXITED. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *code(int c) {
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static void show(const char *what, int r, siginfo_t *si, pid_t child) {
    if (r < 0) {
        printf("%s: %d %s\n", what, r, strerrorname_np(errno));
        return;
    }
    if (si->si_pid == 0) {
        printf("%s: nothing\n", what);
        return;
    }
    printf("%s: %s status %d from child %d\n", what, code(si->si_code), si->si_status,
           si->si_pid == child);
}

int main(void) {
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    siginfo_t si;
    kill(pid, SIGSTOP);
    memset(&si, 0, sizeof si);
    show("WSTOPPED|WNOWAIT", waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT), &si, pid);
    memset(&si, 0, sizeof si);
    show("WSTOPPED again", waitid(P_PID, pid, &si, WSTOPPED), &si, pid);
    memset(&si, 0, sizeof si);
    show("WSTOPPED|WNOHANG after it", waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), &si, pid);
    kill(pid, SIGCONT);
    memset(&si, 0, sizeof si);
    show("WCONTINUED", waitid(P_PID, pid, &si, WCONTINUED), &si, pid);
    kill(pid, SIGTSTP);
    usleep(100000);
    memset(&si, 0, sizeof si);
    show("WEXITED|WNOHANG while stopped", waitid(P_PID, pid, &si, WEXITED | WNOHANG), &si, pid);
    memset(&si, 0, sizeof si);
    show("WSTOPPED|WEXITED", waitid(P_ALL, 0, &si, WSTOPPED | WEXITED), &si, pid);
    show("no options", waitid(P_ALL, 0, &si, 0), &si, pid);
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof si);
    show("WEXITED", waitid(P_PID, pid, &si, WEXITED), &si, pid);
    show("no child left", waitid(P_ALL, 0, &si, WSTOPPED), &si, pid);
    pid = fork();
    if (pid == 0) _exit(5);
    memset(&si, 0, sizeof si);
    show("exit", waitid(P_PID, pid, &si, WEXITED), &si, pid);
    return 0;
}
