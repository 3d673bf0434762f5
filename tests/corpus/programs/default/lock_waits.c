/* Waiting for record locks: F_SETLKW that would close a cycle of waits fails with
 * EDEADLK (the other waiter then gets its lock); a wait interrupted by a handler
 * installed with SA_RESTART resumes and gets the lock, one without it fails with
 * EINTR; flock waits follow the same rule. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int lk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &f) == 0 ? 0 : errno;
}

static const char *en(int e) { return e ? strerrorname_np(e) : "0"; }

static void ms(int n) { usleep(n * 1000); }

static volatile sig_atomic_t handled;
static void on_usr1(int s) { (void)s; handled++; }

static void wait_interrupted(int restart, int use_flock) {
    int fd = open("/tmp/lw", O_RDWR);
    if (use_flock) flock(fd, LOCK_EX); else lk(fd, F_SETLK, F_WRLCK, 0, 1);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sa, NULL);
        int cfd = open("/tmp/lw", O_RDWR);
        int r = use_flock ? (flock(cfd, LOCK_EX) ? errno : 0) : lk(cfd, F_SETLKW, F_WRLCK, 0, 1);
        printf("%s %s: %s after %d handler run(s)\n", use_flock ? "flock" : "F_SETLKW",
               restart ? "SA_RESTART" : "no SA_RESTART", en(r), handled);
        fflush(stdout);
        _exit(0);
    }
    ms(150);
    kill(pid, SIGUSR1);
    ms(150);
    if (use_flock) flock(fd, LOCK_UN); else lk(fd, F_SETLK, F_UNLCK, 0, 1);
    waitpid(pid, NULL, 0);
    close(fd);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("/tmp/lw", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "ab", 2);
    printf("parent locks byte 0: %s\n", en(lk(fd, F_SETLK, F_WRLCK, 0, 1)));
    int ready[2];
    pipe(ready);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/lw", O_RDWR);
        int mine = lk(cfd, F_SETLK, F_WRLCK, 1, 1);
        write(ready[1], "r", 1);
        ms(200); /* the parent is now waiting for byte 1 */
        int r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);
        printf("child: locked byte 1: %s, then waits for byte 0: %s\n", en(mine), en(r));
        fflush(stdout);
        _exit(0); /* its lock on byte 1 goes */
    }
    char c;
    read(ready[0], &c, 1);
    int r = lk(fd, F_SETLKW, F_WRLCK, 1, 1);
    waitpid(pid, NULL, 0);
    printf("parent waits for byte 1: %s\n", en(r));
    close(fd);

    wait_interrupted(1, 0);
    wait_interrupted(0, 0);
    wait_interrupted(1, 1);
    wait_interrupted(0, 1);
    return 0;
}
