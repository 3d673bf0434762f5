//! Processes the frontend starts beside the first one (the JS API's `exec`, like
//! CheerpX's `run(path, args, {env, cwd, uid, gid})`): each runs in a session of its
//! own with no parent, stdin on `/dev/null`, stdout and stderr into pipes the frontend
//! drains, and its wait status kept until the frontend collects it. They do not need
//! the interactive shell, and the shell never sees them.

use super::device::CharDevice;
use super::errno::KResult;
use super::exec::start_process;
use super::file::{FdEntry, FdTable, FileKind, OpenFile, O_RDONLY, O_WRONLY};
use super::pipe::{Pipe, PipeEnd, PipeIo};
use super::task::Tid;
use super::{InitIdentity, Kernel};
use std::cell::RefCell;
use std::rc::Rc;

/// The frontend's ends of one started process.
pub struct HostProcess {
    stdout: PipeEnd,
    stderr: PipeEnd,
}

/// Output of a started process taken so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

fn drain(end: &PipeEnd, into: &mut Vec<u8>) {
    let mut buf = [0u8; 16384];
    while let PipeIo::Done(n @ 1..) = end.pipe.borrow_mut().read(&mut buf) {
        into.extend_from_slice(&buf[..n]);
    }
}

fn pipe_file(end: PipeEnd, flags: u32) -> Rc<OpenFile> {
    OpenFile::new(FileKind::Pipe(end), None, b"pipe:[host]".to_vec(), flags)
}

impl Kernel {
    /// Starts `argv[0]` (a path) with `envp` as `identity` (user, groups, directory).
    /// Returns its pid: poll [`Kernel::host_process_output`] and
    /// [`Kernel::host_process_status`] between run slices.
    pub fn spawn_host_process(
        &mut self,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        identity: &InitIdentity,
    ) -> KResult<Tid> {
        let out = Rc::new(RefCell::new(Pipe::default()));
        let err = Rc::new(RefCell::new(Pipe::default()));
        let null = self.vfs.lookup_in_mount("/dev", b"null");
        let mut files = FdTable::default();
        let stdin = OpenFile::new(
            FileKind::Device(CharDevice::Null),
            null,
            b"/dev/null".to_vec(),
            O_RDONLY,
        );
        for (fd, file) in [
            (0, stdin),
            (1, pipe_file(PipeEnd::new(&out, true), O_WRONLY)),
            (2, pipe_file(PipeEnd::new(&err, true), O_WRONLY)),
        ] {
            files.put(
                fd,
                FdEntry {
                    file,
                    cloexec: false,
                },
            );
        }
        let host = HostProcess {
            stdout: PipeEnd::new(&out, false),
            stderr: PipeEnd::new(&err, false),
        };
        let task = start_process(self, argv, envp, identity, files)?;
        let pid = task.tid;
        self.tasks.insert(pid, task);
        self.host_processes.insert(pid, host);
        Ok(pid)
    }

    /// What the process `pid` wrote since the last call (empty for an unknown pid).
    pub fn host_process_output(&mut self, pid: Tid) -> HostOutput {
        let mut out = HostOutput::default();
        if let Some(h) = self.host_processes.get(&pid) {
            drain(&h.stdout, &mut out.stdout);
            drain(&h.stderr, &mut out.stderr);
        }
        out
    }

    /// The wait status of the process `pid` once it has ended, collected (a second call
    /// answers `None`). Take its last output first: it is dropped with the status.
    pub fn host_process_status(&mut self, pid: Tid) -> Option<u32> {
        if !self.host_processes.contains_key(&pid) {
            return None;
        }
        let zombie = self.zombies.get(&pid).filter(|z| z.ppid == 0)?;
        let status = zombie.status;
        self.zombies.remove(&pid);
        self.host_processes.remove(&pid);
        Some(status)
    }
}
