/* fallocate on tmpfs (extend, keep size, punch a hole that a mapping sees, the modes
 * and descriptors it refuses, posix_fallocate), and shared anonymous memory that a
 * fork child writes into pages the parent had not touched yet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static long size_of(int fd) {
    struct stat st;
    fstat(fd, &st);
    return (long)st.st_size;
}

static void report(const char *what, int r) {
    printf("%s: %d %s\n", what, r, r ? strerrorname_np(errno) : "ok");
}

int main(void) {
    int fd = open("/tmp/fa", O_CREAT | O_RDWR | O_TRUNC, 0644);
    report("extend to 10000", fallocate(fd, 0, 0, 10000));
    printf("size %ld\n", size_of(fd));
    report("keep size past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 50000));
    printf("size %ld\n", size_of(fd));
    report("inside the file", fallocate(fd, 0, 100, 200));
    printf("size %ld\n", size_of(fd));

    char data[10000];
    memset(data, 'x', sizeof data);
    pwrite(fd, data, sizeof data, 0);
    char *map = mmap(NULL, 12288, PROT_READ, MAP_SHARED, fd, 0);
    report("punch 5000..7000", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 5000, 2000));
    char back[10000];
    pread(fd, back, sizeof back, 0);
    int zeros = 0, xs = 0;
    for (int i = 0; i < 10000; i++) zeros += back[i] == 0, xs += back[i] == 'x';
    printf("after punch: %d zeros %d x, mapping sees %d %d %d, size %ld\n", zeros, xs, map[4999],
           map[5000], map[7000], size_of(fd));
    report("punch past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 9000, 5000));
    pread(fd, back, 1, 9999);
    printf("size %ld last %d\n", size_of(fd), back[0]);

    report("punch without keep size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
    report("zero range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10));
    report("length 0", fallocate(fd, 0, 0, 0));
    report("negative offset", fallocate(fd, 0, -1, 10));
    int ro = open("/tmp/fa", O_RDONLY);
    report("read-only descriptor", fallocate(ro, 0, 0, 20000));
    int p[2];
    pipe(p);
    report("pipe", fallocate(p[1], 0, 0, 10));
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    report("directory", fallocate(dir, 0, 0, 10));
    int r = posix_fallocate(fd, 0, 20000);
    printf("posix_fallocate: %d size %ld\n", r, size_of(fd));

    /* Shared anonymous memory: pages the parent never touched before fork. */
    char *shared = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared[4096] = 'P';
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(shared, "child page 0");
        shared[4097] = 'C';
        strcpy(shared + 8192, "child page 2");
        munmap(shared, 3 * 4096);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent sees '%s' '%c%c' '%s'\n", shared, shared[4096], shared[4097], shared + 8192);
    /* A MAP_SHARED mapping of /dev/zero is the same kind of memory. */
    int zero = open("/dev/zero", O_RDWR);
    int *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) {
            __sync_fetch_and_add(counter, 10 + i);
            _exit(0);
        }
        wait(NULL);
    }
    printf("counter from /dev/zero mapping: %d\n", *counter);
    /* A private anonymous mapping stays private. */
    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fork() == 0) {
        strcpy(priv, "child");
        _exit(0);
    }
    wait(NULL);
    printf("private stays '%s'\n", priv);
    return 0;
}
