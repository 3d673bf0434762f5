//! The i386 system call numbers and names, from Linux's `arch/x86/entry/syscalls/syscall_32.tbl`.
//!
//! Generated once from the kernel's `asm/unistd_32.h`; numbers never change.

/// Number of syscall slots.
pub const COUNT: usize = 451;

/// The name of each syscall number (`""` for unused numbers).
pub const NAMES: [&str; COUNT] = [
    "restart_syscall",
    "exit",
    "fork",
    "read",
    "write",
    "open",
    "close",
    "waitpid",
    "creat",
    "link",
    "unlink",
    "execve",
    "chdir",
    "time",
    "mknod",
    "chmod",
    "lchown",
    "break",
    "oldstat",
    "lseek",
    "getpid",
    "mount",
    "umount",
    "setuid",
    "getuid",
    "stime",
    "ptrace",
    "alarm",
    "oldfstat",
    "pause",
    "utime",
    "stty",
    "gtty",
    "access",
    "nice",
    "ftime",
    "sync",
    "kill",
    "rename",
    "mkdir",
    "rmdir",
    "dup",
    "pipe",
    "times",
    "prof",
    "brk",
    "setgid",
    "getgid",
    "signal",
    "geteuid",
    "getegid",
    "acct",
    "umount2",
    "lock",
    "ioctl",
    "fcntl",
    "mpx",
    "setpgid",
    "ulimit",
    "oldolduname",
    "umask",
    "chroot",
    "ustat",
    "dup2",
    "getppid",
    "getpgrp",
    "setsid",
    "sigaction",
    "sgetmask",
    "ssetmask",
    "setreuid",
    "setregid",
    "sigsuspend",
    "sigpending",
    "sethostname",
    "setrlimit",
    "getrlimit",
    "getrusage",
    "gettimeofday",
    "settimeofday",
    "getgroups",
    "setgroups",
    "select",
    "symlink",
    "oldlstat",
    "readlink",
    "uselib",
    "swapon",
    "reboot",
    "readdir",
    "mmap",
    "munmap",
    "truncate",
    "ftruncate",
    "fchmod",
    "fchown",
    "getpriority",
    "setpriority",
    "profil",
    "statfs",
    "fstatfs",
    "ioperm",
    "socketcall",
    "syslog",
    "setitimer",
    "getitimer",
    "stat",
    "lstat",
    "fstat",
    "olduname",
    "iopl",
    "vhangup",
    "idle",
    "vm86old",
    "wait4",
    "swapoff",
    "sysinfo",
    "ipc",
    "fsync",
    "sigreturn",
    "clone",
    "setdomainname",
    "uname",
    "modify_ldt",
    "adjtimex",
    "mprotect",
    "sigprocmask",
    "create_module",
    "init_module",
    "delete_module",
    "get_kernel_syms",
    "quotactl",
    "getpgid",
    "fchdir",
    "bdflush",
    "sysfs",
    "personality",
    "afs_syscall",
    "setfsuid",
    "setfsgid",
    "_llseek",
    "getdents",
    "_newselect",
    "flock",
    "msync",
    "readv",
    "writev",
    "getsid",
    "fdatasync",
    "_sysctl",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_yield",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "nanosleep",
    "mremap",
    "setresuid",
    "getresuid",
    "vm86",
    "query_module",
    "poll",
    "nfsservctl",
    "setresgid",
    "getresgid",
    "prctl",
    "rt_sigreturn",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "pread64",
    "pwrite64",
    "chown",
    "getcwd",
    "capget",
    "capset",
    "sigaltstack",
    "sendfile",
    "getpmsg",
    "putpmsg",
    "vfork",
    "ugetrlimit",
    "mmap2",
    "truncate64",
    "ftruncate64",
    "stat64",
    "lstat64",
    "fstat64",
    "lchown32",
    "getuid32",
    "getgid32",
    "geteuid32",
    "getegid32",
    "setreuid32",
    "setregid32",
    "getgroups32",
    "setgroups32",
    "fchown32",
    "setresuid32",
    "getresuid32",
    "setresgid32",
    "getresgid32",
    "chown32",
    "setuid32",
    "setgid32",
    "setfsuid32",
    "setfsgid32",
    "pivot_root",
    "mincore",
    "madvise",
    "getdents64",
    "fcntl64",
    "",
    "",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "sendfile64",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "get_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "fadvise64",
    "",
    "exit_group",
    "lookup_dcookie",
    "epoll_create",
    "epoll_ctl",
    "epoll_wait",
    "remap_file_pages",
    "set_tid_address",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_settime",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "statfs64",
    "fstatfs64",
    "tgkill",
    "utimes",
    "fadvise64_64",
    "vserver",
    "mbind",
    "get_mempolicy",
    "set_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "kexec_load",
    "waitid",
    "",
    "add_key",
    "request_key",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "migrate_pages",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "fstatat64",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "sync_file_range",
    "tee",
    "vmsplice",
    "move_pages",
    "getcpu",
    "epoll_pwait",
    "utimensat",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "perf_event_open",
    "recvmmsg",
    "fanotify_init",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "open_by_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "finit_module",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "bpf",
    "execveat",
    "socket",
    "socketpair",
    "bind",
    "connect",
    "listen",
    "accept4",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "sendto",
    "sendmsg",
    "recvfrom",
    "recvmsg",
    "shutdown",
    "userfaultfd",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "arch_prctl",
    "io_pgetevents",
    "rseq",
    "",
    "",
    "",
    "",
    "",
    "",
    "semget",
    "semctl",
    "shmget",
    "shmctl",
    "shmat",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "clock_gettime64",
    "clock_settime64",
    "clock_adjtime64",
    "clock_getres_time64",
    "clock_nanosleep_time64",
    "timer_gettime64",
    "timer_settime64",
    "timerfd_gettime64",
    "timerfd_settime64",
    "utimensat_time64",
    "pselect6_time64",
    "ppoll_time64",
    "",
    "io_pgetevents_time64",
    "recvmmsg_time64",
    "mq_timedsend_time64",
    "mq_timedreceive_time64",
    "semtimedop_time64",
    "rt_sigtimedwait_time64",
    "futex_time64",
    "sched_rr_get_interval_time64",
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "process_madvise",
    "epoll_pwait2",
    "mount_setattr",
    "quotactl_fd",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
    "futex_waitv",
    "set_mempolicy_home_node",
];

/// Syscall numbers the kernel refers to by name.
#[allow(dead_code)]
pub mod nr {
    pub const RESTART_SYSCALL: u32 = 0;
    pub const EXIT: u32 = 1;
    pub const FORK: u32 = 2;
    pub const READ: u32 = 3;
    pub const WRITE: u32 = 4;
    pub const OPEN: u32 = 5;
    pub const CLOSE: u32 = 6;
    pub const WAITPID: u32 = 7;
    pub const CREAT: u32 = 8;
    pub const LINK: u32 = 9;
    pub const UNLINK: u32 = 10;
    pub const EXECVE: u32 = 11;
    pub const CHDIR: u32 = 12;
    pub const TIME: u32 = 13;
    pub const MKNOD: u32 = 14;
    pub const CHMOD: u32 = 15;
    pub const LCHOWN: u32 = 16;
    pub const BREAK: u32 = 17;
    pub const OLDSTAT: u32 = 18;
    pub const LSEEK: u32 = 19;
    pub const GETPID: u32 = 20;
    pub const MOUNT: u32 = 21;
    pub const UMOUNT: u32 = 22;
    pub const SETUID: u32 = 23;
    pub const GETUID: u32 = 24;
    pub const STIME: u32 = 25;
    pub const PTRACE: u32 = 26;
    pub const ALARM: u32 = 27;
    pub const OLDFSTAT: u32 = 28;
    pub const PAUSE: u32 = 29;
    pub const UTIME: u32 = 30;
    pub const STTY: u32 = 31;
    pub const GTTY: u32 = 32;
    pub const ACCESS: u32 = 33;
    pub const NICE: u32 = 34;
    pub const FTIME: u32 = 35;
    pub const SYNC: u32 = 36;
    pub const KILL: u32 = 37;
    pub const RENAME: u32 = 38;
    pub const MKDIR: u32 = 39;
    pub const RMDIR: u32 = 40;
    pub const DUP: u32 = 41;
    pub const PIPE: u32 = 42;
    pub const TIMES: u32 = 43;
    pub const PROF: u32 = 44;
    pub const BRK: u32 = 45;
    pub const SETGID: u32 = 46;
    pub const GETGID: u32 = 47;
    pub const SIGNAL: u32 = 48;
    pub const GETEUID: u32 = 49;
    pub const GETEGID: u32 = 50;
    pub const ACCT: u32 = 51;
    pub const UMOUNT2: u32 = 52;
    pub const LOCK: u32 = 53;
    pub const IOCTL: u32 = 54;
    pub const FCNTL: u32 = 55;
    pub const MPX: u32 = 56;
    pub const SETPGID: u32 = 57;
    pub const ULIMIT: u32 = 58;
    pub const OLDOLDUNAME: u32 = 59;
    pub const UMASK: u32 = 60;
    pub const CHROOT: u32 = 61;
    pub const USTAT: u32 = 62;
    pub const DUP2: u32 = 63;
    pub const GETPPID: u32 = 64;
    pub const GETPGRP: u32 = 65;
    pub const SETSID: u32 = 66;
    pub const SIGACTION: u32 = 67;
    pub const SGETMASK: u32 = 68;
    pub const SSETMASK: u32 = 69;
    pub const SETREUID: u32 = 70;
    pub const SETREGID: u32 = 71;
    pub const SIGSUSPEND: u32 = 72;
    pub const SIGPENDING: u32 = 73;
    pub const SETHOSTNAME: u32 = 74;
    pub const SETRLIMIT: u32 = 75;
    pub const GETRLIMIT: u32 = 76;
    pub const GETRUSAGE: u32 = 77;
    pub const GETTIMEOFDAY: u32 = 78;
    pub const SETTIMEOFDAY: u32 = 79;
    pub const GETGROUPS: u32 = 80;
    pub const SETGROUPS: u32 = 81;
    pub const SELECT: u32 = 82;
    pub const SYMLINK: u32 = 83;
    pub const OLDLSTAT: u32 = 84;
    pub const READLINK: u32 = 85;
    pub const USELIB: u32 = 86;
    pub const SWAPON: u32 = 87;
    pub const REBOOT: u32 = 88;
    pub const READDIR: u32 = 89;
    pub const MMAP: u32 = 90;
    pub const MUNMAP: u32 = 91;
    pub const TRUNCATE: u32 = 92;
    pub const FTRUNCATE: u32 = 93;
    pub const FCHMOD: u32 = 94;
    pub const FCHOWN: u32 = 95;
    pub const GETPRIORITY: u32 = 96;
    pub const SETPRIORITY: u32 = 97;
    pub const PROFIL: u32 = 98;
    pub const STATFS: u32 = 99;
    pub const FSTATFS: u32 = 100;
    pub const IOPERM: u32 = 101;
    pub const SOCKETCALL: u32 = 102;
    pub const SYSLOG: u32 = 103;
    pub const SETITIMER: u32 = 104;
    pub const GETITIMER: u32 = 105;
    pub const STAT: u32 = 106;
    pub const LSTAT: u32 = 107;
    pub const FSTAT: u32 = 108;
    pub const OLDUNAME: u32 = 109;
    pub const IOPL: u32 = 110;
    pub const VHANGUP: u32 = 111;
    pub const IDLE: u32 = 112;
    pub const VM86OLD: u32 = 113;
    pub const WAIT4: u32 = 114;
    pub const SWAPOFF: u32 = 115;
    pub const SYSINFO: u32 = 116;
    pub const IPC: u32 = 117;
    pub const FSYNC: u32 = 118;
    pub const SIGRETURN: u32 = 119;
    pub const CLONE: u32 = 120;
    pub const SETDOMAINNAME: u32 = 121;
    pub const UNAME: u32 = 122;
    pub const MODIFY_LDT: u32 = 123;
    pub const ADJTIMEX: u32 = 124;
    pub const MPROTECT: u32 = 125;
    pub const SIGPROCMASK: u32 = 126;
    pub const CREATE_MODULE: u32 = 127;
    pub const INIT_MODULE: u32 = 128;
    pub const DELETE_MODULE: u32 = 129;
    pub const GET_KERNEL_SYMS: u32 = 130;
    pub const QUOTACTL: u32 = 131;
    pub const GETPGID: u32 = 132;
    pub const FCHDIR: u32 = 133;
    pub const BDFLUSH: u32 = 134;
    pub const SYSFS: u32 = 135;
    pub const PERSONALITY: u32 = 136;
    pub const AFS_SYSCALL: u32 = 137;
    pub const SETFSUID: u32 = 138;
    pub const SETFSGID: u32 = 139;
    pub const _LLSEEK: u32 = 140;
    pub const GETDENTS: u32 = 141;
    pub const _NEWSELECT: u32 = 142;
    pub const FLOCK: u32 = 143;
    pub const MSYNC: u32 = 144;
    pub const READV: u32 = 145;
    pub const WRITEV: u32 = 146;
    pub const GETSID: u32 = 147;
    pub const FDATASYNC: u32 = 148;
    pub const _SYSCTL: u32 = 149;
    pub const MLOCK: u32 = 150;
    pub const MUNLOCK: u32 = 151;
    pub const MLOCKALL: u32 = 152;
    pub const MUNLOCKALL: u32 = 153;
    pub const SCHED_SETPARAM: u32 = 154;
    pub const SCHED_GETPARAM: u32 = 155;
    pub const SCHED_SETSCHEDULER: u32 = 156;
    pub const SCHED_GETSCHEDULER: u32 = 157;
    pub const SCHED_YIELD: u32 = 158;
    pub const SCHED_GET_PRIORITY_MAX: u32 = 159;
    pub const SCHED_GET_PRIORITY_MIN: u32 = 160;
    pub const SCHED_RR_GET_INTERVAL: u32 = 161;
    pub const NANOSLEEP: u32 = 162;
    pub const MREMAP: u32 = 163;
    pub const SETRESUID: u32 = 164;
    pub const GETRESUID: u32 = 165;
    pub const VM86: u32 = 166;
    pub const QUERY_MODULE: u32 = 167;
    pub const POLL: u32 = 168;
    pub const NFSSERVCTL: u32 = 169;
    pub const SETRESGID: u32 = 170;
    pub const GETRESGID: u32 = 171;
    pub const PRCTL: u32 = 172;
    pub const RT_SIGRETURN: u32 = 173;
    pub const RT_SIGACTION: u32 = 174;
    pub const RT_SIGPROCMASK: u32 = 175;
    pub const RT_SIGPENDING: u32 = 176;
    pub const RT_SIGTIMEDWAIT: u32 = 177;
    pub const RT_SIGQUEUEINFO: u32 = 178;
    pub const RT_SIGSUSPEND: u32 = 179;
    pub const PREAD64: u32 = 180;
    pub const PWRITE64: u32 = 181;
    pub const CHOWN: u32 = 182;
    pub const GETCWD: u32 = 183;
    pub const CAPGET: u32 = 184;
    pub const CAPSET: u32 = 185;
    pub const SIGALTSTACK: u32 = 186;
    pub const SENDFILE: u32 = 187;
    pub const GETPMSG: u32 = 188;
    pub const PUTPMSG: u32 = 189;
    pub const VFORK: u32 = 190;
    pub const UGETRLIMIT: u32 = 191;
    pub const MMAP2: u32 = 192;
    pub const TRUNCATE64: u32 = 193;
    pub const FTRUNCATE64: u32 = 194;
    pub const STAT64: u32 = 195;
    pub const LSTAT64: u32 = 196;
    pub const FSTAT64: u32 = 197;
    pub const LCHOWN32: u32 = 198;
    pub const GETUID32: u32 = 199;
    pub const GETGID32: u32 = 200;
    pub const GETEUID32: u32 = 201;
    pub const GETEGID32: u32 = 202;
    pub const SETREUID32: u32 = 203;
    pub const SETREGID32: u32 = 204;
    pub const GETGROUPS32: u32 = 205;
    pub const SETGROUPS32: u32 = 206;
    pub const FCHOWN32: u32 = 207;
    pub const SETRESUID32: u32 = 208;
    pub const GETRESUID32: u32 = 209;
    pub const SETRESGID32: u32 = 210;
    pub const GETRESGID32: u32 = 211;
    pub const CHOWN32: u32 = 212;
    pub const SETUID32: u32 = 213;
    pub const SETGID32: u32 = 214;
    pub const SETFSUID32: u32 = 215;
    pub const SETFSGID32: u32 = 216;
    pub const PIVOT_ROOT: u32 = 217;
    pub const MINCORE: u32 = 218;
    pub const MADVISE: u32 = 219;
    pub const GETDENTS64: u32 = 220;
    pub const FCNTL64: u32 = 221;
    pub const GETTID: u32 = 224;
    pub const READAHEAD: u32 = 225;
    pub const SETXATTR: u32 = 226;
    pub const LSETXATTR: u32 = 227;
    pub const FSETXATTR: u32 = 228;
    pub const GETXATTR: u32 = 229;
    pub const LGETXATTR: u32 = 230;
    pub const FGETXATTR: u32 = 231;
    pub const LISTXATTR: u32 = 232;
    pub const LLISTXATTR: u32 = 233;
    pub const FLISTXATTR: u32 = 234;
    pub const REMOVEXATTR: u32 = 235;
    pub const LREMOVEXATTR: u32 = 236;
    pub const FREMOVEXATTR: u32 = 237;
    pub const TKILL: u32 = 238;
    pub const SENDFILE64: u32 = 239;
    pub const FUTEX: u32 = 240;
    pub const SCHED_SETAFFINITY: u32 = 241;
    pub const SCHED_GETAFFINITY: u32 = 242;
    pub const SET_THREAD_AREA: u32 = 243;
    pub const GET_THREAD_AREA: u32 = 244;
    pub const IO_SETUP: u32 = 245;
    pub const IO_DESTROY: u32 = 246;
    pub const IO_GETEVENTS: u32 = 247;
    pub const IO_SUBMIT: u32 = 248;
    pub const IO_CANCEL: u32 = 249;
    pub const FADVISE64: u32 = 250;
    pub const EXIT_GROUP: u32 = 252;
    pub const LOOKUP_DCOOKIE: u32 = 253;
    pub const EPOLL_CREATE: u32 = 254;
    pub const EPOLL_CTL: u32 = 255;
    pub const EPOLL_WAIT: u32 = 256;
    pub const REMAP_FILE_PAGES: u32 = 257;
    pub const SET_TID_ADDRESS: u32 = 258;
    pub const TIMER_CREATE: u32 = 259;
    pub const TIMER_SETTIME: u32 = 260;
    pub const TIMER_GETTIME: u32 = 261;
    pub const TIMER_GETOVERRUN: u32 = 262;
    pub const TIMER_DELETE: u32 = 263;
    pub const CLOCK_SETTIME: u32 = 264;
    pub const CLOCK_GETTIME: u32 = 265;
    pub const CLOCK_GETRES: u32 = 266;
    pub const CLOCK_NANOSLEEP: u32 = 267;
    pub const STATFS64: u32 = 268;
    pub const FSTATFS64: u32 = 269;
    pub const TGKILL: u32 = 270;
    pub const UTIMES: u32 = 271;
    pub const FADVISE64_64: u32 = 272;
    pub const VSERVER: u32 = 273;
    pub const MBIND: u32 = 274;
    pub const GET_MEMPOLICY: u32 = 275;
    pub const SET_MEMPOLICY: u32 = 276;
    pub const MQ_OPEN: u32 = 277;
    pub const MQ_UNLINK: u32 = 278;
    pub const MQ_TIMEDSEND: u32 = 279;
    pub const MQ_TIMEDRECEIVE: u32 = 280;
    pub const MQ_NOTIFY: u32 = 281;
    pub const MQ_GETSETATTR: u32 = 282;
    pub const KEXEC_LOAD: u32 = 283;
    pub const WAITID: u32 = 284;
    pub const ADD_KEY: u32 = 286;
    pub const REQUEST_KEY: u32 = 287;
    pub const KEYCTL: u32 = 288;
    pub const IOPRIO_SET: u32 = 289;
    pub const IOPRIO_GET: u32 = 290;
    pub const INOTIFY_INIT: u32 = 291;
    pub const INOTIFY_ADD_WATCH: u32 = 292;
    pub const INOTIFY_RM_WATCH: u32 = 293;
    pub const MIGRATE_PAGES: u32 = 294;
    pub const OPENAT: u32 = 295;
    pub const MKDIRAT: u32 = 296;
    pub const MKNODAT: u32 = 297;
    pub const FCHOWNAT: u32 = 298;
    pub const FUTIMESAT: u32 = 299;
    pub const FSTATAT64: u32 = 300;
    pub const UNLINKAT: u32 = 301;
    pub const RENAMEAT: u32 = 302;
    pub const LINKAT: u32 = 303;
    pub const SYMLINKAT: u32 = 304;
    pub const READLINKAT: u32 = 305;
    pub const FCHMODAT: u32 = 306;
    pub const FACCESSAT: u32 = 307;
    pub const PSELECT6: u32 = 308;
    pub const PPOLL: u32 = 309;
    pub const UNSHARE: u32 = 310;
    pub const SET_ROBUST_LIST: u32 = 311;
    pub const GET_ROBUST_LIST: u32 = 312;
    pub const SPLICE: u32 = 313;
    pub const SYNC_FILE_RANGE: u32 = 314;
    pub const TEE: u32 = 315;
    pub const VMSPLICE: u32 = 316;
    pub const MOVE_PAGES: u32 = 317;
    pub const GETCPU: u32 = 318;
    pub const EPOLL_PWAIT: u32 = 319;
    pub const UTIMENSAT: u32 = 320;
    pub const SIGNALFD: u32 = 321;
    pub const TIMERFD_CREATE: u32 = 322;
    pub const EVENTFD: u32 = 323;
    pub const FALLOCATE: u32 = 324;
    pub const TIMERFD_SETTIME: u32 = 325;
    pub const TIMERFD_GETTIME: u32 = 326;
    pub const SIGNALFD4: u32 = 327;
    pub const EVENTFD2: u32 = 328;
    pub const EPOLL_CREATE1: u32 = 329;
    pub const DUP3: u32 = 330;
    pub const PIPE2: u32 = 331;
    pub const INOTIFY_INIT1: u32 = 332;
    pub const PREADV: u32 = 333;
    pub const PWRITEV: u32 = 334;
    pub const RT_TGSIGQUEUEINFO: u32 = 335;
    pub const PERF_EVENT_OPEN: u32 = 336;
    pub const RECVMMSG: u32 = 337;
    pub const FANOTIFY_INIT: u32 = 338;
    pub const FANOTIFY_MARK: u32 = 339;
    pub const PRLIMIT64: u32 = 340;
    pub const NAME_TO_HANDLE_AT: u32 = 341;
    pub const OPEN_BY_HANDLE_AT: u32 = 342;
    pub const CLOCK_ADJTIME: u32 = 343;
    pub const SYNCFS: u32 = 344;
    pub const SENDMMSG: u32 = 345;
    pub const SETNS: u32 = 346;
    pub const PROCESS_VM_READV: u32 = 347;
    pub const PROCESS_VM_WRITEV: u32 = 348;
    pub const KCMP: u32 = 349;
    pub const FINIT_MODULE: u32 = 350;
    pub const SCHED_SETATTR: u32 = 351;
    pub const SCHED_GETATTR: u32 = 352;
    pub const RENAMEAT2: u32 = 353;
    pub const SECCOMP: u32 = 354;
    pub const GETRANDOM: u32 = 355;
    pub const MEMFD_CREATE: u32 = 356;
    pub const BPF: u32 = 357;
    pub const EXECVEAT: u32 = 358;
    pub const SOCKET: u32 = 359;
    pub const SOCKETPAIR: u32 = 360;
    pub const BIND: u32 = 361;
    pub const CONNECT: u32 = 362;
    pub const LISTEN: u32 = 363;
    pub const ACCEPT4: u32 = 364;
    pub const GETSOCKOPT: u32 = 365;
    pub const SETSOCKOPT: u32 = 366;
    pub const GETSOCKNAME: u32 = 367;
    pub const GETPEERNAME: u32 = 368;
    pub const SENDTO: u32 = 369;
    pub const SENDMSG: u32 = 370;
    pub const RECVFROM: u32 = 371;
    pub const RECVMSG: u32 = 372;
    pub const SHUTDOWN: u32 = 373;
    pub const USERFAULTFD: u32 = 374;
    pub const MEMBARRIER: u32 = 375;
    pub const MLOCK2: u32 = 376;
    pub const COPY_FILE_RANGE: u32 = 377;
    pub const PREADV2: u32 = 378;
    pub const PWRITEV2: u32 = 379;
    pub const PKEY_MPROTECT: u32 = 380;
    pub const PKEY_ALLOC: u32 = 381;
    pub const PKEY_FREE: u32 = 382;
    pub const STATX: u32 = 383;
    pub const ARCH_PRCTL: u32 = 384;
    pub const IO_PGETEVENTS: u32 = 385;
    pub const RSEQ: u32 = 386;
    pub const SEMGET: u32 = 393;
    pub const SEMCTL: u32 = 394;
    pub const SHMGET: u32 = 395;
    pub const SHMCTL: u32 = 396;
    pub const SHMAT: u32 = 397;
    pub const SHMDT: u32 = 398;
    pub const MSGGET: u32 = 399;
    pub const MSGSND: u32 = 400;
    pub const MSGRCV: u32 = 401;
    pub const MSGCTL: u32 = 402;
    pub const CLOCK_GETTIME64: u32 = 403;
    pub const CLOCK_SETTIME64: u32 = 404;
    pub const CLOCK_ADJTIME64: u32 = 405;
    pub const CLOCK_GETRES_TIME64: u32 = 406;
    pub const CLOCK_NANOSLEEP_TIME64: u32 = 407;
    pub const TIMER_GETTIME64: u32 = 408;
    pub const TIMER_SETTIME64: u32 = 409;
    pub const TIMERFD_GETTIME64: u32 = 410;
    pub const TIMERFD_SETTIME64: u32 = 411;
    pub const UTIMENSAT_TIME64: u32 = 412;
    pub const PSELECT6_TIME64: u32 = 413;
    pub const PPOLL_TIME64: u32 = 414;
    pub const IO_PGETEVENTS_TIME64: u32 = 416;
    pub const RECVMMSG_TIME64: u32 = 417;
    pub const MQ_TIMEDSEND_TIME64: u32 = 418;
    pub const MQ_TIMEDRECEIVE_TIME64: u32 = 419;
    pub const SEMTIMEDOP_TIME64: u32 = 420;
    pub const RT_SIGTIMEDWAIT_TIME64: u32 = 421;
    pub const FUTEX_TIME64: u32 = 422;
    pub const SCHED_RR_GET_INTERVAL_TIME64: u32 = 423;
    pub const PIDFD_SEND_SIGNAL: u32 = 424;
    pub const IO_URING_SETUP: u32 = 425;
    pub const IO_URING_ENTER: u32 = 426;
    pub const IO_URING_REGISTER: u32 = 427;
    pub const OPEN_TREE: u32 = 428;
    pub const MOVE_MOUNT: u32 = 429;
    pub const FSOPEN: u32 = 430;
    pub const FSCONFIG: u32 = 431;
    pub const FSMOUNT: u32 = 432;
    pub const FSPICK: u32 = 433;
    pub const PIDFD_OPEN: u32 = 434;
    pub const CLONE3: u32 = 435;
    pub const CLOSE_RANGE: u32 = 436;
    pub const OPENAT2: u32 = 437;
    pub const PIDFD_GETFD: u32 = 438;
    pub const FACCESSAT2: u32 = 439;
    pub const PROCESS_MADVISE: u32 = 440;
    pub const EPOLL_PWAIT2: u32 = 441;
    pub const MOUNT_SETATTR: u32 = 442;
    pub const QUOTACTL_FD: u32 = 443;
    pub const LANDLOCK_CREATE_RULESET: u32 = 444;
    pub const LANDLOCK_ADD_RULE: u32 = 445;
    pub const LANDLOCK_RESTRICT_SELF: u32 = 446;
    pub const MEMFD_SECRET: u32 = 447;
    pub const PROCESS_MRELEASE: u32 = 448;
    pub const FUTEX_WAITV: u32 = 449;
    pub const SET_MEMPOLICY_HOME_NODE: u32 = 450;
}
