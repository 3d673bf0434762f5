//! procfs: `/proc`, generated from the tasks on every lookup and open.
//!
//! Inode numbers encode what a node is (a global file, a process directory, a file in
//! it, a descriptor link), so nothing is stored. File contents are produced at `open`
//! as a snapshot, as Linux's seq files effectively are for small reads.

use crate::kernel::errno::{Errno, KResult};
use crate::kernel::task::Task;
use crate::kernel::vfs::*;

pub const ROOT: Ino = 1;
const SELF: Ino = 2;
const FD_BIT: Ino = 1 << 40;

/// Files at the top of `/proc`.
const GLOBAL: &[(&str, Ino)] = &[
    ("cpuinfo", 10),
    ("meminfo", 11),
    ("mounts", 12),
    ("stat", 13),
    ("uptime", 14),
    ("loadavg", 15),
    ("version", 16),
    ("filesystems", 17),
    ("sys", 18),
];
const SYS_DIR: Ino = 18;

/// Entries of a process directory (after the pid shift).
const PER_PID: &[(&str, Ino, u32)] = &[
    ("maps", 3, S_IFREG),
    ("exe", 4, S_IFLNK),
    ("cwd", 5, S_IFLNK),
    ("cmdline", 6, S_IFREG),
    ("stat", 7, S_IFREG),
    ("status", 8, S_IFREG),
    ("environ", 9, S_IFREG),
    ("mounts", 10, S_IFREG),
    ("root", 11, S_IFLNK),
    ("comm", 12, S_IFREG),
    ("mountinfo", 13, S_IFREG),
    ("fd", 2, S_IFDIR),
];

fn pid_ino(pid: u32, entry: Ino) -> Ino {
    (Ino::from(pid) << 16) | entry
}

fn split(ino: Ino) -> (u32, Ino) {
    (((ino & !FD_BIT) >> 16) as u32, ino & 0xffff)
}

/// The task of thread-group leader `pid`.
pub fn find<'a>(ctx: &'a ProcCtx, pid: u32) -> Option<&'a Task> {
    if ctx.current.pid() == pid && ctx.current.tid == pid {
        return Some(ctx.current);
    }
    ctx.tasks
        .get(&pid)
        .or_else(|| (ctx.current.tid == pid).then_some(ctx.current))
        .or_else(|| (ctx.current.pid() == pid).then_some(ctx.current))
}

fn pids(ctx: &ProcCtx) -> Vec<u32> {
    let mut v: Vec<u32> = ctx
        .tasks
        .values()
        .chain(std::iter::once(ctx.current))
        .filter(|t| t.is_leader())
        .map(|t| t.tid)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn kind_of(ino: Ino) -> KResult<u32> {
    if ino == ROOT || ino == SYS_DIR {
        return Ok(S_IFDIR);
    }
    if ino == SELF {
        return Ok(S_IFLNK);
    }
    if ino & FD_BIT != 0 {
        return Ok(S_IFLNK);
    }
    if ino < 0x10000 {
        return if GLOBAL.iter().any(|&(_, i)| i == ino) {
            Ok(S_IFREG)
        } else {
            Err(Errno::ENOENT)
        };
    }
    let (_, entry) = split(ino);
    if entry == 1 {
        return Ok(S_IFDIR);
    }
    PER_PID
        .iter()
        .find(|e| e.1 == entry)
        .map(|e| e.2)
        .ok_or(Errno::ENOENT)
}

pub fn stat(ctx: &ProcCtx, ino: Ino) -> KResult<Stat> {
    let kind = kind_of(ino)?;
    if ino >= 0x10000 {
        let (pid, _) = split(ino);
        find(ctx, pid).ok_or(Errno::ENOENT)?;
    }
    let perm = match kind {
        S_IFDIR => 0o555,
        S_IFLNK => 0o777,
        _ => 0o444,
    };
    Ok(Stat {
        ino,
        mode: kind | perm,
        nlink: if kind == S_IFDIR { 2 } else { 1 },
        blksize: 1024,
        ..Stat::default()
    })
}

pub fn lookup(ctx: &ProcCtx, dir: Ino, name: &[u8]) -> KResult<Ino> {
    if name == b"." {
        return Ok(dir);
    }
    if dir == ROOT {
        if name == b".." {
            return Ok(ROOT);
        }
        if name == b"self" || name == b"thread-self" {
            return Ok(SELF);
        }
        if let Some(&(_, ino)) = GLOBAL.iter().find(|(n, _)| n.as_bytes() == name) {
            return Ok(ino);
        }
        let pid: u32 = std::str::from_utf8(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Errno::ENOENT)?;
        if pid == 0 || pid > 0xff_ffff {
            return Err(Errno::ENOENT);
        }
        find(ctx, pid).ok_or(Errno::ENOENT)?;
        return Ok(pid_ino(pid, 1));
    }
    if dir == SYS_DIR {
        return if name == b".." {
            Ok(ROOT)
        } else {
            Err(Errno::ENOENT)
        };
    }
    let (pid, entry) = split(dir);
    let task = find(ctx, pid).ok_or(Errno::ENOENT)?;
    match entry {
        1 => {
            if name == b".." {
                return Ok(ROOT);
            }
            PER_PID
                .iter()
                .find(|e| e.0.as_bytes() == name)
                .map(|e| pid_ino(pid, e.1))
                .ok_or(Errno::ENOENT)
        }
        2 => {
            if name == b".." {
                return Ok(pid_ino(pid, 1));
            }
            let fd: u32 = std::str::from_utf8(name)
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|&fd| fd < 0x10000)
                .ok_or(Errno::ENOENT)?;
            task.files.borrow().get(fd).ok_or(Errno::ENOENT)?;
            Ok(FD_BIT | pid_ino(pid, Ino::from(fd)))
        }
        _ => Err(Errno::ENOTDIR),
    }
}

pub fn readdir(ctx: &ProcCtx, dir: Ino) -> KResult<Vec<DirEntry>> {
    let entry = |ino, name: &str, kind| DirEntry {
        ino,
        name: name.as_bytes().to_vec(),
        kind,
    };
    let mut out = Vec::new();
    if dir == ROOT {
        out.push(entry(ROOT, ".", S_IFDIR));
        out.push(entry(ROOT, "..", S_IFDIR));
        for &(name, ino) in GLOBAL {
            out.push(entry(ino, name, kind_of(ino)?));
        }
        out.push(entry(SELF, "self", S_IFLNK));
        for pid in pids(ctx) {
            out.push(entry(pid_ino(pid, 1), &pid.to_string(), S_IFDIR));
        }
        return Ok(out);
    }
    if dir == SYS_DIR {
        out.push(entry(SYS_DIR, ".", S_IFDIR));
        out.push(entry(ROOT, "..", S_IFDIR));
        return Ok(out);
    }
    let (pid, e) = split(dir);
    let task = find(ctx, pid).ok_or(Errno::ENOENT)?;
    match e {
        1 => {
            out.push(entry(dir, ".", S_IFDIR));
            out.push(entry(ROOT, "..", S_IFDIR));
            for &(name, ino, kind) in PER_PID {
                out.push(entry(pid_ino(pid, ino), name, kind));
            }
        }
        2 => {
            out.push(entry(dir, ".", S_IFDIR));
            out.push(entry(pid_ino(pid, 1), "..", S_IFDIR));
            for (fd, _) in task.files.borrow().iter() {
                out.push(entry(
                    FD_BIT | pid_ino(pid, Ino::from(fd)),
                    &fd.to_string(),
                    S_IFLNK,
                ));
            }
        }
        _ => return Err(Errno::ENOTDIR),
    }
    Ok(out)
}

pub fn readlink(vfs: &Vfs, ctx: &ProcCtx, ino: Ino) -> KResult<Vec<u8>> {
    if ino == SELF {
        return Ok(ctx.current.pid().to_string().into_bytes());
    }
    let (pid, entry) = split(ino);
    let task = find(ctx, pid).ok_or(Errno::ENOENT)?;
    if ino & FD_BIT != 0 {
        let files = task.files.borrow();
        let f = files.get(entry as u32).ok_or(Errno::ENOENT)?;
        return Ok(match &f.file.kind {
            crate::kernel::file::FileKind::Pipe(p) => format!(
                "pipe:[{}]",
                std::rc::Rc::as_ptr(&p.pipe) as usize as u32 >> 4
            )
            .into_bytes(),
            crate::kernel::file::FileKind::Socket(s) => {
                format!("socket:[{}]", s.sock.borrow().ino).into_bytes()
            }
            _ => f.file.path.clone(),
        });
    }
    match entry {
        4 => Ok(task.process.borrow().exe.clone()),
        5 => {
            let fsc = task.fs.borrow().clone();
            vfs.path_of(ctx, fsc.root, fsc.cwd)
        }
        11 => Ok(b"/".to_vec()),
        _ => Err(Errno::EINVAL),
    }
}

/// The (pid, descriptor) a `/proc/<pid>/fd/N` link stands for.
pub fn fd_link(ino: Ino) -> Option<(u32, u32)> {
    (ino & FD_BIT != 0).then(|| {
        let (pid, fd) = split(ino);
        (pid, fd as u32)
    })
}

/// Where `/proc/<pid>/exe`, `cwd`, `root` and `fd/N` lead, for opening through them.
pub fn is_symlink(ino: Ino) -> bool {
    kind_of(ino) == Ok(S_IFLNK)
}

/// The text of a procfs file.
pub fn content(vfs: &Vfs, ctx: &ProcCtx, ino: Ino) -> KResult<Vec<u8>> {
    let up = ctx.uptime_ns;
    let secs = |ns: u64| format!("{}.{:02}", ns / 1_000_000_000, (ns / 10_000_000) % 100);
    let text = match ino {
        10 => CPUINFO.to_string(),
        11 => {
            let total = ctx.memory_bytes / 1024;
            let used = ctx.frames_in_use as u64 * 4;
            let free = total.saturating_sub(used);
            format!(
                "MemTotal:       {total:8} kB\nMemFree:        {free:8} kB\n\
                 MemAvailable:   {free:8} kB\nBuffers:               0 kB\n\
                 Cached:                0 kB\nSwapCached:            0 kB\n\
                 SwapTotal:             0 kB\nSwapFree:              0 kB\n"
            )
        }
        12 => mounts(vfs),
        13 => {
            let ticks = up / 10_000_000;
            format!(
                "cpu  {ticks} 0 0 0 0 0 0 0 0 0\ncpu0 {ticks} 0 0 0 0 0 0 0 0 0\n\
                 intr 0\nctxt 0\nbtime {}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\n",
                0,
                pids(ctx).len()
            )
        }
        14 => format!("{} {}\n", secs(up), secs(up)),
        15 => format!("0.00 0.00 0.00 1/{} {}\n", pids(ctx).len(), ctx.current.tid),
        16 => "Linux version 6.1.0 (webvm) #1 SMP PREEMPT_DYNAMIC\n".to_string(),
        17 => "nodev\ttmpfs\nnodev\tproc\nnodev\tsysfs\nnodev\tdevtmpfs\n\text2\n".to_string(),
        _ => {
            let (pid, entry) = split(ino);
            let task = find(ctx, pid).ok_or(Errno::ENOENT)?;
            let process = task.process.borrow();
            let comm = String::from_utf8_lossy(&process.comm).into_owned();
            match entry {
                3 => task.mm.borrow().space.maps(),
                6 => return Ok(process.cmdline.clone()),
                7 => format!(
                    "{pid} ({comm}) R {} {} {} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 {} 0 {} 0 0\n",
                    process.ppid,
                    process.pgid,
                    process.sid,
                    process.threads.len(),
                    process.start_ns / 10_000_000
                ),
                8 => format!(
                    "Name:\t{comm}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\n\
                     Pid:\t{pid}\nPPid:\t{}\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n\
                     Threads:\t{}\n",
                    task.fs.borrow().umask,
                    process.ppid,
                    process.uid,
                    process.euid,
                    process.suid,
                    process.fsuid,
                    process.gid,
                    process.egid,
                    process.sgid,
                    process.fsgid,
                    process.threads.len(),
                ),
                9 => String::new(),
                10 => mounts(vfs),
                12 => format!("{comm}\n"),
                13 => mountinfo(vfs),
                _ => return Err(Errno::EISDIR),
            }
        }
    };
    Ok(text.into_bytes())
}

fn mounts(vfs: &Vfs) -> String {
    vfs.mounts
        .iter()
        .map(|m| format!("{} {} {} rw,relatime 0 0\n", m.source, m.path, m.fstype))
        .collect()
}

/// `/proc/<pid>/mountinfo`: mount ids from 20, each mount's parent the root mount.
fn mountinfo(vfs: &Vfs) -> String {
    const FIRST_ID: usize = 20;
    vfs.mounts
        .iter()
        .enumerate()
        .map(|(index, m)| {
            let parent = if m.on.is_none() { 1 } else { FIRST_ID };
            let (major, minor) = (
                (m.dev >> 8) & 0xfff,
                (m.dev & 0xff) | ((m.dev >> 12) & 0xfff00),
            );
            format!(
                "{} {parent} {major}:{minor} / {} rw,relatime shared:{} - {} {} rw\n",
                FIRST_ID + index,
                m.path,
                index + 1,
                m.fstype,
                m.source
            )
        })
        .collect()
}

const CPUINFO: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
model\t\t: 0\nmodel name\t: webvm i686 interpreter\nstepping\t: 0\ncpu MHz\t\t: 1000.000\n\
fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 1\nwp\t\t: yes\n\
flags\t\t: fpu tsc cx8 cmov clflush mmx fxsr sse sse2 pni popcnt abm\nbogomips\t: 2000.00\nclflush size\t: 64\n\
cache_alignment\t: 64\naddress sizes\t: 32 bits physical, 32 bits virtual\n\n";
