/* System V shared memory: segments shared across fork (attached before and after),
   keys, IPC_STAT/IPC_SET/IPC_RMID, attach counts, SHM_RND/SHM_RDONLY, error paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(label, expr)                                                          \
    do {                                                                            \
        errno = 0;                                                                  \
        long r_ = (long)(expr);                                                     \
        printf("%s: %ld %s\n", label, r_ < 0 ? r_ : 0, r_ < 0 ? strerrorname_np(errno) : "ok"); \
    } while (0)

static struct shmid_ds stat_of(int id, const char *label) {
    struct shmid_ds ds;
    memset(&ds, 0, sizeof ds);
    errno = 0;
    int r = shmctl(id, IPC_STAT, &ds);
    if (r < 0) {
        printf("%s: stat %s\n", label, strerrorname_np(errno));
    } else {
        printf("%s: size=%zu mode=%o nattch=%lu uid=%u cpid_is_me=%d lpid_set=%d\n", label,
               ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch, ds.shm_perm.uid,
               ds.shm_cpid == getpid(), ds.shm_lpid != 0);
    }
    return ds;
}

static int maps_has_sysv(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "/SYSV") && strstr(line, "rw-s")) found = 1;
    fclose(f);
    return found;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK("size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    printf("private id valid: %d\n", id >= 0);
    stat_of(id, "new");
    char *p = shmat(id, NULL, 0);
    printf("attached: %d aligned: %d zeroed: %d\n", p != (void *)-1, ((long)p & 4095) == 0,
           p[0] == 0 && p[9999] == 0);
    stat_of(id, "attached");
    printf("maps shows it: %d\n", maps_has_sysv());
    strcpy(p, "parent");

    /* Attached before fork: the child's writes reach the parent. */
    pid_t pid = fork();
    if (pid == 0) {
        printf("child sees: %s\n", p);
        struct shmid_ds ds;
        shmctl(id, IPC_STAT, &ds);
        printf("child nattch: %lu\n", (unsigned long)ds.shm_nattch);
        char *q = shmat(id, NULL, 0);
        strcpy(q + 5000, "second attach");
        strcpy(p, "child wrote this");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent reads: %s / %s\n", p, p + 5000);
    stat_of(id, "after child");

    /* Attached only after fork, in each process. */
    int id2 = shmget(IPC_PRIVATE, 4096, 0600);
    pid = fork();
    if (pid == 0) {
        int *v = shmat(id2, NULL, 0);
        for (int i = 0; i < 1024; i++) v[i] = i * 3;
        shmdt(v);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    int *v = shmat(id2, NULL, SHM_RDONLY);
    long sum = 0;
    for (int i = 0; i < 1024; i++) sum += v[i];
    printf("sum written by child: %ld\n", sum);

    /* A read-only attach faults on write. */
    pid = fork();
    if (pid == 0) {
        v[0] = 1;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("write to read-only: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
    CHECK("shmdt ro", shmdt(v));
    CHECK("shmdt again", shmdt(v));
    CHECK("shmdt unaligned", shmdt((char *)p + 1));
    CHECK("shmdt not shm", shmdt(&status));

    /* Address rounding. */
    char *r = shmat(id2, (char *)v + 100, 0);
    printf("unaligned without SHM_RND: %s\n", r == (void *)-1 ? strerrorname_np(errno) : "ok");
    r = shmat(id2, (char *)v + 100, SHM_RND);
    printf("SHM_RND: %d same data: %d\n", r == (char *)v, r != (void *)-1 && ((int *)r)[5] == 15);
    r = shmat(id2, p, 0);
    printf("over a mapping: %s\n", r == (void *)-1 ? strerrorname_np(errno) : "ok");
    shmdt((char *)v);

    /* Keys. */
    key_t key = 0x5e700000 + (getpid() & 0xffff);
    int k1 = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0644);
    printf("key create: %d\n", k1 >= 0);
    CHECK("excl again", shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0644));
    printf("lookup same: %d\n", shmget(key, 0, 0) == k1);
    printf("lookup creat same: %d\n", shmget(key, 100, IPC_CREAT | 0600) == k1);
    CHECK("lookup larger", shmget(key, 8193, 0));
    CHECK("missing key", shmget(key + 1, 100, 0));
    struct shmid_ds ds = stat_of(k1, "keyed");
    printf("key kept: %d\n", ds.shm_perm.__key == key);
    ds.shm_perm.mode = 0640;
    CHECK("IPC_SET", shmctl(k1, IPC_SET, &ds));
    stat_of(k1, "after set");

    /* Removal while attached: gone by key, alive by id until the last detach. */
    char *kp = shmat(k1, NULL, 0);
    strcpy(kp, "still here");
    CHECK("IPC_RMID", shmctl(k1, IPC_RMID, NULL));
    ds = stat_of(k1, "removed");
    printf("dest flag: %d key now private: %d\n", (ds.shm_perm.mode & 01000) != 0,
           ds.shm_perm.__key == IPC_PRIVATE);
    CHECK("lookup removed", shmget(key, 0, 0));
    printf("memory still usable: %s\n", kp);
    CHECK("shmdt last", shmdt(kp));
    stat_of(k1, "destroyed");

    CHECK("stat bad id", shmctl(-1, IPC_STAT, &ds));
    CHECK("bad cmd", shmctl(id, 12345, &ds));
    CHECK("attach bad id", (long)shmat(-5, NULL, 0));
    CHECK("rmid", shmctl(id, IPC_RMID, NULL));
    CHECK("rmid 2", shmctl(id2, IPC_RMID, NULL));
    CHECK("shmdt p", shmdt(p));
    stat_of(id, "first destroyed");
    return 0;
}
