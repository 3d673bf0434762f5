/* A System V segment keeps its contents while nobody has it attached, across
 * processes, until it is removed. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
    char *p = shmat(id, NULL, 0);
    strcpy(p, "first");
    strcpy(p + 8192, "third page");
    shmdt(p);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("attached: %lu\n", (unsigned long)ds.shm_nattch);
    p = shmat(id, NULL, 0);
    printf("after reattach: %s / %s\n", p, p + 8192);
    shmdt(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *c = shmat(id, NULL, 0);
        strcpy(c + 4096, "from the child");
        shmdt(c);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    p = shmat(id, NULL, SHM_RDONLY);
    printf("child's write: %s\n", p + 4096);
    shmctl(id, IPC_RMID, NULL);
    printf("still attached after RMID: %s\n", p);
    shmdt(p);
    printf("gone: %d\n", shmat(id, NULL, 0) == (void *)-1);
    return 0;
}
