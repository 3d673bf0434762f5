/* File permission checks (DAC) and credentials: root prepares files in /tmp, then
 * children drop to the image's `user` (1000:1000, groups 1000 and 50) with
 * setgroups/setgid/setuid and try operations; each line prints the errno name.
 * Only /tmp is written (a tmpfs natively and in the emulator). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int rc) {
    if (rc < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: ok\n", what);
}

static int open_close(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd >= 0) close(fd);
    return fd;
}

static void mkfile(const char *path, mode_t mode, uid_t uid, gid_t gid) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "data\n", 5) != 5) { perror(path); exit(1); }
    close(fd);
    if (chown(path, uid, gid) || chmod(path, mode)) { perror(path); exit(1); }
}

static void copy(const char *from, const char *to, mode_t mode) {
    char buf[65536];
    int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0700);
    ssize_t n;
    if (in < 0 || out < 0) { perror(to); exit(1); }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n) { perror(to); exit(1); }
    close(in);
    close(out);
    if (chmod(to, mode)) { perror(to); exit(1); }
}

static void show(const char *path) {
    struct stat st;
    if (lstat(path, &st)) { report(path, -1); return; }
    printf("%s: mode %o uid %u gid %u\n", path, st.st_mode & 07777, st.st_uid, st.st_gid);
}

static void become_user(void) {
    gid_t groups[] = {1000, 50};
    if (setgroups(2, groups) || setgid(1000) || setuid(1000)) { perror("drop"); exit(1); }
}

static void as_user_files(void) {
    become_user();
    report("open rootfile rdonly", open_close("/tmp/p/rootfile", O_RDONLY));
    report("open rootfile wronly", open_close("/tmp/p/rootfile", O_WRONLY));
    report("open rootfile trunc", open_close("/tmp/p/rootfile", O_RDONLY | O_TRUNC));
    report("open secret", open_close("/tmp/p/secret", O_RDONLY));
    report("open grp rdwr", open_close("/tmp/p/grp", O_RDWR));
    report("open other50 rdwr", open_close("/tmp/p/other50", O_RDWR));
    report("creat in root dir", open_close("/tmp/p/new", O_CREAT | O_WRONLY));
    report("creat existing excl", open_close("/tmp/p/rootfile", O_CREAT | O_EXCL | O_WRONLY));
    report("mkdir in root dir", mkdir("/tmp/p/d", 0755));
    report("mkdir existing", mkdir("/tmp/p/rootfile", 0755));
    report("unlink in root dir", unlink("/tmp/p/rootfile"));
    report("unlink missing", unlink("/tmp/p/missing"));
    report("symlink in root dir", symlink("x", "/tmp/p/sl"));
    report("mkfifo in root dir", mkfifo("/tmp/p/ff", 0644));
    struct stat st;
    report("stat through closed dir", stat("/tmp/p/closed/f", &st));
    report("stat closed dir", stat("/tmp/p/closed", &st));
    report("chdir closed dir", chdir("/tmp/p/closed"));
    report("open closed dir", open_close("/tmp/p/closed", O_RDONLY | O_DIRECTORY));
    report("creat in wx dir", open_close("/tmp/p/wx/mine", O_CREAT | O_WRONLY));
    report("list wx dir", open_close("/tmp/p/wx", O_RDONLY | O_DIRECTORY));
    report("stat in wx dir", stat("/tmp/p/wx/mine", &st));
    report("access secret R", access("/tmp/p/secret", R_OK));
    report("access rootfile R", access("/tmp/p/rootfile", R_OK));
    report("access rootfile W", access("/tmp/p/rootfile", W_OK));
    report("access rootfile F", access("/tmp/p/rootfile", F_OK));
    report("access prog700 X", access("/tmp/p/prog700", X_OK));
    report("access closed/f F", access("/tmp/p/closed/f", F_OK));
    report("faccessat bad mode", faccessat(AT_FDCWD, "/tmp/p/rootfile", 8, 0));
    report("chmod rootfile", chmod("/tmp/p/rootfile", 0666));
    report("chmod userfile", chmod("/tmp/p/userfile", 0640));
    report("chmod usergid0 setgid", chmod("/tmp/p/usergid0", 02755));
    show("/tmp/p/usergid0");
    report("chmod userfile setgid", chmod("/tmp/p/userfile", 02750));
    show("/tmp/p/userfile");
    report("chown userfile to root", chown("/tmp/p/userfile", 0, -1));
    report("chown userfile to self", chown("/tmp/p/userfile", 1000, -1));
    report("chgrp userfile 50", chown("/tmp/p/userfile", -1, 50));
    show("/tmp/p/userfile");
    report("chgrp userfile 0", chown("/tmp/p/userfile", -1, 0));
    report("chown rootfile", chown("/tmp/p/rootfile", -1, -1));
    report("touch rootfile", utimensat(AT_FDCWD, "/tmp/p/rootfile", NULL, 0));
    report("touch grp", utimensat(AT_FDCWD, "/tmp/p/grp", NULL, 0));
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    report("set times grp", utimensat(AT_FDCWD, "/tmp/p/grp", ts, 0));
    report("set times userfile", utimensat(AT_FDCWD, "/tmp/p/userfile", ts, 0));
    struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    report("omit times missing", utimensat(AT_FDCWD, "/tmp/p/missing", omit, 0));
    report("truncate rootfile", truncate("/tmp/p/rootfile", 0));
    report("truncate grp", truncate("/tmp/p/grp", 2));
    report("truncate dir", truncate("/tmp/p", 0));
    report("link rootfile", link("/tmp/p/rootfile", "/tmp/lnk"));
    report("link grp", link("/tmp/p/grp", "/tmp/lnk2"));
    report("mknod chr", mknod("/tmp/chr", S_IFCHR | 0600, makedev(1, 3)));
    report("mkfifo tmp", mkfifo("/tmp/fifo", 0600));
    report("unlink sticky root file", unlink("/tmp/stk_root"));
    report("rmdir sticky root dir", rmdir("/tmp/stk_dir"));
    report("creat mine", open_close("/tmp/mine", O_CREAT | O_WRONLY));
    report("rename over sticky root file", rename("/tmp/mine", "/tmp/stk_root"));
    report("rename into root dir", rename("/tmp/mine", "/tmp/p/mine"));
    report("rename root file out", rename("/tmp/p/rootfile", "/tmp/x"));
    report("unlink mine", unlink("/tmp/mine"));
    report("create 0444 rdwr", open_close("/tmp/ro", O_CREAT | O_RDWR));
    chmod("/tmp/ro", 0444);
    report("reopen 0444 rdwr", open_close("/tmp/ro", O_RDWR));
    report("creat in setgid dir", open_close("/tmp/p/sg/f", O_CREAT | O_WRONLY));
    report("mkdir in setgid dir", mkdir("/tmp/p/sg/d", 0755));
    show("/tmp/p/sg/f");
    show("/tmp/p/sg/d");
    report("chroot", chroot("/tmp"));
    report("setgroups", setgroups(0, NULL));
    report("setuid 0", setuid(0));
    report("seteuid 0", seteuid(0));
    report("setgid 0", setgid(0));
    report("setresuid same", setresuid(-1, 1000, -1));
    printf("setfsuid 0 -> %d, now %d\n", setfsuid(0), setfsuid(-1));
    fflush(stdout);
    int pid = fork();
    if (pid == 0) {
        execl("/tmp/p/prog700", "prog700", (char *)NULL);
        report("exec prog700", -1);
        execl("/tmp/p", "p", (char *)NULL);
        report("exec dir", -1);
        execl("/tmp/p/rootfile", "rootfile", (char *)NULL);
        report("exec no x bit", -1);
        fflush(stdout);
        execl("/tmp/p/suid_id", "id", (char *)NULL);
        report("exec suid_id", -1);
        _exit(1);
    }
    waitpid(pid, NULL, 0);
}

static void ids(const char *what) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("%s: uid %u %u %u gid %u %u %u fsuid %d\n", what, r, e, s, gr, ge, gs, setfsuid(-1));
}

static void as_user_ids(void) {
    report("setresgid", setresgid(1000, 1000, 0));
    report("setresuid", setresuid(1000, 1000, 0));
    ids("after setresuid");
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) fputs(line, stdout);
    if (f) fclose(f);
    report("open secret as 1000", open_close("/tmp/p/secret", O_RDONLY));
    report("seteuid 0 (saved)", seteuid(0));
    ids("after seteuid 0");
    report("open secret as euid 0", open_close("/tmp/p/secret", O_RDONLY));
    report("access secret (real 1000)", access("/tmp/p/secret", R_OK));
    report("faccessat2 secret AT_EACCESS", faccessat(AT_FDCWD, "/tmp/p/secret", R_OK, AT_EACCESS));
    report("setreuid -1 1000", setreuid(-1, 1000));
    ids("after setreuid");
    report("setreuid 0 -1", setreuid(0, -1));
    report("seteuid 0 again", seteuid(0));
    report("setuid 1000 as root", setuid(1000));
    ids("after setuid");
    report("seteuid 0 finally", seteuid(0));
    report("setreuid 1000 1000", setreuid(1000, 1000));
    printf("setfsuid 1000 -> %d\n", setfsuid(1000));
    ids("end");
}

int main(void) {
    mkdir("/tmp/p", 0755);
    mkfile("/tmp/p/rootfile", 0644, 0, 0);
    mkfile("/tmp/p/secret", 0600, 0, 0);
    mkfile("/tmp/p/grp", 0660, 0, 1000);
    mkfile("/tmp/p/other50", 0606, 0, 50);
    mkfile("/tmp/p/userfile", 0644, 1000, 1000);
    mkfile("/tmp/p/usergid0", 0644, 1000, 0);
    mkfile("/tmp/stk_root", 0666, 0, 0);
    mkdir("/tmp/stk_dir", 0700);
    chmod("/tmp/stk_dir", 0777);
    copy("/bin/true", "/tmp/p/prog700", 0700);
    copy("/usr/bin/id", "/tmp/p/suid_id", 04755);
    mkdir("/tmp/p/closed", 0700);
    mkfile("/tmp/p/closed/f", 0644, 0, 0);
    mkdir("/tmp/p/wx", 0700);
    chmod("/tmp/p/wx", 0733);
    mkdir("/tmp/p/sg", 0777);
    chown("/tmp/p/sg", 0, 50);
    chmod("/tmp/p/sg", 02777);
    fflush(stdout);
    int pid = fork();
    if (pid == 0) { as_user_files(); fflush(stdout); _exit(0); }
    waitpid(pid, NULL, 0);
    pid = fork();
    if (pid == 0) { as_user_ids(); fflush(stdout); _exit(0); }
    waitpid(pid, NULL, 0);
    show("/tmp/p/grp");
    show("/tmp/lnk2");
    show("/tmp/fifo");
    /* root: chown clears set-id bits; exec needs some x bit */
    mkfile("/tmp/p/s", 06755, 0, 0);
    chown("/tmp/p/s", 1, 1);
    show("/tmp/p/s");
    report("root access rootfile X", access("/tmp/p/rootfile", X_OK));
    report("root access secret W", access("/tmp/p/secret", W_OK));
    report("root access prog700 X", access("/tmp/p/prog700", X_OK));
    return 0;
}
