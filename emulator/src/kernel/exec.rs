//! Starting programs: `execve` (ELF programs with their interpreter, `#!` scripts) and
//! the first process. The loader maps; this module finds the files, builds the new
//! memory, resets what `execve` resets and keeps what it keeps.

use super::errno::{Errno, KResult};
use super::file::{FdEntry, FdTable, FileKind, OpenFile, O_RDONLY, O_WRONLY};
use super::memory::{Mm, UserMem};
use super::perm::{may_access, MAY_EXEC, S_ISGID, S_ISUID};
use super::sigframe;
use super::signal::{SigAction, SigSet, NSIG, SIG_IGN};
use super::task::{FsContext, Process, Task, TaskState, Tid};
use super::vfs::namei::Walk;
use super::vfs::{FsRef, Loc, ProcCtx, Stat, S_IFREG};
use super::Kernel;
use crate::cpu::state::{Segment, SegmentRegister, ESP};
use crate::cpu::{Cpu, SyscallGate};
use crate::loader::elf::ElfFile;
use crate::loader::{build_initial_stack, load_program, vdso, ElfSource, StackSpec};
use crate::mm::{AddressSpace, MapRequest, MappedFile, Prot};
use std::cell::RefCell;
use std::rc::Rc;

/// A file of a mounted filesystem, as the memory manager maps it. Like an open file,
/// a mapping keeps its inode alive after the last name goes (a running program whose
/// executable was deleted or replaced keeps running), until the last mapping is gone.
pub struct VfsFile {
    fs: FsRef,
    loc: Loc,
    dev: u64,
    path: Vec<u8>,
}

impl VfsFile {
    /// A mapping's handle on the inode at `loc`, which it keeps alive (a mapped file may
    /// be unlinked and closed and still be used, and written back).
    pub fn new(fs: FsRef, loc: Loc, dev: u64, path: Vec<u8>) -> Rc<VfsFile> {
        fs.borrow_mut().hold(loc.ino);
        Rc::new(VfsFile { fs, loc, dev, path })
    }
}

impl Drop for VfsFile {
    fn drop(&mut self) {
        // Mappings are dropped outside filesystem calls; if the filesystem were busy the
        // inode would stay held (an orphan freed at the next mount), never freed early.
        if let Ok(mut fs) = self.fs.try_borrow_mut() {
            fs.release(self.loc.ino);
        }
    }
}

impl MappedFile for VfsFile {
    fn identity(&self) -> (u64, u64) {
        (self.dev, self.loc.ino)
    }
    fn path(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }
    fn size(&self) -> u64 {
        self.fs
            .try_borrow_mut()
            .ok()
            .and_then(|mut fs| fs.stat(self.loc.ino).ok())
            .map(|s| s.size)
            .unwrap_or(0)
    }
    fn read_page(&self, offset: u64, page: &mut [u8]) -> Result<(), i32> {
        page.fill(0);
        let mut fs = self.fs.try_borrow_mut().map_err(|_| Errno::EIO.0)?;
        let mut done = 0;
        while done < page.len() {
            let n = fs
                .read(self.loc.ino, offset + done as u64, &mut page[done..])
                .map_err(|e| e.0)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(())
    }
    fn write_page(&self, offset: u64, page: &[u8]) -> Result<(), i32> {
        let mut fs = self.fs.try_borrow_mut().map_err(|_| Errno::EIO.0)?;
        super::pagecache::write_back_page(&mut *fs, self.loc.ino, offset, page).map_err(|e| e.0)
    }
}

/// Resolves and opens an executable: its mapped-file handle and first bytes.
fn open_exec(
    k: &Kernel,
    ctx: &ProcCtx,
    walk: Walk,
    path: &[u8],
) -> KResult<(Rc<VfsFile>, Vec<u8>, Stat)> {
    let loc = k.vfs.resolve(ctx, walk, path, true)?;
    let st = k.vfs.stat(ctx, loc)?;
    if st.file_type() != S_IFREG {
        return Err(Errno::EACCES);
    }
    may_access(&ctx.cred, &st, MAY_EXEC)?;
    let fs = k.vfs.disk(loc.mount).ok_or(Errno::EACCES)?;
    let full = k
        .vfs
        .canonical_path(ctx, walk, path)
        .unwrap_or_else(|_| path.to_vec());
    let file = VfsFile::new(fs, loc, k.vfs.mounts[loc.mount].dev, full);
    let mut head = vec![0u8; 4096.min(st.size as usize)];
    let n = file.fs.borrow_mut().read(loc.ino, 0, &mut head)?;
    head.truncate(n);
    Ok((file, head, st))
}

/// The parsed `#!` line: interpreter and optional single argument.
fn parse_shebang(head: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let rest = head.strip_prefix(b"#!")?;
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..line_end.min(255)];
    let line: &[u8] = {
        let s = line
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(line.len());
        let e = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t' && b != b'\r')
            .map_or(s, |e| e + 1);
        &line[s..e.max(s)]
    };
    if line.is_empty() {
        return None;
    }
    match line.iter().position(|&b| b == b' ' || b == b'\t') {
        None => Some((line.to_vec(), None)),
        Some(sp) => {
            let arg = &line[sp..];
            let arg_start = arg
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(arg.len());
            let arg = &arg[arg_start..];
            Some((line[..sp].to_vec(), (!arg.is_empty()).then(|| arg.to_vec())))
        }
    }
}

/// The new memory image of an `execve`: address space, entry, stack pointer.
pub struct Image {
    pub mm: Mm,
    pub eip: u32,
    pub esp: u32,
    pub vdso_base: u32,
    pub exe: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    /// The name the process goes by: the last component of the path given to `execve`.
    pub comm: Vec<u8>,
    /// Effective user and group ids after the exec (set-user-ID and set-group-ID bits).
    pub euid: u32,
    pub egid: u32,
}

/// Builds the image for `path` with `argv` and `envp`, following `#!` up to 4 deep.
pub fn build_image(
    k: &mut Kernel,
    ctx_current: &Task,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> KResult<Image> {
    let walk = {
        let f = ctx_current.fs.borrow();
        Walk {
            root: f.root,
            start: f.cwd,
        }
    };
    let mut path = path.to_vec();
    let execfn = path.clone();
    let comm = {
        let base = execfn.rsplit(|&b| b == b'/').next().unwrap_or(&execfn);
        base[..base.len().min(15)].to_vec()
    };
    let (file, head, st) = {
        let mut depth = 0;
        loop {
            let ctx = proc_ctx(k, ctx_current);
            let (file, head, st) = open_exec(k, &ctx, walk, &path)?;
            if let Some((interp, arg)) = parse_shebang(&head) {
                depth += 1;
                if depth > 4 {
                    return Err(Errno::ELOOP);
                }
                let mut new_argv = vec![interp.clone()];
                new_argv.extend(arg);
                new_argv.push(path.clone());
                new_argv.extend(argv.into_iter().skip(1));
                argv = new_argv;
                path = interp;
                continue;
            }
            break (file, head, st);
        }
    };
    let size = file.size();
    let elf = ElfFile::parse(&head, size).map_err(|e| Errno(e.errno()))?;
    let interp = match &elf.interpreter {
        Some(ipath) => {
            let ctx = proc_ctx(k, ctx_current);
            let (ifile, ihead, ist) = open_exec(k, &ctx, walk, ipath.as_bytes()).map_err(|e| {
                if e == Errno::EACCES {
                    Errno::ELIBBAD
                } else {
                    e
                }
            })?;
            let ielf = ElfFile::parse(&ihead, ist.size).map_err(|_| Errno::ELIBBAD)?;
            Some(ElfSource {
                file: ifile,
                elf: ielf,
            })
        }
        None => None,
    };
    let exe = file.path.clone();
    let program = ElfSource { file, elf };
    let mut space = AddressSpace::new();
    let frames = &mut k.frames;
    let loaded = match load_program(&mut space, frames, &program, interp.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            space.clear(frames);
            return Err(e.into());
        }
    };
    let mut mm = Mm::new(space);
    let vdso_base = map_vdso(&mut mm, frames)?;
    let mut random = [0u8; 16];
    k.platform.entropy.fill(&mut random);
    let process = ctx_current.process.borrow();
    // Set-user-ID and set-group-ID programs (the group bit only with group execute).
    let euid = if st.mode & S_ISUID != 0 {
        st.uid
    } else {
        process.euid
    };
    let egid = if st.mode & S_ISGID != 0 && st.mode & 0o010 != 0 {
        st.gid
    } else {
        process.egid
    };
    let spec = StackSpec {
        argv: argv.clone(),
        envp,
        execfn,
        random,
        uid: process.uid,
        euid,
        gid: process.gid,
        egid,
        hwcap: 0,
        vdso_base,
    };
    drop(process);
    let esp = match build_initial_stack(&mut mm.space, &mut k.frames, &spec, &loaded) {
        Ok(esp) => esp,
        Err(e) => {
            mm.space.clear(&mut k.frames);
            return Err(e.into());
        }
    };
    Ok(Image {
        mm,
        eip: loaded.start,
        esp,
        vdso_base,
        exe,
        argv,
        comm,
        euid,
        egid,
    })
}

/// Maps the vDSO page read-execute; returns its address.
fn map_vdso(mm: &mut Mm, frames: &mut crate::mm::Frames) -> KResult<u32> {
    let image = vdso::image();
    let mut req = MapRequest::anonymous(image.len() as u32, Prot::READ_WRITE);
    req.label = Some("[vdso]");
    let base = mm.space.mmap(frames, req)?;
    UserMem::new(mm, frames).write(base, &image)?;
    mm.space
        .mprotect(base, image.len() as u32, Prot::READ_EXEC)?;
    Ok(base)
}

/// Snapshot of what procfs needs, for a task not in the task table.
pub fn proc_ctx<'a>(k: &'a Kernel, current: &'a Task) -> ProcCtx<'a> {
    ProcCtx {
        current,
        tasks: &k.tasks,
        uptime_ns: k.uptime_ns(),
        frames_in_use: k.frames.in_use(),
        memory_bytes: k.options.memory_bytes,
        cred: current.process.borrow().fs_cred(),
    }
}

/// Replaces `task`'s program with `image` (the point of no return of `execve`).
pub fn commit_exec(k: &mut Kernel, task: &mut Task, image: Image) {
    // Other threads of the process end.
    let others: Vec<Tid> = task
        .process
        .borrow()
        .threads
        .iter()
        .copied()
        .filter(|&t| t != task.tid)
        .collect();
    for t in others {
        if let Some(other) = k.tasks.get_mut(&t) {
            other.state = TaskState::Dead;
        }
    }
    task.process.borrow_mut().threads = vec![task.tid];
    // POSIX timers do not survive `execve` (the interval timer does).
    task.process.borrow_mut().timers = Default::default();
    k.exit_robust_list(task);
    release_mm(k, task);
    task.mm = Rc::new(RefCell::new(image.mm));
    let mut cpu = Cpu::new();
    cpu.state.eip = image.eip;
    cpu.state.gpr[ESP] = image.esp;
    // Flat user segments as Linux loads them for a 32-bit process; fs and gs keep
    // their selectors (glibc reloads gs after set_thread_area anyway).
    cpu.state.segments = task.cpu.state.segments;
    for (seg, selector) in [
        (Segment::Cs, sigframe::abi::USER32_CS),
        (Segment::Ss, sigframe::abi::USER_DS),
        (Segment::Ds, sigframe::abi::USER_DS),
        (Segment::Es, sigframe::abi::USER_DS),
    ] {
        *cpu.state.segment_mut(seg) = SegmentRegister { selector, base: 0 };
    }
    task.cpu = cpu;
    task.code_epoch_seen = task.mm.borrow().code_epoch();
    task.vdso_base = image.vdso_base;
    // Unshare and close close-on-exec descriptors.
    let table = task.files.borrow().clone();
    task.files = Rc::new(RefCell::new(table));
    let closed = task.files.borrow_mut().close_on_exec();
    let pid = task.pid();
    super::syscall::lock::close_entries(k, pid, closed);
    // Handlers reset to default; ignored signals stay ignored.
    let mut actions = *task.sighand.borrow();
    for a in actions.iter_mut() {
        if a.handler != SIG_IGN {
            *a = SigAction::default();
        }
    }
    task.sighand = Rc::new(RefCell::new(actions));
    task.clear_child_tid = 0;
    task.robust_list = 0;
    task.altstack = (0, 0, 2);
    let mut p = task.process.borrow_mut();
    // The saved ids become the effective ones, as on every exec.
    (p.euid, p.suid, p.fsuid) = (image.euid, image.euid, image.euid);
    (p.egid, p.sgid, p.fsgid) = (image.egid, image.egid, image.egid);
    (p.keep_caps, p.caps_kept, p.caps_raised) = (false, false, false);
    p.exe = image.exe;
    p.comm = image.comm;
    p.cmdline = image
        .argv
        .iter()
        .flat_map(|a| a.iter().copied().chain([0]))
        .collect();
    drop(p);
    wake_vfork_parent(k, task.tid);
}

/// Drops `task`'s hold on its memory, freeing the frames if it was the last.
pub fn release_mm(k: &mut Kernel, task: &Task) {
    if Rc::strong_count(&task.mm) == 1 {
        task.mm.borrow_mut().space.clear(&mut k.frames);
    }
}

/// A vfork parent waiting on `child` may run again.
pub fn wake_vfork_parent(k: &mut Kernel, child: Tid) {
    for t in k.tasks.values_mut() {
        if let TaskState::VforkWait(c) = t.state {
            if c == child {
                t.state = TaskState::Runnable;
            }
        }
    }
}

/// Creates the first process running `argv[0]`, its standard streams on the console.
pub fn spawn_init(
    k: &mut Kernel,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    identity: &super::InitIdentity,
) -> KResult<Tid> {
    let mut files = FdTable::default();
    // The standard streams are opened on /dev/console, so `fstat` and `ttyname` agree.
    let console = k.vfs.lookup_in_mount("/dev", b"console");
    use super::device::CharDevice::*;
    for (fd, dev, flags) in [
        (0, ConsoleIn, O_RDONLY),
        (1, ConsoleOut, O_WRONLY),
        (2, ConsoleErr, O_WRONLY),
    ] {
        let file = OpenFile::new(
            FileKind::Device(dev),
            console,
            b"/dev/console".to_vec(),
            flags,
        );
        files.put(
            fd,
            FdEntry {
                file,
                cloexec: false,
            },
        );
    }
    let mut task = start_process(k, argv, envp, identity, files)?;
    k.attach_console(&mut task);
    let tid = task.tid;
    k.tasks.insert(tid, task);
    Ok(tid)
}

/// A new process (a session and process group of its own, parent 0) running `argv[0]`
/// with the descriptors `files`, ready to run but not yet in the task table.
pub fn start_process(
    k: &mut Kernel,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    identity: &super::InitIdentity,
    files: FdTable,
) -> KResult<Task> {
    let path = argv.first().cloned().ok_or(Errno::ENOENT)?;
    let tid = k.alloc_tid();
    let root = k.vfs.root();
    let start_ns = k.uptime_ns();
    let process = Process {
        pid: tid,
        ppid: 0,
        pgid: tid,
        sid: tid,
        uid: identity.uid,
        gid: identity.gid,
        groups: identity.groups.clone(),
        euid: identity.uid,
        suid: identity.uid,
        fsuid: identity.uid,
        egid: identity.gid,
        sgid: identity.gid,
        fsgid: identity.gid,
        keep_caps: false,
        caps_kept: false,
        caps_raised: false,
        exe: path.clone(),
        comm: Vec::new(),
        cmdline: Vec::new(),
        exit_signal: super::signal::SIGCHLD,
        ctty: false,
        stopped: false,
        stop_report: None,
        threads: vec![tid],
        exiting: None,
        shared_pending: SigSet::default(),
        shared_info: Default::default(),
        rlimits: super::syscall::process::default_rlimits(),
        start_ns,
        alarm: None,
        alarm_interval: 0,
        cpu_ns: 0,
        children_cpu_ns: 0,
        cpu_timers: Default::default(),
        reparented: false,
        timers: Default::default(),
    };
    let mut task = Task {
        tid,
        cpu: Cpu::new(),
        mm: Rc::new(RefCell::new(Mm::new(AddressSpace::new()))),
        files: Rc::new(RefCell::new(files)),
        fs: Rc::new(RefCell::new(FsContext {
            root,
            cwd: root,
            umask: 0o022,
        })),
        sighand: Rc::new(RefCell::new([SigAction::default(); NSIG])),
        process: Rc::new(RefCell::new(process)),
        sigmask: SigSet::default(),
        pending: SigSet::default(),
        saved_mask: None,
        clear_child_tid: 0,
        robust_list: 0,
        state: TaskState::Runnable,
        gate: SyscallGate::Int80,
        futex_woken: false,
        io_progress: 0,
        code_epoch_seen: 0,
        vdso_base: 0,
        altstack: (0, 0, 2),
        pending_info: Default::default(),
        trap: Default::default(),
        restart_sleep: None,
    };
    if let Some(cwd) = &identity.cwd {
        let walk = Walk { root, start: root };
        let dir = k.vfs.resolve(&proc_ctx(k, &task), walk, cwd, true)?;
        if !k.vfs.is_dir(&proc_ctx(k, &task), dir) {
            return Err(Errno::ENOTDIR);
        }
        task.fs.borrow_mut().cwd = dir;
    }
    let image = if path.contains(&b'/') {
        build_image(k, &task, &path, argv, envp)?
    } else {
        exec_from_path(k, &task, &path, argv, envp)?
    };
    commit_exec(k, &mut task, image);
    Ok(task)
}

/// The program `name` (no slash) found as `execvp` finds it: each directory of the
/// environment's `PATH` (glibc's default when it has none) in order; an empty entry is
/// the working directory. A candidate that exists but cannot be run is remembered and
/// the search goes on, so `EACCES` is reported only when nothing runnable was found.
fn exec_from_path(
    k: &mut Kernel,
    task: &Task,
    name: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> KResult<Image> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    let search = envp
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| b"/bin:/usr/bin".to_vec());
    let mut failure = Errno::ENOENT;
    for dir in search.split(|&b| b == b':') {
        let mut candidate = if dir.is_empty() {
            b".".to_vec()
        } else {
            dir.to_vec()
        };
        candidate.push(b'/');
        candidate.extend_from_slice(name);
        match build_image(k, task, &candidate, argv.clone(), envp.clone()) {
            Ok(image) => return Ok(image),
            Err(e) if e == Errno::ENOENT || e == Errno::ENOTDIR => {}
            Err(e) => failure = e,
        }
    }
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::parse_shebang;

    #[test]
    fn shebang_lines_split_like_linux() {
        assert_eq!(
            parse_shebang(b"#!/bin/sh\necho"),
            Some((b"/bin/sh".to_vec(), None))
        );
        assert_eq!(
            parse_shebang(b"#! /usr/bin/env  python3 -u \n"),
            Some((b"/usr/bin/env".to_vec(), Some(b"python3 -u".to_vec())))
        );
        assert_eq!(parse_shebang(b"#!\n"), None);
        assert_eq!(parse_shebang(b"\x7fELF"), None);
    }
}
