/* Advisory locks between processes: fcntl record locks (ranges, read/write sharing,
 * splitting, F_GETLK reports, F_SETLKW waiting, release on close and exit), OFD locks
 * and flock, each family independent, and the error paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "ok";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
    }
}

static int lk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

/* What F_GETLK says about [start, start+len) for a write (or read) lock. */
static void probe(const char *what, int fd, short type, off_t start, off_t len, pid_t holder) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, F_GETLK, &fl)) {
        printf("%s: getlk %s\n", what, en(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) printf("%s: free\n", what);
    else
        printf("%s: %s [%ld,+%ld) by holder=%d\n", what, fl.l_type == F_WRLCK ? "W" : "R", (long)fl.l_start,
               (long)fl.l_len, fl.l_pid == holder);
}

static void ms(long n) {
    struct timespec ts = {0, n * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("/tmp/locked", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    pid_t parent = getpid();

    printf("W 0-100: %s\n", en(lk(fd, F_SETLK, F_WRLCK, 0, 100)));
    printf("unlock 40-60: %s\n", en(lk(fd, F_SETLK, F_UNLCK, 40, 20)));
    printf("R 200-EOF: %s\n", en(lk(fd, F_SETLK, F_RDLCK, 200, 0)));
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        probe("child probe 50", cfd, F_WRLCK, 50, 5, parent);
        probe("child probe 30", cfd, F_WRLCK, 30, 1, parent);
        probe("child probe 70", cfd, F_WRLCK, 70, 100, parent);
        probe("child read 300", cfd, F_RDLCK, 300, 10, parent);
        probe("child write 300", cfd, F_WRLCK, 300, 10, parent);
        printf("child W 45: %s\n", en(lk(cfd, F_SETLK, F_WRLCK, 45, 10)));
        printf("child W 10: %s\n", en(lk(cfd, F_SETLK, F_WRLCK, 10, 1)));
        printf("child R 500: %s\n", en(lk(cfd, F_SETLK, F_RDLCK, 500, 1)));
        /* Waits until the parent unlocks. */
        printf("child W 0-10 wait: %s\n", en(lk(cfd, F_SETLKW, F_WRLCK, 0, 10)));
        _exit(0);
    }
    ms(200);
    printf("parent unlocks 0-40\n");
    lk(fd, F_SETLK, F_UNLCK, 0, 40);
    int status;
    waitpid(pid, &status, 0);
    /* The child's locks went with it. */
    pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        probe("after child exit", cfd, F_WRLCK, 0, 10, parent);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* Closing any descriptor of the file drops the process's locks. */
    int fd2 = open("/tmp/locked", O_RDONLY);
    close(fd2);
    pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        probe("after close of another fd", cfd, F_WRLCK, 60, 10, parent);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* A descriptor of the file replaced by dup2 is closed too. */
    lk(fd, F_SETLK, F_WRLCK, 0, 10);
    int d = open("/tmp/locked", O_RDONLY), null = open("/dev/null", O_RDONLY);
    dup2(null, d);
    pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        probe("after dup2 over another fd", cfd, F_WRLCK, 0, 10, parent);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* Wrong access mode, bad type, bad whence, negative start. */
    int ro = open("/tmp/locked", O_RDONLY);
    printf("W on read-only fd: %s\n", en(lk(ro, F_SETLK, F_WRLCK, 0, 1)));
    printf("bad type: %s\n", en(lk(fd, F_SETLK, 9, 0, 1)));
    struct flock fl = {.l_type = F_RDLCK, .l_whence = 7};
    printf("bad whence: %s\n", en(fcntl(fd, F_SETLK, &fl) ? errno : 0));
    printf("negative start: %s\n", en(lk(fd, F_SETLK, F_RDLCK, -5, 1)));
    /* Negative length: the range ends at start. */
    printf("negative len: %s\n", en(lk(fd, F_SETLK, F_WRLCK, 100, -50)));
    pid = fork();
    if (pid == 0) {
        int cfd = open("/tmp/locked", O_RDWR);
        probe("negative len probe 60", cfd, F_WRLCK, 60, 1, parent);
        probe("negative len probe 100", cfd, F_WRLCK, 100, 1, parent);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* OFD locks belong to the open file: two opens in one process conflict. */
    int a = open("/tmp/locked", O_RDWR), b = open("/tmp/locked", O_RDWR);
    struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 1000, .l_len = 10};
    printf("ofd a: %s\n", en(fcntl(a, F_OFD_SETLK, &o) ? errno : 0));
    printf("ofd b: %s\n", en(fcntl(b, F_OFD_SETLK, &o) ? errno : 0));
    fcntl(b, F_OFD_GETLK, &o);
    printf("ofd getlk: type=%s pid=%d\n", o.l_type == F_WRLCK ? "W" : "?", o.l_pid);
    o.l_pid = 5;
    printf("ofd with pid: %s\n", en(fcntl(b, F_OFD_SETLK, &o) ? errno : 0));
    close(a);
    o.l_pid = 0;
    o.l_type = F_WRLCK;
    printf("ofd b after a closed: %s\n", en(fcntl(b, F_OFD_SETLK, &o) ? errno : 0));

    /* flock: whole file, per open file, independent of record locks. */
    int f1 = open("/tmp/locked", O_RDONLY), f2 = open("/tmp/locked", O_RDONLY);
    printf("flock ex f1: %s\n", en(flock(f1, LOCK_EX) ? errno : 0));
    printf("flock sh f2 nb: %s\n", en(flock(f2, LOCK_SH | LOCK_NB) ? errno : 0));
    printf("flock un f1: %s\n", en(flock(f1, LOCK_UN) ? errno : 0));
    printf("flock sh f2: %s\n", en(flock(f2, LOCK_SH | LOCK_NB) ? errno : 0));
    printf("flock sh f1: %s\n", en(flock(f1, LOCK_SH | LOCK_NB) ? errno : 0));
    printf("flock ex f1 nb: %s\n", en(flock(f1, LOCK_EX | LOCK_NB) ? errno : 0));
    printf("flock bad op: %s\n", en(flock(f1, 77) ? errno : 0));
    printf("flock bad fd: %s\n", en(flock(99, LOCK_SH) ? errno : 0));
    pid = fork();
    if (pid == 0) {
        /* The child shares f2's open file: it holds the same flock. */
        printf("child flock ex f2 after f1 unlock: ");
        flock(f1, LOCK_UN);
        printf("%s\n", en(flock(f2, LOCK_EX | LOCK_NB) ? errno : 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
