/* memfd_create: an anonymous file (name in /proc/self/fd, mode, link count, flags),
 * read and written and mapped like any file, shared with a fork child; seals: the
 * default without MFD_ALLOW_SEALING, and SHRINK, GROW, WRITE, SEAL enforced on
 * write, ftruncate, fallocate and mmap; bad names and flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, long r) {
    printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "ok");
}

int main(void) {
    int fd = memfd_create("demo", MFD_CLOEXEC);
    char link[128] = {0};
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    readlink(self, link, sizeof link - 1);
    struct stat st;
    fstat(fd, &st);
    printf("link '%s' mode %o nlink %lu size %ld\n", link, st.st_mode, (unsigned long)st.st_nlink, (long)st.st_size);
    printf("flags %#x cloexec %d\n", fcntl(fd, F_GETFL), fcntl(fd, F_GETFD));
    report("write", write(fd, "hello memfd", 11));
    char buf[32] = {0};
    report("pread", pread(fd, buf, sizeof buf - 1, 0));
    printf("read back '%s'\n", buf);
    report("ftruncate 8192", ftruncate(fd, 8192));
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(map + 4096, "from the child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pread(fd, buf, 14, 4096);
    printf("child's write seen through the file: '%.14s'\n", buf);
    printf("default seals: %d\n", fcntl(fd, F_GET_SEALS));
    report("add seals without ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));

    int s = memfd_create("sealed", MFD_ALLOW_SEALING);
    printf("sealable seals: %d\n", fcntl(s, F_GET_SEALS));
    write(s, "0123456789", 10);
    report("seal shrink", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
    report("shrink", ftruncate(s, 5));
    report("grow", ftruncate(s, 20));
    report("seal grow", fcntl(s, F_ADD_SEALS, F_SEAL_GROW));
    report("grow again", ftruncate(s, 30));
    report("write inside", pwrite(s, "ab", 2, 0));
    report("write past the end", pwrite(s, "ab", 2, 19));
    report("fallocate past the end", fallocate(s, 0, 0, 100));
    char *before = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
    munmap(before, 4096);
    report("seal write", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
    report("write", pwrite(s, "x", 1, 0));
    report("shared writable map", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0));
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0);
    printf("read-only map sees '%.10s'\n", ro);
    report("private writable map", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0) == MAP_FAILED ? -1 : 0);
    printf("seals now %#x\n", fcntl(s, F_GET_SEALS));
    report("seal seal", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
    report("after F_SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
    report("unknown seal", fcntl(memfd_create("x", MFD_ALLOW_SEALING), F_ADD_SEALS, 0x100));
    int plain = open("/tmp/plain", O_CREAT | O_RDWR, 0600);
    report("seals of a plain tmpfs file", fcntl(plain, F_GET_SEALS));

    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    report("name too long", memfd_create(longname, 0));
    report("bad flags", memfd_create("x", 0x100));
    report("bad name pointer", memfd_create((const char *)16, 0));
    return 0;
}
