/* A parent and a child talk over two pipes; the child's exit status comes back. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int down[2], up[2];
    if (pipe(down) || pipe(up)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        char buf[64];
        ssize_t n = read(down[0], buf, sizeof buf);
        for (ssize_t i = 0; i < n; i++) buf[i] ^= 0x20;
        write(up[1], buf, n);
        _exit(7);
    }
    write(down[1], "hello", 5);
    char buf[64] = {0};
    ssize_t n = read(up[0], buf, sizeof buf - 1);
    int status;
    waitpid(pid, &status, 0);
    printf("%zd %s exited=%d code=%d\n", n, buf, WIFEXITED(status), WEXITSTATUS(status));
    return 0;
}
