/* Closing a pseudo-terminal's master hangs up its slave: the session leader whose
 * controlling terminal it is gets SIGHUP (and SIGCONT), reads on the slave then see end
 * of file and writes fail with EIO. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hup, cont;
static void on_hup(int s) { (void)s; hup++; }
static void on_cont(int s) { (void)s; cont++; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(master);
    unlockpt(master);
    char name[64];
    ptsname_r(master, name, sizeof name);
    int report[2], go[2];
    pipe(report);
    pipe(go);
    pid_t pid = fork();
    if (pid == 0) {
        close(master);
        close(report[0]);
        close(go[1]);
        signal(SIGHUP, on_hup);
        signal(SIGCONT, on_cont);
        setsid();
        int slave = open(name, O_RDWR); /* a session leader without O_NOCTTY: its ctty */
        char line[128];
        int n = snprintf(line, sizeof line, "ctty is the pty: %d\n", tcgetpgrp(slave) == getpid());
        write(report[1], line, n);
        char c;
        read(go[0], &c, 1); /* the parent is about to close the master */
        while (!hup) pause();
        char buf[16];
        ssize_t r = read(slave, buf, sizeof buf);
        n = snprintf(line, sizeof line, "SIGHUP %d SIGCONT %d; read after hang-up: %zd\n", hup, cont, r);
        write(report[1], line, n);
        errno = 0;
        r = write(slave, "x", 1);
        n = snprintf(line, sizeof line, "write after hang-up: %zd %s\n", r, strerrorname_np(errno));
        write(report[1], line, n);
        _exit(7);
    }
    close(report[1]);
    close(go[0]);
    char buf[256];
    ssize_t n = read(report[0], buf, sizeof buf);
    fwrite(buf, 1, n, stdout);
    write(go[1], "g", 1);
    close(master);
    int status;
    waitpid(pid, &status, 0);
    while ((n = read(report[0], buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
