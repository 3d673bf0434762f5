//! Syscalls on tasks and processes: `fork`/`vfork`/`clone`, `execve`, `exit`,
//! `wait4`/`waitid`, ids, groups and sessions, credentials, limits, `uname`, `sysinfo`,
//! TLS (`set_thread_area`), `getrandom`.

use super::{mem, path_arg, Call, SysError, SysResult};
use crate::cpu::state::{EAX, ESP};
use crate::cpu::Cpu;
use crate::kernel::abi::{fill, Rlimit64, Sysinfo, UserDesc, Utsname};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::exec::{build_image, commit_exec};
use crate::kernel::memory::Mm;
use crate::kernel::signal::{exited_status, SigSet};
use crate::kernel::task::{Process, Task, TaskState};
use crate::kernel::Kernel;
use std::cell::RefCell;
use std::rc::Rc;

pub const CLONE_VM: u32 = 0x100;
pub const CLONE_FS: u32 = 0x200;
pub const CLONE_FILES: u32 = 0x400;
pub const CLONE_SIGHAND: u32 = 0x800;
pub const CLONE_VFORK: u32 = 0x4000;
pub const CLONE_PARENT: u32 = 0x8000;
pub const CLONE_THREAD: u32 = 0x10000;
pub const CLONE_SETTLS: u32 = 0x80000;
pub const CLONE_PARENT_SETTID: u32 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u32 = 0x200000;
pub const CLONE_CHILD_SETTID: u32 = 0x1000000;

const RLIM_INFINITY: u64 = u64::MAX;

/// Limits a new machine starts with (as a default Debian shell sees them).
pub fn default_rlimits() -> [(u64, u64); 16] {
    let mut r = [(RLIM_INFINITY, RLIM_INFINITY); 16];
    r[3] = (8 << 20, RLIM_INFINITY); // STACK
    r[4] = (0, RLIM_INFINITY); // CORE
    r[6] = (7823, 7823); // NPROC
    r[7] = (1024, 1024 * 1024); // NOFILE
    r[8] = (8 << 20, 8 << 20); // MEMLOCK
    r[10] = (0, 0); // ? (LOCKS left infinite below)
    r[10] = (RLIM_INFINITY, RLIM_INFINITY);
    r[11] = (7823, 7823); // SIGPENDING
    r[12] = (819_200, 819_200); // MSGQUEUE
    r[13] = (0, 0); // NICE
    r[14] = (0, 0); // RTPRIO
    r
}

/// Installs a TLS descriptor from a `user_desc`; returns the entry used.
fn install_tls(k: &mut Kernel, t: &mut Task, addr: u32) -> KResult<u32> {
    let mut d: UserDesc = mem(k, t, |m| m.read_obj(addr))?;
    let entry = if d.entry_number == u32::MAX {
        (12..15)
            .find(|&e| t.cpu.state.descriptor_base((e << 3) | 3).is_none())
            .unwrap_or(12)
    } else {
        d.entry_number
    };
    if !(12..15).contains(&entry) {
        return Err(Errno::EINVAL);
    }
    let selector = (entry << 3) | 3;
    t.cpu.state.set_descriptor(selector, d.base_addr);
    for seg in [4usize, 5] {
        if t.cpu.state.segments[seg].selector == selector {
            t.cpu.state.segments[seg].base = d.base_addr;
        }
    }
    d.entry_number = entry;
    mem(k, t, |m| m.write_obj(addr, &d))?;
    Ok(entry)
}

pub fn set_thread_area(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    install_tls(k, t, c.arg(0))?;
    Ok(0)
}

pub fn get_thread_area(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut d: UserDesc = mem(k, t, |m| m.read_obj(c.arg(0)))?;
    let base = t
        .cpu
        .state
        .descriptor_base((d.entry_number << 3) | 3)
        .ok_or(Errno::EINVAL)?;
    d.base_addr = base;
    d.limit = 0xfffff;
    d.flags = 0x51;
    mem(k, t, |m| m.write_obj(c.arg(0), &d))?;
    Ok(0)
}

/// Creates a task as `clone` does; returns the child's tid.
fn do_clone(
    k: &mut Kernel,
    t: &mut Task,
    flags: u32,
    stack: u32,
    ptid: u32,
    tls: u32,
    ctid: u32,
) -> SysResult {
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(Errno::EINVAL.into());
    }
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL.into());
    }
    if (flags & 0xff) as usize >= crate::kernel::signal::NSIG {
        return Err(Errno::EINVAL.into());
    }
    let tid = k.alloc_tid();
    let mm = if flags & CLONE_VM != 0 {
        t.mm.clone()
    } else {
        let child_space = t.mm.borrow_mut().space.fork(&mut k.frames);
        let mut child_mm = Mm::new(child_space);
        child_mm.ldt = t.mm.borrow().ldt.clone();
        Rc::new(RefCell::new(child_mm))
    };
    let files = if flags & CLONE_FILES != 0 {
        t.files.clone()
    } else {
        Rc::new(RefCell::new(t.files.borrow().clone()))
    };
    let fs = if flags & CLONE_FS != 0 {
        t.fs.clone()
    } else {
        Rc::new(RefCell::new(t.fs.borrow().clone()))
    };
    let sighand = if flags & CLONE_SIGHAND != 0 {
        t.sighand.clone()
    } else {
        Rc::new(RefCell::new(*t.sighand.borrow()))
    };
    let process = if flags & CLONE_THREAD != 0 {
        t.process.borrow_mut().threads.push(tid);
        t.process.clone()
    } else {
        let p = t.process.borrow();
        let ppid = if flags & CLONE_PARENT != 0 {
            p.ppid
        } else {
            p.pid
        };
        Rc::new(RefCell::new(Process {
            pid: tid,
            ppid,
            pgid: p.pgid,
            sid: p.sid,
            uid: p.uid,
            gid: p.gid,
            groups: p.groups.clone(),
            euid: p.euid,
            suid: p.suid,
            fsuid: p.fsuid,
            egid: p.egid,
            sgid: p.sgid,
            fsgid: p.fsgid,
            keep_caps: p.keep_caps,
            caps_kept: p.caps_kept,
            caps_raised: p.caps_raised,
            exe: p.exe.clone(),
            comm: p.comm.clone(),
            cmdline: p.cmdline.clone(),
            exit_signal: flags & 0xff,
            ctty: p.ctty,
            stopped: false,
            stop_report: None,
            threads: vec![tid],
            exiting: None,
            shared_pending: SigSet::default(),
            shared_info: Default::default(),
            rlimits: p.rlimits,
            start_ns: k.uptime_ns(),
            alarm: None,
            alarm_interval: 0,
            cpu_ns: 0,
            children_cpu_ns: 0,
            cpu_timers: Default::default(),
            reparented: false,
            timers: Default::default(),
        }))
    };
    let mut cpu = Cpu::new();
    cpu.state = t.cpu.state.clone();
    cpu.state.gpr[EAX] = 0;
    if stack != 0 {
        cpu.state.gpr[ESP] = stack;
    }
    let code_epoch_seen = mm.borrow().code_epoch();
    let mut child = Task {
        tid,
        cpu,
        code_epoch_seen,
        mm,
        files,
        fs,
        sighand,
        process,
        sigmask: t.sigmask,
        pending: SigSet::default(),
        saved_mask: None,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        },
        robust_list: 0,
        state: TaskState::Runnable,
        gate: t.gate,
        futex_woken: false,
        io_progress: 0,
        vdso_base: t.vdso_base,
        altstack: if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
            (0, 0, 2)
        } else {
            t.altstack
        },
        pending_info: Default::default(),
        trap: t.trap,
        restart_sleep: None,
    };
    if flags & CLONE_SETTLS != 0 {
        install_tls(k, &mut child, tls)?;
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        mem(k, t, |m| m.write_u32(ptid, tid))?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        mem(k, &child, |m| m.write_u32(ctid, tid))?;
    }
    k.tasks.insert(tid, child);
    if flags & CLONE_VFORK != 0 {
        t.state = TaskState::VforkWait(tid);
    }
    Ok(tid)
}

pub fn fork(k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    do_clone(k, t, 17, 0, 0, 0, 0)
}

pub fn vfork(k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    do_clone(k, t, CLONE_VM | CLONE_VFORK | 17, 0, 0, 0, 0)
}

pub fn clone(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    // i386: clone(flags, newsp, parent_tidptr, tls, child_tidptr).
    do_clone(k, t, c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4))
}

pub fn execve(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let path = path_arg(k, t, c.arg(0))?;
    let argv = mem(k, t, |m| m.read_cstr_array(c.arg(1)))?;
    let envp = mem(k, t, |m| m.read_cstr_array(c.arg(2)))?;
    let argv = if argv.is_empty() {
        vec![path.clone()]
    } else {
        argv
    };
    let image = build_image(k, t, &path, argv, envp)?;
    commit_exec(k, t, image);
    Err(SysError::Handled)
}

pub fn exit(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let status = exited_status(c.arg(0));
    if t.process.borrow().threads.len() <= 1 {
        k.exit_group(t, status);
    } else {
        t.state = TaskState::Dead;
    }
    Err(SysError::Handled)
}

pub fn exit_group(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    k.exit_group(t, exited_status(c.arg(0)));
    Err(SysError::Handled)
}

const WNOHANG: u32 = 1;

/// Which children a wait selects: pid > 0 that one, -1 any, 0 own group, < -1 group.
fn selects(sel: i32, my_pgid: u32, pid: u32, pgid: u32) -> bool {
    match sel {
        -1 => true,
        0 => pgid == my_pgid,
        s if s > 0 => pid == s as u32,
        s => pgid == s.unsigned_abs(),
    }
}

/// Finds a finished child; `Ok(None)` when children exist but none has finished.
fn find_zombie(k: &mut Kernel, t: &Task, sel: i32, reap: bool) -> KResult<Option<(u32, u32)>> {
    let (me, my_pgid) = {
        let p = t.process.borrow();
        (p.pid, p.pgid)
    };
    let found = k
        .zombies
        .iter()
        .find(|(&pid, z)| z.ppid == me && selects(sel, my_pgid, pid, z.pgid))
        .map(|(&pid, z)| (pid, z.status));
    if let Some((pid, status)) = found {
        if reap {
            if let Some(z) = k.zombies.remove(&pid) {
                let mut p = t.process.borrow_mut();
                p.children_cpu_ns = p.children_cpu_ns.saturating_add(z.cpu_ns);
            }
        }
        return Ok(Some((pid, status)));
    }
    let live = k.tasks.values().any(|c| {
        let p = c.process.borrow();
        c.is_leader() && p.ppid == me && selects(sel, my_pgid, p.pid, p.pgid)
    });
    if live {
        Ok(None)
    } else {
        Err(Errno::ECHILD)
    }
}

const WUNTRACED: u32 = 2;
const WEXITED: u32 = 4;
const WCONTINUED: u32 = 8;
const WNOWAIT: u32 = 0x0100_0000;

/// A child whose stop or continue was not yet reported, as (pid, wait status).
fn find_stop_report(k: &mut Kernel, t: &Task, sel: i32, options: u32) -> Option<(u32, u32)> {
    let keep = options & WNOWAIT != 0;
    let (me, my_pgid) = {
        let p = t.process.borrow();
        (p.pid, p.pgid)
    };
    for c in k.tasks.values() {
        if !c.is_leader() {
            continue;
        }
        let mut p = c.process.borrow_mut();
        if p.ppid != me || !selects(sel, my_pgid, p.pid, p.pgid) {
            continue;
        }
        match p.stop_report {
            Some(crate::kernel::signal::SIGCONT) if options & WCONTINUED != 0 => {
                if !keep {
                    p.stop_report = None;
                }
                return Some((p.pid, 0xffff));
            }
            Some(sig) if sig != crate::kernel::signal::SIGCONT && options & WUNTRACED != 0 => {
                if !keep {
                    p.stop_report = None;
                }
                return Some((p.pid, (sig << 8) | 0x7f));
            }
            _ => {}
        }
    }
    None
}

fn do_wait4(k: &mut Kernel, t: &mut Task, sel: i32, status_addr: u32, options: u32) -> SysResult {
    if let Some((pid, status)) = find_stop_report(k, t, sel, options) {
        if status_addr != 0 {
            mem(k, t, |m| m.write_u32(status_addr, status))?;
        }
        return Ok(pid);
    }
    match find_zombie(k, t, sel, true)? {
        Some((pid, status)) => {
            if status_addr != 0 {
                mem(k, t, |m| m.write_u32(status_addr, status))?;
            }
            Ok(pid)
        }
        None if options & WNOHANG != 0 => Ok(0),
        None => Err(SysError::Block(None)),
    }
}

pub fn wait4(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(3) != 0 {
        mem(k, t, |m| m.write(c.arg(3), &[0u8; 72]))?;
    }
    do_wait4(k, t, c.int(0), c.arg(1), c.arg(2))
}

pub fn waitpid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    do_wait4(k, t, c.int(0), c.arg(1), c.arg(2))
}

pub fn waitid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    // waitid(idtype, id, infop, options): P_ALL 0, P_PID 1, P_PGID 2.
    let sel = match c.arg(0) {
        0 => -1,
        1 => c.int(1),
        2 => -c.int(1),
        _ => return Err(Errno::EINVAL.into()),
    };
    let options = c.arg(3);
    if options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let reap = options & WNOWAIT == 0;
    // Stops and continues (WSTOPPED is WUNTRACED's value), then exits.
    let found = match find_stop_report(k, t, sel, options) {
        Some(report) => Some(report),
        None if options & WEXITED != 0 => find_zombie(k, t, sel, reap)?,
        None => {
            // Only ECHILD matters here (no child selected at all); exits are not asked for.
            find_zombie(k, t, sel, false)?;
            None
        }
    };
    match found {
        Some((pid, status)) => {
            if c.arg(2) != 0 {
                let (code, value) = if status == 0xffff {
                    (6, crate::kernel::signal::SIGCONT) // CLD_CONTINUED
                } else if status & 0xff == 0x7f {
                    (5, (status >> 8) & 0xff) // CLD_STOPPED
                } else if status & 0x7f == 0 {
                    (1, (status >> 8) & 0xff) // CLD_EXITED
                } else {
                    (if status & 0x80 != 0 { 3 } else { 2 }, status & 0x7f)
                };
                let mut info = crate::kernel::signal::SigInfo::new(17, code);
                info.fields[0] = pid;
                info.fields[1] = 0;
                info.fields[2] = value;
                mem(k, t, |m| m.write_obj(c.arg(2), &info))?;
            }
            Ok(0)
        }
        None if c.arg(3) & WNOHANG != 0 => {
            if c.arg(2) != 0 {
                mem(k, t, |m| m.write(c.arg(2), &[0u8; 128]))?;
            }
            Ok(0)
        }
        None => Err(SysError::Block(None)),
    }
}

pub fn getpid(_k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    Ok(t.pid())
}

pub fn gettid(_k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    Ok(t.tid)
}

pub fn getppid(_k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    Ok(t.process.borrow().ppid)
}

pub fn getpgrp(_k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    Ok(t.process.borrow().pgid)
}

fn process_of(k: &Kernel, t: &Task, pid: u32) -> KResult<Rc<RefCell<Process>>> {
    if pid == 0 || pid == t.pid() {
        return Ok(t.process.clone());
    }
    k.tasks
        .get(&pid)
        .filter(|c| c.is_leader())
        .map(|c| c.process.clone())
        .ok_or(Errno::ESRCH)
}

pub fn getpgid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    Ok(process_of(k, t, c.arg(0))?.borrow().pgid)
}

pub fn getsid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    Ok(process_of(k, t, c.arg(0))?.borrow().sid)
}

pub fn setpgid(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.int(1) < 0 {
        return Err(Errno::EINVAL.into());
    }
    let p = process_of(k, t, c.arg(0))?;
    let mut p = p.borrow_mut();
    p.pgid = if c.arg(1) == 0 { p.pid } else { c.arg(1) };
    Ok(0)
}

pub fn setsid(_k: &mut Kernel, t: &mut Task, _c: &Call) -> SysResult {
    let mut p = t.process.borrow_mut();
    if p.pgid == p.pid {
        return Err(Errno::EPERM.into());
    }
    p.sid = p.pid;
    p.pgid = p.pid;
    p.ctty = false;
    Ok(p.pid)
}

pub fn set_tid_address(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    t.clear_child_tid = c.arg(0);
    Ok(t.tid)
}

pub fn set_robust_list(_k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(1) != 12 {
        return Err(Errno::EINVAL.into());
    }
    t.robust_list = c.arg(0);
    Ok(0)
}

pub fn uname(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let mut u = Utsname {
        sysname: [0; 65],
        nodename: [0; 65],
        release: [0; 65],
        version: [0; 65],
        machine: [0; 65],
        domainname: [0; 65],
    };
    fill(&mut u.sysname, "Linux");
    fill(&mut u.nodename, &k.options.hostname.clone());
    fill(&mut u.release, "6.1.0");
    fill(&mut u.version, "#1 SMP PREEMPT_DYNAMIC webvm");
    fill(&mut u.machine, "i686");
    fill(&mut u.domainname, "(none)");
    mem(k, t, |m| m.write_obj(c.arg(0), &u))?;
    Ok(0)
}

pub fn sysinfo(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let total = k.options.memory_bytes;
    let used = k.frames.in_use() as u64 * 4096;
    let s = Sysinfo {
        uptime: (k.uptime_ns() / 1_000_000_000) as i32,
        totalram: total as u32,
        freeram: total.saturating_sub(used) as u32,
        procs: k.tasks.len() as u16 + 1,
        mem_unit: 1,
        ..Sysinfo::default()
    };
    mem(k, t, |m| m.write_obj(c.arg(0), &s))?;
    Ok(0)
}

fn rlimit_resource(r: u32) -> KResult<usize> {
    if r < 16 {
        Ok(r as usize)
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn prlimit64(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let p = process_of(k, t, c.arg(0))?;
    let r = rlimit_resource(c.arg(1))?;
    let old = p.borrow().rlimits[r];
    if c.arg(2) != 0 {
        let new: Rlimit64 = mem(k, t, |m| m.read_obj(c.arg(2)))?;
        if new.cur > new.max {
            return Err(Errno::EINVAL.into());
        }
        p.borrow_mut().rlimits[r] = (new.cur, new.max);
    }
    if c.arg(3) != 0 {
        let out = Rlimit64 {
            cur: old.0,
            max: old.1,
        };
        mem(k, t, |m| m.write_obj(c.arg(3), &out))?;
    }
    Ok(0)
}

fn clamp32(v: u64) -> u32 {
    if v >= u64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}

pub fn getrlimit(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let r = rlimit_resource(c.arg(0))?;
    let (cur, max) = t.process.borrow().rlimits[r];
    mem(k, t, |m| {
        m.write_obj(c.arg(1), &[clamp32(cur), clamp32(max)])
    })?;
    Ok(0)
}

pub fn setrlimit(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let r = rlimit_resource(c.arg(0))?;
    let v: [u32; 2] = mem(k, t, |m| m.read_obj(c.arg(1)))?;
    let widen = |x: u32| {
        if x == u32::MAX {
            RLIM_INFINITY
        } else {
            u64::from(x)
        }
    };
    t.process.borrow_mut().rlimits[r] = (widen(v[0]), widen(v[1]));
    Ok(0)
}

pub fn sched_yield(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Ok(0)
}

pub fn sched_getaffinity(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    if c.arg(1) < 4 {
        return Err(Errno::EINVAL.into());
    }
    mem(k, t, |m| m.write_u32(c.arg(2), 1))?;
    Ok(4)
}

pub fn personality(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Ok(0)
}

pub fn prctl(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    match c.arg(0) {
        15 => {
            // PR_SET_NAME
            let mut name = mem(k, t, |m| m.read_vec(c.arg(1), 16))?;
            name.truncate(name.iter().position(|&b| b == 0).unwrap_or(15).min(15));
            t.process.borrow_mut().comm = name;
            Ok(0)
        }
        16 => {
            // PR_GET_NAME
            let name = t.process.borrow().comm.clone();
            let mut buf = [0u8; 16];
            let n = name.len().min(15);
            buf[..n].copy_from_slice(&name[..n]);
            mem(k, t, |m| m.write(c.arg(1), &buf))?;
            Ok(0)
        }
        _ => super::cred::prctl(t, c).unwrap_or(Err(Errno::EINVAL.into())),
    }
}

pub fn getrandom(k: &mut Kernel, t: &mut Task, c: &Call) -> SysResult {
    let len = (c.arg(1) as usize).min(1 << 20);
    let mut buf = vec![0u8; len];
    k.platform.entropy.fill(&mut buf);
    mem(k, t, |m| m.write(c.arg(0), &buf))?;
    Ok(len as u32)
}

/// Restartable sequences are not offered; glibc notices `ENOSYS` and does without.
pub fn rseq(_k: &mut Kernel, _t: &mut Task, _c: &Call) -> SysResult {
    Err(Errno::ENOSYS.into())
}
