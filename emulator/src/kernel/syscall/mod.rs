//! System calls: [`dispatch`] holds the one table from i386 syscall number to handler;
//! the handlers live by area (`fs` for names and metadata, `io` for descriptors and data,
//! `process`, `mm`, `time`, `futex`, `sig`). Numbers without a handler return `ENOSYS`
//! and are logged once with their name.
//!
//! A handler gets the kernel, the calling task (out of the task table while it runs)
//! and the [`Call`]; it returns the value for eax, an errno, `Block` to park the task
//! (it will be called again with the same arguments), or `Handled` when it set the
//! registers itself (`execve`, `sigreturn`, `exit`).

pub mod cred;
pub mod fs;
pub mod futex;
pub mod io;
pub mod ldt;
pub mod lock;
pub mod memfd;
pub mod mm;
pub mod names;
pub mod net;
pub mod process;
pub mod sig;
pub mod time;
pub mod timer;

use super::errno::{Errno, KResult};
use super::memory::UserMem;
use super::task::Task;
use super::Kernel;
use names::nr;

/// A syscall as entered: number, six arguments, and the deadline of a parked wait.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub nr: u32,
    pub args: [u32; 6],
    /// Monotonic deadline set when the call first parked with a timeout.
    pub deadline: Option<u64>,
}

impl Call {
    pub fn arg(&self, i: usize) -> u32 {
        self.args[i]
    }
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as i32
    }
}

/// Why a handler did not return a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysError {
    Errno(Errno),
    /// Park until retried; the optional monotonic deadline wakes it for a timeout.
    Block(Option<u64>),
    /// Registers are already set (or the task is gone): write nothing.
    Handled,
}

impl From<Errno> for SysError {
    fn from(e: Errno) -> SysError {
        SysError::Errno(e)
    }
}

impl From<crate::mm::MmError> for SysError {
    fn from(e: crate::mm::MmError) -> SysError {
        SysError::Errno(e.into())
    }
}

pub type SysResult = Result<u32, SysError>;

type Handler = fn(&mut Kernel, &mut Task, &Call) -> SysResult;

/// The name of syscall `n`.
pub fn name(n: u32) -> &'static str {
    names::NAMES
        .get(n as usize)
        .copied()
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
}

/// Calls that continue after a signal handler with `SA_RESTART` (others give `EINTR`).
pub fn restartable(n: u32) -> bool {
    matches!(
        n,
        nr::READ
            | nr::WRITE
            | nr::READV
            | nr::WRITEV
            | nr::WAIT4
            | nr::WAITPID
            | nr::WAITID
            | nr::OPEN
            | nr::OPENAT
            | nr::PREAD64
            | nr::PWRITE64
            | nr::SOCKETCALL
            | nr::CONNECT
            | nr::ACCEPT4
            | nr::SENDTO
            | nr::SENDMSG
            | nr::RECVFROM
            | nr::RECVMSG
            | nr::RECVMMSG
            | nr::RECVMMSG_TIME64
            | nr::SENDMMSG
            | nr::FCNTL
            | nr::FCNTL64
            | nr::FLOCK
    )
}

/// The syscall table.
fn handler(n: u32) -> Option<Handler> {
    use self::fs as f;
    use self::io as i;
    use self::mm as m;
    use self::process as p;
    use self::sig as s;
    use self::time as t;
    use crate::kernel::{epoll, eventfd, inotify, ipc, timerfd};
    Some(match n {
        nr::EXIT => p::exit,
        nr::FORK => p::fork,
        nr::READ => i::read,
        nr::WRITE => i::write,
        nr::OPEN => f::open,
        nr::CLOSE => i::close,
        nr::WAITPID => p::waitpid,
        nr::CREAT => f::creat,
        nr::LINK => f::link,
        nr::UNLINK => f::unlink,
        nr::EXECVE => p::execve,
        nr::CHDIR => f::chdir,
        nr::TIME => t::time,
        nr::MKNOD => f::mknod,
        nr::CHMOD => f::chmod,
        nr::LSEEK => i::lseek,
        nr::GETPID => p::getpid,
        nr::GETUID | nr::GETUID32 | nr::GETEUID | nr::GETEUID32 => cred::getuid,
        nr::GETGID | nr::GETGID32 | nr::GETEGID | nr::GETEGID32 => cred::getuid,
        nr::SETUID | nr::SETUID32 | nr::SETGID | nr::SETGID32 => cred::setuid,
        nr::SETREUID | nr::SETREUID32 | nr::SETREGID | nr::SETREGID32 => cred::setreuid,
        nr::SETRESUID | nr::SETRESUID32 | nr::SETRESGID | nr::SETRESGID32 => cred::setresuid,
        nr::GETRESUID | nr::GETRESUID32 | nr::GETRESGID | nr::GETRESGID32 => cred::getresuid,
        nr::SETFSUID | nr::SETFSUID32 | nr::SETFSGID | nr::SETFSGID32 => cred::setfsuid,
        nr::GETGROUPS | nr::GETGROUPS32 => cred::getgroups,
        nr::SETGROUPS | nr::SETGROUPS32 => cred::setgroups,
        nr::CAPGET => cred::capget,
        nr::MODIFY_LDT => ldt::modify_ldt,
        nr::CAPSET => cred::capset,
        nr::ALARM => t::alarm,
        nr::FLOCK => lock::flock,
        nr::TIMER_CREATE => timer::timer_create,
        nr::TIMER_SETTIME => timer::timer_settime,
        nr::TIMER_SETTIME64 => timer::timer_settime64,
        nr::TIMER_GETTIME => timer::timer_gettime,
        nr::TIMER_GETTIME64 => timer::timer_gettime64,
        nr::TIMER_GETOVERRUN => timer::timer_getoverrun,
        nr::TIMER_DELETE => timer::timer_delete,
        nr::RT_SIGTIMEDWAIT => timer::rt_sigtimedwait,
        nr::RT_SIGTIMEDWAIT_TIME64 => timer::rt_sigtimedwait_time64,
        nr::SETITIMER => t::setitimer,
        nr::GETITIMER => t::getitimer,
        nr::PAUSE => s::pause,
        nr::ACCESS => f::access,
        nr::SYNC => f::sync,
        nr::KILL => s::kill,
        nr::RENAME => f::rename,
        nr::MKDIR => f::mkdir,
        nr::RMDIR => f::rmdir,
        nr::DUP => i::dup,
        nr::PIPE => i::pipe,
        nr::TIMES => t::times,
        nr::BRK => m::brk,
        nr::IOCTL => i::ioctl,
        nr::FCNTL | nr::FCNTL64 => i::fcntl,
        nr::SETPGID => p::setpgid,
        nr::UMASK => f::umask,
        nr::CHROOT => f::chroot,
        nr::DUP2 => i::dup2,
        nr::GETPPID => p::getppid,
        nr::GETPGRP => p::getpgrp,
        nr::SETSID => p::setsid,
        nr::SIGACTION => s::sigaction,
        nr::SETRLIMIT => p::setrlimit,
        nr::GETRLIMIT | nr::UGETRLIMIT => p::getrlimit,
        nr::GETRUSAGE => t::getrusage,
        nr::GETTIMEOFDAY => t::gettimeofday,
        nr::SYMLINK => f::symlink,
        nr::READLINK => f::readlink,
        nr::MMAP => m::old_mmap,
        nr::MUNMAP => m::munmap,
        nr::TRUNCATE => f::truncate,
        nr::FTRUNCATE => f::ftruncate,
        nr::FCHMOD => f::fchmod,
        nr::SOCKETCALL => net::socketcall,
        nr::SOCKET => net::socket,
        nr::SOCKETPAIR => net::socketpair,
        nr::BIND => net::bind,
        nr::CONNECT => net::connect,
        nr::LISTEN => net::listen,
        nr::ACCEPT4 => net::accept4,
        nr::GETSOCKOPT => net::getsockopt,
        nr::SETSOCKOPT => net::setsockopt,
        nr::GETSOCKNAME => net::getsockname,
        nr::GETPEERNAME => net::getpeername,
        nr::SENDTO => net::sendto,
        nr::SENDMSG => net::sendmsg,
        nr::RECVFROM => net::recvfrom,
        nr::RECVMSG => net::recvmsg,
        nr::SHUTDOWN => net::shutdown,
        nr::RECVMMSG => net::recvmmsg,
        nr::RECVMMSG_TIME64 => net::recvmmsg_time64,
        nr::SENDMMSG => net::sendmmsg,
        nr::WAIT4 => p::wait4,
        nr::SYSINFO => p::sysinfo,
        nr::FSYNC | nr::FDATASYNC => f::fsync,
        nr::SIGRETURN => s::sigreturn,
        nr::CLONE => p::clone,
        nr::UNAME => p::uname,
        nr::MPROTECT => m::mprotect,
        nr::SIGPROCMASK => s::sigprocmask,
        nr::GETPGID => p::getpgid,
        nr::FCHDIR => f::fchdir,
        nr::PERSONALITY => p::personality,
        nr::_LLSEEK => i::llseek,
        nr::GETDENTS => i::getdents,
        nr::_NEWSELECT => i::newselect,
        nr::READV => i::readv,
        nr::WRITEV => i::writev,
        nr::GETSID => p::getsid,
        nr::MLOCK | nr::MUNLOCK | nr::MLOCKALL | nr::MUNLOCKALL => m::nop,
        nr::MSYNC => m::msync,
        nr::SCHED_YIELD => p::sched_yield,
        nr::NANOSLEEP => t::nanosleep,
        nr::MREMAP => m::mremap,
        nr::POLL => i::poll,
        nr::PRCTL => p::prctl,
        nr::RT_SIGRETURN => s::rt_sigreturn,
        nr::RT_SIGACTION => s::rt_sigaction,
        nr::RT_SIGPROCMASK => s::rt_sigprocmask,
        nr::RT_SIGPENDING => s::rt_sigpending,
        nr::RT_SIGSUSPEND => s::rt_sigsuspend,
        nr::PREAD64 => i::pread64,
        nr::PWRITE64 => i::pwrite64,
        nr::CHOWN | nr::CHOWN32 => f::chown,
        nr::LCHOWN | nr::LCHOWN32 => f::lchown,
        nr::FCHOWN | nr::FCHOWN32 => f::fchown,
        nr::GETCWD => f::getcwd,
        nr::SIGALTSTACK => s::sigaltstack,
        nr::VFORK => p::vfork,
        nr::MMAP2 => m::mmap2,
        nr::TRUNCATE64 => f::truncate64,
        nr::FTRUNCATE64 => f::ftruncate64,
        nr::FALLOCATE => f::fallocate,
        nr::MEMFD_CREATE => memfd::memfd_create,
        nr::STAT64 => f::stat64,
        nr::LSTAT64 => f::lstat64,
        nr::FSTAT64 => f::fstat64,
        nr::MADVISE => m::nop,
        nr::GETDENTS64 => i::getdents64,
        nr::GETTID => p::gettid,
        nr::TKILL => s::tkill,
        nr::FUTEX => futex::futex,
        nr::FUTEX_TIME64 => futex::futex_time64,
        nr::SCHED_GETAFFINITY => p::sched_getaffinity,
        nr::SET_THREAD_AREA => p::set_thread_area,
        nr::GET_THREAD_AREA => p::get_thread_area,
        nr::FADVISE64 | nr::FADVISE64_64 => m::nop,
        nr::EXIT_GROUP => p::exit_group,
        nr::SET_TID_ADDRESS => p::set_tid_address,
        nr::CLOCK_GETTIME => t::clock_gettime,
        nr::CLOCK_GETTIME64 => t::clock_gettime64,
        nr::CLOCK_GETRES => t::clock_getres,
        nr::CLOCK_GETRES_TIME64 => t::clock_getres64,
        nr::CLOCK_NANOSLEEP => t::clock_nanosleep,
        nr::CLOCK_NANOSLEEP_TIME64 => t::clock_nanosleep64,
        nr::STATFS64 => f::statfs64,
        nr::FSTATFS64 => f::fstatfs64,
        nr::TGKILL => s::tgkill,
        nr::RT_SIGQUEUEINFO => s::rt_sigqueueinfo,
        nr::RT_TGSIGQUEUEINFO => s::rt_tgsigqueueinfo,
        nr::UTIMES => f::utimes,
        nr::WAITID => p::waitid,
        nr::OPENAT => f::openat,
        nr::MKDIRAT => f::mkdirat,
        nr::MKNODAT => f::mknodat,
        nr::FCHOWNAT => f::fchownat,
        nr::FSTATAT64 => f::fstatat64,
        nr::UNLINKAT => f::unlinkat,
        nr::RENAMEAT => f::renameat,
        nr::RENAMEAT2 => f::renameat2,
        nr::LINKAT => f::linkat,
        nr::SYMLINKAT => f::symlinkat,
        nr::READLINKAT => f::readlinkat,
        nr::FCHMODAT => f::fchmodat,
        nr::FACCESSAT | nr::FACCESSAT2 => f::faccessat,
        nr::PSELECT6 => i::pselect6,
        nr::PSELECT6_TIME64 => i::pselect6_time64,
        nr::PPOLL => i::ppoll,
        nr::PPOLL_TIME64 => i::ppoll_time64,
        nr::SET_ROBUST_LIST => p::set_robust_list,
        nr::UTIMENSAT => f::utimensat,
        nr::UTIMENSAT_TIME64 => f::utimensat64,
        nr::DUP3 => i::dup3,
        nr::PIPE2 => i::pipe2,
        nr::PRLIMIT64 => p::prlimit64,
        nr::GETRANDOM => p::getrandom,
        nr::STATX => f::statx,
        nr::SENDFILE64 => i::sendfile64,
        nr::RSEQ => p::rseq,
        nr::SIGNALFD4 => i::signalfd4,
        nr::GETXATTR | nr::LGETXATTR | nr::FGETXATTR => f::getxattr,
        nr::REMOVEXATTR | nr::LREMOVEXATTR | nr::FREMOVEXATTR => f::getxattr,
        nr::LISTXATTR | nr::LLISTXATTR | nr::FLISTXATTR => f::listxattr,
        nr::SETXATTR | nr::LSETXATTR | nr::FSETXATTR => f::setxattr,
        // Event descriptors and System V IPC.
        nr::EPOLL_CREATE => epoll::epoll_create,
        nr::EPOLL_CREATE1 => epoll::epoll_create1,
        nr::EPOLL_CTL => epoll::epoll_ctl,
        nr::EPOLL_WAIT => epoll::epoll_wait,
        nr::EPOLL_PWAIT => epoll::epoll_pwait,
        nr::EPOLL_PWAIT2 => epoll::epoll_pwait2,
        nr::EVENTFD => eventfd::eventfd,
        nr::EVENTFD2 => eventfd::eventfd2,
        nr::TIMERFD_CREATE => timerfd::timerfd_create,
        nr::TIMERFD_SETTIME => timerfd::timerfd_settime,
        nr::TIMERFD_GETTIME => timerfd::timerfd_gettime,
        nr::TIMERFD_SETTIME64 => timerfd::timerfd_settime64,
        nr::TIMERFD_GETTIME64 => timerfd::timerfd_gettime64,
        nr::INOTIFY_INIT => inotify::inotify_init,
        nr::INOTIFY_INIT1 => inotify::inotify_init1,
        nr::INOTIFY_ADD_WATCH => inotify::inotify_add_watch,
        nr::INOTIFY_RM_WATCH => inotify::inotify_rm_watch,
        nr::IPC => ipc::ipc,
        nr::SEMGET => ipc::semget,
        nr::SEMCTL => ipc::semctl,
        nr::SEMTIMEDOP_TIME64 => ipc::semtimedop_time64,
        nr::SHMGET => ipc::shmget,
        nr::SHMCTL => ipc::shmctl,
        nr::SHMAT => ipc::shmat,
        nr::SHMDT => ipc::shmdt,
        nr::MSGGET => ipc::msgget,
        nr::MSGSND => ipc::msgsnd,
        nr::MSGRCV => ipc::msgrcv,
        nr::MSGCTL => ipc::msgctl,
        _ => return None,
    })
}

/// Runs the handler for `call`.
pub fn dispatch(k: &mut Kernel, t: &mut Task, call: &Call) -> SysResult {
    match handler(call.nr) {
        Some(h) => h(k, t, call),
        None => {
            if k.enosys_logged.insert(call.nr) {
                let line = format!(
                    "unimplemented syscall {} ({}), returning ENOSYS",
                    name(call.nr),
                    call.nr
                );
                if k.options.strace {
                    k.log(&format!("webvm: {line}"));
                } else {
                    log::warn!("{line}");
                }
            }
            Err(Errno::ENOSYS.into())
        }
    }
}

/// Runs `f` with the calling task's memory.
pub fn mem<R>(k: &mut Kernel, t: &Task, f: impl FnOnce(&mut UserMem) -> R) -> R {
    let mut mm = t.mm.borrow_mut();
    let mut m = UserMem::new(&mut mm, &mut k.frames);
    f(&mut m)
}

/// Reads a path argument.
pub fn path_arg(k: &mut Kernel, t: &Task, addr: u32) -> KResult<Vec<u8>> {
    let p = mem(k, t, |m| m.read_cstr(addr, 4096))?;
    if p.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handler_has_a_linux_name() {
        let mut handled = 0;
        for n in 0..names::COUNT as u32 {
            if handler(n).is_some() {
                assert_ne!(name(n), "unknown", "syscall {n} has a handler but no name");
                handled += 1;
            }
        }
        assert!(handled > 150, "only {handled} handlers");
        assert_eq!(name(names::nr::WRITE), "write");
        assert_eq!(name(100_000), "unknown");
    }

    #[test]
    fn restartable_calls_are_the_slow_io_ones() {
        assert!(restartable(names::nr::READ));
        assert!(restartable(names::nr::WAIT4));
        assert!(!restartable(names::nr::NANOSLEEP));
        assert!(!restartable(names::nr::RT_SIGSUSPEND));
    }
}
