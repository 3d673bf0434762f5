//! Differential tests: the host's Linux pty is the oracle.
//!
//! Each test drives a native pty pair (`posix_openpt`, slave opened non-blocking) and a
//! [`PtyPair`] with the same attributes and the same operations, then compares what the
//! master receives (echo and output), what slave reads return and the input counts,
//! byte for byte. After each native operation the harness waits until the kernel's
//! buffer work has settled, so the comparison does not race it.
//!
//! This file is the harness; the tests are grouped by subject: [`editing`] (line
//! editing, echo, mapping, output processing, buffer limits), [`random`] (seeded random
//! streams), [`process`] (signals, job control, hangup), [`state`] (poll, counts, timed
//! reads, packet mode, defaults).

mod editing;
mod process;
mod random;
mod state;

use super::ioctl::req;
use super::ldisc::{ReadState, ReadStatus, WriteStatus};
use super::pty::{Caller, End, PollMask, ProcessTable, PtyPair, SignalTarget, TtyEvent};
use super::termios::{cc, iflag, lflag, Termios2, Winsize};
use super::{Nanos, Pid, Signal, TtyError};
use std::fmt::Write as _;
use std::time::Duration;

/// A native pty pair, both ends non-blocking, closed on drop.
pub(super) struct Native {
    master: i32,
    slave: i32,
}

pub(super) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl Native {
    fn open() -> Native {
        // SAFETY: plain libc calls on descriptors this function owns; the name buffer is
        // large enough and NUL-terminated by ptsname_r.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK);
            assert!(master >= 0, "posix_openpt: {}", errno());
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let slave = libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK,
            );
            assert!(slave >= 0, "open slave: {}", errno());
            Native { master, slave }
        }
    }

    fn set_termios(&self, t: &Termios2) {
        let bytes = t.to_guest_bytes();
        // SAFETY: TCSETS2 reads a 44-byte termios2, which `bytes` holds (the x86-64
        // layout is the i386 one).
        let r = unsafe { libc::ioctl(self.slave, req::TCSETS2 as _, bytes.as_ptr()) };
        assert_eq!(r, 0, "TCSETS2: {}", errno());
    }

    fn termios(&self) -> Termios2 {
        let mut bytes = [0u8; 44];
        // SAFETY: TCGETS2 writes 44 bytes into `bytes`.
        let r = unsafe { libc::ioctl(self.slave, req::TCGETS2 as _, bytes.as_mut_ptr()) };
        assert_eq!(r, 0);
        Termios2::from_guest_bytes(&bytes).expect("44 bytes")
    }

    fn int_ioctl(fd: i32, request: u32) -> Result<i32, i32> {
        let mut v: i32 = 0;
        // SAFETY: the request writes one int.
        let r = unsafe { libc::ioctl(fd, request as _, &mut v as *mut i32) };
        if r < 0 {
            Err(errno())
        } else {
            Ok(v)
        }
    }

    fn write(fd: i32, data: &[u8]) -> Result<usize, i32> {
        // SAFETY: `data` is a valid buffer of its length.
        let r = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if r < 0 {
            Err(errno())
        } else {
            Ok(r as usize)
        }
    }

    fn read(fd: i32, len: usize) -> Result<Vec<u8>, i32> {
        let mut buf = vec![0u8; len];
        // SAFETY: `buf` is a valid buffer of its length.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), len) };
        if r < 0 {
            Err(errno())
        } else {
            buf.truncate(r as usize);
            Ok(buf)
        }
    }

    /// Collects master output until it and the slave's input count reach what the
    /// model predicts (then waits a little longer for anything extra), or until half a
    /// second passes: the kernel's buffer work runs asynchronously and, on a loaded
    /// machine, late.
    fn settle_expecting(&self, expect: usize, inq: i32, readable: bool) -> Vec<u8> {
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        loop {
            while let Ok(b) = Native::read(self.master, 8192) {
                if b.is_empty() {
                    break;
                }
                out.extend(b);
            }
            let now_inq = Native::int_ioctl(self.slave, req::FIONREAD).unwrap_or(-2);
            if (out.len() >= expect && now_inq == inq && self.slave_readable() == readable)
                || start.elapsed() > Duration::from_millis(500)
            {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        out.extend(self.settle());
        out
    }

    fn slave_readable(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.slave,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 0) };
        pfd.revents & libc::POLLIN != 0
    }

    /// Waits until the kernel's flip-buffer work has run, collecting master output.
    fn settle(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut quiet = 0;
        let mut last_inq = -1;
        while quiet < 3 {
            std::thread::sleep(Duration::from_micros(500));
            let mut pfd = [
                libc::pollfd {
                    fd: self.master,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.slave,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfd structs.
            unsafe { libc::poll(pfd.as_mut_ptr(), 2, 0) };
            let mut got = false;
            while let Ok(b) = Native::read(self.master, 8192) {
                if b.is_empty() {
                    break;
                }
                out.extend(b);
                got = true;
            }
            let inq = Native::int_ioctl(self.slave, req::FIONREAD).unwrap_or(-2);
            if got || inq != last_inq {
                quiet = 0;
                last_inq = inq;
            } else {
                quiet += 1;
            }
        }
        out
    }
}

impl Native {
    /// Closes the slave now (tests run in parallel: a descriptor must never be closed
    /// twice, or another test's newly opened one goes instead).
    fn close_slave(&mut self) {
        // SAFETY: closing a descriptor this value owns, once.
        unsafe { libc::close(self.slave) };
        self.slave = -1;
    }

    /// Closes the master now.
    fn close_master(&mut self) {
        // SAFETY: closing a descriptor this value owns, once.
        unsafe { libc::close(self.master) };
        self.master = -1;
    }
}

impl Drop for Native {
    fn drop(&mut self) {
        // SAFETY: closing descriptors this value still owns.
        unsafe {
            if self.slave >= 0 {
                libc::close(self.slave);
            }
            if self.master >= 0 {
                libc::close(self.master);
            }
        }
    }
}

/// The poll bits a native `poll` for POLLIN|POLLOUT can report.
pub(super) const POLL_SEEN: u32 = PollMask::IN | PollMask::OUT | PollMask::ERR | PollMask::HUP;

/// Tests that fork, or that depend on a descriptor really closing, hold this lock: a
/// child forked by one test would otherwise keep another test's pty open for a moment.
static FORK_OR_CLOSE: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(super) fn serialize() -> std::sync::MutexGuard<'static, ()> {
    FORK_OR_CLOSE.lock().unwrap_or_else(|e| e.into_inner())
}

/// In a freshly forked child: closes every inherited descriptor except `keep`.
///
/// # Safety
/// Only for a child right after `fork`.
pub(super) unsafe fn close_others(keep: &[i32]) {
    for fd in 3..1024 {
        if !keep.contains(&fd) {
            libc::close(fd);
        }
    }
}

/// No process groups exist in these tests except the caller's own.
pub(super) struct OneGroup(Pid, Pid);

impl ProcessTable for OneGroup {
    fn session_of_pgrp(&self, pgrp: Pid) -> Option<Pid> {
        (pgrp == self.0).then_some(self.1)
    }
}

/// One step applied to both sides.
#[derive(Debug, Clone)]
pub(super) enum Op {
    /// Bytes written to the master (one write).
    Input(Vec<u8>),
    /// A non-blocking read of up to n bytes from the slave.
    Read(usize),
    /// Bytes written to the slave.
    Output(Vec<u8>),
    /// New attributes (`TCSETS2`).
    Set(Termios2),
    /// New attributes after flushing input (`TCSETSF2`).
    SetFlush(Termios2),
    /// `TCFLSH` on the slave.
    Flush(u32),
    /// `TCFLSH` on the master.
    MasterFlush(u32),
}

/// Escapes bytes for readable transcripts; long runs of one byte are shortened.
pub(super) fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let run = bytes[i..].iter().take_while(|&&c| c == b).count();
        i += if run > 8 { run } else { 1 };
        if run > 8 {
            let _ = write!(s, "{{{}*{run}}}", show(&[b]));
            continue;
        }
        match b {
            0x20..=0x7e if b != b'\\' => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

pub(super) fn show_read(r: &Result<Vec<u8>, i32>) -> String {
    match r {
        Ok(b) => format!("read {:?}", show(b)),
        Err(e) => format!("read errno {e}"),
    }
}

/// Our side of the differential run.
pub(super) struct Model {
    pty: PtyPair,
    caller: Caller,
}

impl Model {
    fn new() -> Model {
        let mut pty = PtyPair::new(0);
        let caller = Caller::default();
        pty.ioctl(
            End::Master,
            &caller,
            &OneGroup(1, 1),
            req::TIOCSPTLCK,
            &0u32.to_le_bytes(),
        )
        .expect("unlock");
        pty.open_slave(&caller, true).expect("open slave");
        Model { pty, caller }
    }

    fn drain(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(ReadStatus::Done(n)) = self.pty.master_read(&mut buf, true) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    fn read(&mut self, len: usize) -> Result<Vec<u8>, i32> {
        let mut buf = vec![0u8; len];
        let mut st = ReadState::new(Nanos(0));
        match self
            .pty
            .slave_read(&self.caller, &mut buf, Nanos(0), &mut st, true)
        {
            Ok(ReadStatus::Done(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(ReadStatus::Wait(_)) => Err(libc::EAGAIN),
            Err(e) => Err(e.errno()),
        }
    }

    fn ioctl(&mut self, end: End, request: u32, arg: &[u8]) -> Result<Vec<u8>, TtyError> {
        match self
            .pty
            .ioctl(end, &self.caller, &OneGroup(1, 1), request, arg)?
        {
            super::IoctlReply::Done { out, .. } => Ok(out),
            super::IoctlReply::OpenPeer { .. } => Ok(Vec::new()),
        }
    }

    fn inq(&mut self) -> i32 {
        let out = self
            .ioctl(End::Slave, req::FIONREAD, &[])
            .expect("FIONREAD");
        i32::from_le_bytes(out[..4].try_into().expect("4 bytes"))
    }
}

/// Runs `ops` on a native pty and on the model, starting from `initial` attributes, and
/// returns both transcripts.
pub(super) fn run_both(initial: &Termios2, ops: &[Op]) -> (Vec<String>, Vec<String>) {
    let native = Native::open();
    let mut model = Model::new();
    let mut nt = Vec::new();
    let mut mt = Vec::new();
    native.set_termios(initial);
    model
        .ioctl(End::Slave, req::TCSETS2, &initial.to_guest_bytes())
        .expect("TCSETS2");
    native.settle();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Input(bytes) => {
                let n = Native::write(native.master, bytes);
                let m = match model.pty.master_write(bytes, true) {
                    Ok(WriteStatus::Done(n)) => Ok(n),
                    Ok(WriteStatus::Wait) => Err(libc::EAGAIN),
                    Err(e) => Err(e.errno()),
                };
                nt.push(format!("{i}: input {:?} -> {n:?}", show(bytes)));
                mt.push(format!("{i}: input {:?} -> {m:?}", show(bytes)));
            }
            Op::Read(len) => {
                nt.push(format!(
                    "{i}: {}",
                    show_read(&Native::read(native.slave, *len))
                ));
                mt.push(format!("{i}: {}", show_read(&model.read(*len))));
            }
            Op::Output(bytes) => {
                let n = Native::write(native.slave, bytes);
                let m = match model.pty.slave_write(&model.caller, bytes, true) {
                    Ok(WriteStatus::Done(n)) => Ok(n),
                    Ok(WriteStatus::Wait) => Err(libc::EAGAIN),
                    Err(e) => Err(e.errno()),
                };
                nt.push(format!("{i}: output {:?} -> {n:?}", show(bytes)));
                mt.push(format!("{i}: output {:?} -> {m:?}", show(bytes)));
            }
            Op::Set(t) => {
                native.set_termios(t);
                model
                    .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
                    .expect("TCSETS2");
                nt.push(format!("{i}: set"));
                mt.push(format!("{i}: set"));
            }
            Op::SetFlush(t) => {
                let bytes = t.to_guest_bytes();
                // SAFETY: TCSETSF2 reads a 44-byte termios2.
                let r = unsafe { libc::ioctl(native.slave, req::TCSETSF2 as _, bytes.as_ptr()) };
                let m = model.ioctl(End::Slave, req::TCSETSF2, &bytes);
                nt.push(format!("{i}: set+flush -> {}", r == 0));
                mt.push(format!("{i}: set+flush -> {}", m.is_ok()));
            }
            Op::Flush(how) => {
                // SAFETY: TCFLSH takes an integer argument.
                let r = unsafe { libc::ioctl(native.slave, req::TCFLSH as _, *how as usize) };
                let m = model.ioctl(End::Slave, req::TCFLSH, &how.to_le_bytes());
                nt.push(format!("{i}: flush {how} -> {}", r == 0));
                mt.push(format!("{i}: flush {how} -> {}", m.is_ok()));
            }
            Op::MasterFlush(how) => {
                // SAFETY: TCFLSH takes an integer argument.
                let r = unsafe { libc::ioctl(native.master, req::TCFLSH as _, *how as usize) };
                let m = model.ioctl(End::Master, req::TCFLSH, &how.to_le_bytes());
                nt.push(format!("{i}: master flush {how} -> {}", r == 0));
                mt.push(format!("{i}: master flush {how} -> {}", m.is_ok()));
            }
        }
        if model.pty.ldisc().racy_flushes() > 0 {
            // Linux itself may go either way from here (see `flush_output`).
            nt.push(format!("{i}: racy flush, comparison stops"));
            mt.push(format!("{i}: racy flush, comparison stops"));
            return (nt, mt);
        }
        let expect = model.drain_into(&mut mt, i);
        let expect_inq = model.inq();
        let readable = model.pty.poll(End::Slave).has(PollMask::IN);
        native.settle_into(&mut nt, i, expect, expect_inq, readable);
        nt.push(format!(
            "{i}: inq {:?}",
            Native::int_ioctl(native.slave, req::FIONREAD)
        ));
        mt.push(format!("{i}: inq {:?}", Ok::<i32, i32>(model.inq())));
    }
    let nt_t = native.termios();
    let mut mt_t = model.ioctl(End::Slave, req::TCGETS2, &[]).expect("TCGETS2");
    mt_t.truncate(44);
    nt.push(format!("termios {:?}", nt_t.to_guest_bytes()));
    mt.push(format!("termios {:?}", mt_t));
    (nt, mt)
}

impl Native {
    fn settle_into(
        &self,
        transcript: &mut Vec<String>,
        i: usize,
        expect: usize,
        inq: i32,
        readable: bool,
    ) {
        let out = self.settle_expecting(expect, inq, readable);
        if !out.is_empty() {
            transcript.push(format!("{i}: master got {:?}", show(&out)));
        }
    }
}

impl Model {
    fn drain_into(&mut self, transcript: &mut Vec<String>, i: usize) -> usize {
        let out = self.drain();
        if !out.is_empty() {
            transcript.push(format!("{i}: master got {:?}", show(&out)));
        }
        out.len()
    }
}

/// Runs both and fails with a line-by-line comparison on the first difference.
///
/// Returns whether the run was cut short by a racy flush.
pub(super) fn check(name: &str, initial: &Termios2, ops: &[Op]) -> bool {
    let (native, model) = run_both(initial, ops);
    if native != model {
        let mut msg = format!(
            "{name}: model differs from the native pty\ntermios {:?}\nops {ops:?}\n",
            initial
        );
        for k in 0..native.len().max(model.len()) {
            let a = native.get(k).map(String::as_str).unwrap_or("-");
            let b = model.get(k).map(String::as_str).unwrap_or("-");
            let mark = if a == b { "  " } else { "!!" };
            let _ = writeln!(msg, "{mark} native {a}\n{mark} model  {b}");
        }
        panic!("{msg}");
    }
    model
        .last()
        .is_some_and(|l| l.ends_with("comparison stops"))
}

pub(super) fn with(f: impl FnOnce(&mut Termios2)) -> Termios2 {
    let mut t = Termios2::pty_default();
    f(&mut t);
    t
}

pub(super) fn input(s: &[u8]) -> Op {
    Op::Input(s.to_vec())
}

pub(super) fn output(s: &[u8]) -> Op {
    Op::Output(s.to_vec())
}
