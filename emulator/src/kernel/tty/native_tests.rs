//! Differential tests: the host's Linux pty is the oracle.
//!
//! Each test drives a native pty pair (`posix_openpt`, slave opened non-blocking) and a
//! [`PtyPair`] with the same attributes and the same operations, then compares what the
//! master receives (echo and output), what slave reads return and the input counts,
//! byte for byte. After each native operation the harness waits until the kernel's
//! buffer work has settled, so the comparison does not race it.

use super::ioctl::req;
use super::ldisc::{ReadState, ReadStatus, WriteStatus};
use super::pty::{Caller, End, PollMask, ProcessTable, PtyPair, SignalTarget, TtyEvent};
use super::termios::{cc, iflag, lflag, oflag, Termios2, Winsize};
use super::{Nanos, Pid, Signal, TtyError};
use std::fmt::Write as _;
use std::time::Duration;

/// A native pty pair, both ends non-blocking, closed on drop.
struct Native {
    master: i32,
    slave: i32,
}

fn errno() -> i32 {
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
const POLL_SEEN: u32 = PollMask::IN | PollMask::OUT | PollMask::ERR | PollMask::HUP;

/// Tests that fork, or that depend on a descriptor really closing, hold this lock: a
/// child forked by one test would otherwise keep another test's pty open for a moment.
static FORK_OR_CLOSE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serialize() -> std::sync::MutexGuard<'static, ()> {
    FORK_OR_CLOSE.lock().unwrap_or_else(|e| e.into_inner())
}

/// In a freshly forked child: closes every inherited descriptor except `keep`.
///
/// # Safety
/// Only for a child right after `fork`.
unsafe fn close_others(keep: &[i32]) {
    for fd in 3..1024 {
        if !keep.contains(&fd) {
            libc::close(fd);
        }
    }
}

/// No process groups exist in these tests except the caller's own.
struct OneGroup(Pid, Pid);

impl ProcessTable for OneGroup {
    fn session_of_pgrp(&self, pgrp: Pid) -> Option<Pid> {
        (pgrp == self.0).then_some(self.1)
    }
}

/// One step applied to both sides.
#[derive(Debug, Clone)]
enum Op {
    /// Bytes written to the master (one write).
    Input(Vec<u8>),
    /// A non-blocking read of up to n bytes from the slave.
    Read(usize),
    /// Bytes written to the slave.
    Output(Vec<u8>),
    /// New attributes.
    Set(Termios2),
    /// `TCFLSH` on the slave.
    Flush(u32),
    /// `TCFLSH` on the master.
    MasterFlush(u32),
}

/// Escapes bytes for readable transcripts; long runs of one byte are shortened.
fn show(bytes: &[u8]) -> String {
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

fn show_read(r: &Result<Vec<u8>, i32>) -> String {
    match r {
        Ok(b) => format!("read {:?}", show(b)),
        Err(e) => format!("read errno {e}"),
    }
}

/// Our side of the differential run.
struct Model {
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
fn run_both(initial: &Termios2, ops: &[Op]) -> (Vec<String>, Vec<String>) {
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
fn check(name: &str, initial: &Termios2, ops: &[Op]) {
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
}

fn with(f: impl FnOnce(&mut Termios2)) -> Termios2 {
    let mut t = Termios2::pty_default();
    f(&mut t);
    t
}

fn input(s: &[u8]) -> Op {
    Op::Input(s.to_vec())
}

fn output(s: &[u8]) -> Op {
    Op::Output(s.to_vec())
}

#[test]
fn tty_native_default_termios_matches() {
    let native = Native::open();
    assert_eq!(native.termios(), Termios2::pty_default());
}

#[test]
fn tty_native_canonical_editing() {
    let t = Termios2::pty_default();
    check(
        "erase/kill/werase",
        &t,
        &[
            input(b"hello\x7f\x7fp"),
            input(b" wor\x17ld again\x15new"),
            input(b"\r"),
            Op::Read(100),
            Op::Read(100),
            input(b"a\tb\x7f\x7f\x7fc\n"),
            Op::Read(3),
            Op::Read(100),
            input(b"x\x03y\x1a\x1c"),
            input(b"\x12zz\x12\n"),
            Op::Read(100),
        ],
    );
}

#[test]
fn tty_native_eof_and_line_ends() {
    let t = with(|t| {
        t.c_cc[cc::VEOL] = b';';
        t.c_cc[cc::VEOL2] = b'#';
    });
    check(
        "eof/eol",
        &t,
        &[
            input(b"abc\x04"),
            Op::Read(3),
            Op::Read(10),
            input(b"\x04"),
            Op::Read(10),
            input(b"one;two#three"),
            Op::Read(10),
            Op::Read(10),
            Op::Read(10),
            input(b"\x04xy\x04"),
            Op::Read(10),
            Op::Read(10),
        ],
    );
}

#[test]
fn tty_native_lnext_literal() {
    let t = Termios2::pty_default();
    check(
        "lnext",
        &t,
        &[
            input(b"a\x16\x03b\x16\x7f\x16\x16\n"),
            Op::Read(100),
            input(b"\x16"),
            input(b"\x15"),
            input(b"\n"),
            Op::Read(100),
        ],
    );
}

#[test]
fn tty_native_utf8_erase() {
    let t = with(|t| t.c_iflag |= iflag::IUTF8);
    check(
        "utf8",
        &t,
        &[
            input("añ中x\x7f\x7f\x7f\n".as_bytes()),
            Op::Read(100),
            input("é\u{101}\u{10348}\x7f\x7f\x17\n".as_bytes()),
            Op::Read(100),
        ],
    );
    let t = Termios2::pty_default();
    check(
        "no utf8",
        &t,
        &[input("añ中\x7f\x7f\n".as_bytes()), Op::Read(100)],
    );
}

#[test]
fn tty_native_echo_flag_variants() {
    for (name, clear, set) in [
        ("no echoctl", lflag::ECHOCTL, 0),
        ("no echoe", lflag::ECHOE, 0),
        ("no echoke", lflag::ECHOKE, 0),
        ("no echok", lflag::ECHOK | lflag::ECHOKE, 0),
        ("echoprt", lflag::ECHOE, lflag::ECHOPRT),
        ("echonl", lflag::ECHO, lflag::ECHONL),
        ("no iexten", lflag::IEXTEN, 0),
    ] {
        let t = with(|t| t.c_lflag = (t.c_lflag & !clear) | set);
        check(
            name,
            &t,
            &[
                input(b"ab\x01\tc\x7f\x7f\x7f\x7fd"),
                input(b"ef gh\x17\x15xy\x16\x03\n"),
                Op::Read(100),
                input(b"q\x12w\x03z\n"),
                Op::Read(100),
            ],
        );
    }
}

#[test]
fn tty_native_tab_erase_columns() {
    let t = Termios2::pty_default();
    check(
        "tab columns",
        &t,
        &[
            output(b"prompt> "),
            input(b"ab\tc\x7f\x7f\x7f\x01\t\x7f\x7f\t\t\x7f\x7f\n"),
            Op::Read(100),
            output(b"12345"),
            input(b"\tx\x7f\x7f\n"),
            Op::Read(100),
        ],
    );
}

#[test]
fn tty_native_crlf_mapping() {
    for (name, on) in [
        ("icrnl", iflag::ICRNL),
        ("inlcr", iflag::INLCR),
        ("igncr", iflag::IGNCR),
        ("inlcr icrnl", iflag::INLCR | iflag::ICRNL),
        ("none", 0),
        ("istrip", iflag::ISTRIP | iflag::ICRNL),
    ] {
        let t = with(|t| t.c_iflag = (t.c_iflag & !(iflag::ICRNL)) | on);
        check(
            name,
            &t,
            &[
                input(b"a\rb\nc\r\n\x8d\xe1"),
                input(b"\n"),
                Op::Read(100),
                Op::Read(100),
                Op::Read(100),
            ],
        );
    }
}

#[test]
fn tty_native_noncanonical_vmin0() {
    let t = with(|t| {
        t.c_lflag &= !lflag::ICANON;
        t.c_cc[cc::VMIN] = 0;
        t.c_cc[cc::VTIME] = 0;
    });
    check(
        "raw vmin0",
        &t,
        &[
            Op::Read(10),
            input(b"abc\x7f\n\r\x15\x04"),
            Op::Read(3),
            Op::Read(100),
            Op::Read(100),
            input(b"\x03x"),
            Op::Read(100),
        ],
    );
}

#[test]
fn tty_native_output_processing() {
    for (name, flags) in [
        ("onlcr", oflag::OPOST | oflag::ONLCR),
        ("ocrnl", oflag::OPOST | oflag::OCRNL),
        ("onocr", oflag::OPOST | oflag::ONOCR),
        ("onlret", oflag::OPOST | oflag::ONLRET | oflag::OCRNL),
        ("xtabs", oflag::OPOST | oflag::XTABS),
        ("olcuc", oflag::OPOST | oflag::OLCUC | oflag::ONLCR),
        ("raw", 0),
        ("onlcr no opost", oflag::ONLCR),
    ] {
        let t = with(|t| t.c_oflag = flags);
        check(
            name,
            &t,
            &[
                output(b"ab\tc\r\rline\n\nx\ty\x08\tz\r\n"),
                input(b"q\tw\x7f\x7f\x7f\n"),
                Op::Read(100),
                output("é\tñ\t\n".as_bytes()),
            ],
        );
    }
}

#[test]
fn tty_native_isig_flushes_and_echoes() {
    for (name, extra) in [("flush", 0), ("noflsh", lflag::NOFLSH)] {
        let t = with(|t| t.c_lflag |= extra);
        check(
            name,
            &t,
            &[
                input(b"partial"),
                input(b"\x03"),
                input(b"line\n"),
                input(b"more\x1c"),
                Op::Read(100),
                Op::Read(100),
                input(b"a\x1ab\n"),
                Op::Read(100),
            ],
        );
    }
}

#[test]
fn tty_native_flow_control() {
    let t = Termios2::pty_default();
    check(
        "ixon",
        &t,
        &[
            input(b"ab\x13cd"),
            output(b"hidden"),
            input(b"\x11"),
            input(b"\n"),
            Op::Read(100),
        ],
    );
    let t = with(|t| t.c_iflag |= iflag::IXANY);
    check(
        "ixany",
        &t,
        &[input(b"\x13"), output(b"x"), input(b"z"), Op::Read(100)],
    );
}

#[test]
fn tty_native_mode_switches_reframe_input() {
    let raw = with(|t| {
        t.c_lflag &= !lflag::ICANON;
        t.c_cc[cc::VMIN] = 1;
    });
    let canon = Termios2::pty_default();
    check(
        "switch",
        &canon,
        &[
            input(b"ab\x04cd"),
            Op::Set(raw),
            Op::Read(2),
            Op::Set(canon),
            Op::Read(100),
            input(b"xy"),
            Op::Set(raw),
            Op::Set(canon),
            Op::Read(100),
            input(b"k\n"),
            Op::Flush(0),
            Op::Read(100),
        ],
    );
}

#[test]
fn tty_native_parmrk_and_0xff() {
    for (name, extra) in [("parmrk", iflag::PARMRK), ("plain", 0)] {
        let t = with(|t| t.c_iflag |= extra);
        check(name, &t, &[input(b"a\xffb\x7f\x7f\n"), Op::Read(100)]);
    }
}

/// xorshift64*: a small deterministic generator for the randomized test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn bits(&mut self, choices: &[u32]) -> u32 {
        choices
            .iter()
            .filter(|_| self.chance(50))
            .fold(0, |a, b| a | b)
    }
}

fn random_termios(rng: &mut Rng) -> Termios2 {
    let mut t = Termios2::pty_default();
    t.c_iflag = rng.bits(&[
        iflag::ICRNL,
        iflag::INLCR,
        iflag::IGNCR,
        iflag::ISTRIP,
        iflag::IXON,
        iflag::IXANY,
        iflag::IUTF8,
        iflag::IUCLC,
        iflag::PARMRK,
    ]);
    t.c_oflag = rng.bits(&[
        oflag::OPOST,
        oflag::ONLCR,
        oflag::OCRNL,
        oflag::ONOCR,
        oflag::ONLRET,
        oflag::OLCUC,
        oflag::XTABS,
    ]);
    t.c_lflag = rng.bits(&[
        lflag::ISIG,
        lflag::ICANON,
        lflag::ECHO,
        lflag::ECHOE,
        lflag::ECHOK,
        lflag::ECHONL,
        lflag::NOFLSH,
        lflag::ECHOCTL,
        lflag::ECHOPRT,
        lflag::ECHOKE,
        lflag::IEXTEN,
    ]);
    // Mostly the usual flags: make the common shapes likely.
    if rng.chance(40) {
        t.c_lflag |= lflag::ICANON | lflag::ECHO | lflag::ISIG | lflag::IEXTEN;
    }
    if rng.chance(30) {
        t.c_cc[cc::VEOL] = b';';
    }
    if rng.chance(30) {
        t.c_cc[cc::VEOL2] = b'#';
    }
    if rng.chance(20) {
        t.c_cc[cc::VERASE] = 0x08;
    }
    if rng.chance(10) {
        t.c_cc[cc::VINTR] = cc::VDISABLE;
    }
    if rng.chance(10) {
        t.c_cc[cc::VKILL] = b'@';
    }
    if rng.chance(10) {
        t.c_cc[cc::VEOF] = b'!';
    }
    t.c_cc[cc::VMIN] = rng.below(4) as u8;
    t.c_cc[cc::VTIME] = 0;
    t
}

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    const SPECIAL: &[u8] =
        b"\x03\x04\x08\x09\x0a\x0d\x11\x12\x13\x15\x16\x17\x1a\x1c\x7f\xff;# _@!";
    let utf8 = ["é", "ñ", "中", "\u{101}", "\u{10348}"];
    let mut v = Vec::new();
    while v.len() < len {
        match rng.below(10) {
            0..=3 => v.push(SPECIAL[rng.below(SPECIAL.len() as u64) as usize]),
            4..=6 => v.push(b'a' + rng.below(26) as u8),
            7 => v.extend(utf8[rng.below(utf8.len() as u64) as usize].as_bytes()),
            8 => v.push(rng.below(32) as u8),
            _ => v.push(b'A' + rng.below(26) as u8),
        }
    }
    v
}

#[test]
fn tty_native_random_streams() {
    let seed: u64 = std::env::var("TTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234);
    let cases: u64 = std::env::var("TTY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    for case in 0..cases {
        let mut rng = Rng(seed.wrapping_add(case).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let t = random_termios(&mut rng);
        let mut ops = Vec::new();
        for _ in 0..(4 + rng.below(8)) {
            match rng.below(10) {
                0..=4 => {
                    let n = if rng.chance(10) {
                        40 + rng.below(160) as usize
                    } else {
                        1 + rng.below(24) as usize
                    };
                    ops.push(Op::Input(random_bytes(&mut rng, n)));
                }
                5..=6 => ops.push(Op::Read(1 + rng.below(40) as usize)),
                7 => {
                    let n = 1 + rng.below(12) as usize;
                    ops.push(Op::Output(random_bytes(&mut rng, n)));
                }
                8 => ops.push(Op::Set(random_termios(&mut rng))),
                _ if rng.chance(50) => ops.push(Op::Flush(rng.below(3) as u32)),
                _ => ops.push(Op::MasterFlush(rng.below(3) as u32)),
            }
        }
        ops.push(Op::Read(200));
        check(&format!("random case {case} (seed {seed})"), &t, &ops);
    }
}

#[test]
fn tty_native_buffer_limits() {
    // Canonical mode without a line end keeps taking input (the last byte is overwritten)
    // and nothing is readable; a line end still gets in.
    let t = with(|t| t.c_lflag &= !lflag::ECHO);
    let big = vec![b'x'; 5000];
    check(
        "canon overflow",
        &t,
        &[
            Op::Input(big[..3000].to_vec()),
            Op::Input(big[..2000].to_vec()),
            Op::Read(10),
            input(b"\n"),
            Op::Read(5000),
            Op::Read(10),
        ],
    );
    // A full buffer still obeys ^S/^Q typed behind it (lookahead), once.
    let t = with(|t| {
        t.c_lflag &= !(lflag::ICANON | lflag::ECHO);
        t.c_cc[cc::VMIN] = 0;
    });
    check(
        "lookahead",
        &t,
        &[
            Op::Input(big.clone()),
            input(b"\x13"),
            output(b"abc"),
            Op::Read(5000),
            output(b"abc"),
            Op::Read(5000),
            input(b"\x11"),
            output(b"def"),
            Op::Input(big.clone()),
            input(b"\x13\x11"),
            output(b"ghi"),
            Op::Read(5000),
            Op::Read(5000),
        ],
    );
    // Raw mode: at most 4095 bytes are readable at once.
    let t = with(|t| {
        t.c_lflag = 0;
        t.c_cc[cc::VMIN] = 0;
    });
    check(
        "raw 4095",
        &t,
        &[
            Op::Input(big.clone()),
            Op::Read(5000),
            Op::Read(5000),
            Op::Read(5000),
        ],
    );
}

/// A child process in its own session with the native slave as controlling terminal
/// reports the signals it catches through a pipe.
struct SignalChild {
    pid: i32,
    report: i32,
}

extern "C" fn report_signal(sig: i32) {
    let b = sig as u8;
    // SAFETY: write(2) is async-signal-safe; fd 100 is the report pipe in the child.
    unsafe { libc::write(100, (&b as *const u8).cast(), 1) };
}

impl SignalChild {
    fn spawn(native: &Native) -> SignalChild {
        let mut fds = [0i32; 2];
        // SAFETY: pipe/fork/child setup use only async-signal-safe calls in the child,
        // which ends with _exit.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                libc::dup2(fds[1], 100);
                close_others(&[100, native.slave]);
                libc::setsid();
                if libc::ioctl(native.slave, req::TIOCSCTTY as _, 0) != 0 {
                    libc::_exit(3);
                }
                for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP, libc::SIGWINCH] {
                    libc::signal(
                        sig,
                        report_signal as extern "C" fn(i32) as libc::sighandler_t,
                    );
                }
                let ready = 0u8;
                libc::write(100, (&ready as *const u8).cast(), 1);
                loop {
                    libc::pause();
                }
            }
            libc::close(fds[1]);
            let child = SignalChild {
                pid,
                report: fds[0],
            };
            assert_eq!(child.next(), Some(0), "child ready");
            child
        }
    }

    /// The next reported signal, waiting up to a second.
    fn next(&self) -> Option<u8> {
        let mut pfd = libc::pollfd {
            fd: self.report,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; reading one byte into a local.
        unsafe {
            if libc::poll(&mut pfd, 1, 1000) != 1 {
                return None;
            }
            let mut b = 0u8;
            (libc::read(self.report, (&mut b as *mut u8).cast(), 1) == 1).then_some(b)
        }
    }
}

impl Drop for SignalChild {
    fn drop(&mut self) {
        // SAFETY: killing and reaping our own child; closing our pipe end.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            libc::close(self.report);
        }
    }
}

#[test]
fn tty_native_signals_reach_foreground_group() {
    let _serial = serialize();
    let native = Native::open();
    let child = SignalChild::spawn(&native);
    let mut pty = PtyPair::new(0);
    let leader = Caller {
        pid: 50,
        pgrp: 50,
        sid: 50,
        session_leader: true,
        ..Caller::default()
    };
    let procs = OneGroup(50, 50);
    pty.ioctl(End::Master, &leader, &procs, req::TIOCSPTLCK, &[0; 4])
        .expect("unlock");
    pty.open_slave(&leader, false).expect("open");
    assert_eq!(
        pty.take_events().first(),
        Some(&TtyEvent::CttyAttached { sid: 50 })
    );
    let ws = Winsize {
        ws_row: 30,
        ws_col: 100,
        ..Winsize::default()
    };
    let steps: [(&[u8], Option<Signal>); 4] = [
        (b"\x03", Some(Signal::Int)),
        (b"\x1c", Some(Signal::Quit)),
        (b"\x1a", Some(Signal::Tstp)),
        (b"x", None),
    ];
    for (bytes, _) in steps {
        Native::write(native.master, bytes).expect("write");
        let _ = pty.master_write(bytes, true);
        let native_sig = child.next_within(bytes != b"x");
        let ours: Vec<i32> = pty
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                TtyEvent::Signal {
                    target: SignalTarget::Group(50),
                    signal,
                } => Some(signal.number()),
                _ => None,
            })
            .collect();
        assert_eq!(
            native_sig.map(i32::from).into_iter().collect::<Vec<_>>(),
            ours,
            "input {bytes:?}"
        );
    }
    // TIOCSWINSZ from the master: SIGWINCH once, not again for the same size.
    for round in 0..2 {
        let bytes = ws.to_guest_bytes();
        // SAFETY: TIOCSWINSZ reads 8 bytes.
        unsafe { libc::ioctl(native.master, req::TIOCSWINSZ as _, bytes.as_ptr()) };
        pty.ioctl(End::Master, &leader, &procs, req::TIOCSWINSZ, &bytes)
            .expect("TIOCSWINSZ");
        let native_sig = child.next_within(round == 0);
        let ours: Vec<i32> = pty
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                TtyEvent::Signal { signal, .. } => Some(signal.number()),
                _ => None,
            })
            .collect();
        assert_eq!(
            native_sig.map(i32::from).into_iter().collect::<Vec<_>>(),
            ours
        );
    }
}

impl SignalChild {
    /// The next signal; when none is expected, waits only briefly.
    fn next_within(&self, expect: bool) -> Option<u8> {
        if expect {
            return self.next();
        }
        let mut pfd = libc::pollfd {
            fd: self.report,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 50) } == 1 {
            self.next()
        } else {
            None
        }
    }
}

#[test]
fn tty_native_hangup_and_close() {
    let _serial = serialize();
    // Slave closed: the master drains, then reads EIO and polls HUP.
    let mut native = Native::open();
    let mut model = Model::new();
    Native::write(native.slave, b"bye\n").expect("write");
    let _ = model.pty.slave_write(&model.caller, b"bye\n", true);
    std::thread::sleep(Duration::from_millis(5));
    native.close_slave();
    model.pty.close_slave();
    let n1 = Native::read(native.master, 100);
    let m1 = model.drain();
    assert_eq!(n1, Ok(m1));
    assert_eq!(Native::read(native.master, 100), Err(libc::EIO));
    assert_eq!(
        model.pty.master_read(&mut [0u8; 10], true),
        Err(TtyError::Io)
    );
    let mut pfd = libc::pollfd {
        fd: native.master,
        events: libc::POLLIN | libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, 0) };
    assert_eq!(
        pfd.revents as u32,
        model.pty.poll(End::Master).0 & POLL_SEEN
    );

    // Master closed: slave reads return 0, writes EIO.
    let mut native = Native::open();
    let mut model = Model::new();
    native.close_master();
    model.pty.close_master();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(Native::read(native.slave, 10), Ok(Vec::new()));
    assert_eq!(model.read(10), Ok(Vec::new()));
    assert_eq!(Native::write(native.slave, b"x"), Err(libc::EIO));
    assert_eq!(
        model.pty.slave_write(&model.caller, b"x", true),
        Err(TtyError::Io)
    );
}

#[test]
fn tty_native_poll_and_counts() {
    let t = with(|t| {
        t.c_lflag &= !lflag::ICANON;
        t.c_cc[cc::VMIN] = 3;
    });
    let native = Native::open();
    let mut model = Model::new();
    native.set_termios(&t);
    model
        .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
        .expect("set");
    for chunk in [&b"a"[..], b"b", b"c", b"d"] {
        Native::write(native.master, chunk).expect("write");
        let _ = model.pty.master_write(chunk, true);
        native.settle();
        let mut pfd = libc::pollfd {
            fd: native.slave,
            events: libc::POLLIN | libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 0) };
        assert_eq!(
            pfd.revents as u32,
            model.pty.poll(End::Slave).0 & POLL_SEEN,
            "after {chunk:?}"
        );
        assert_eq!(
            Native::int_ioctl(native.slave, req::FIONREAD),
            Ok(model.inq())
        );
    }
    assert_eq!(
        Native::int_ioctl(native.slave, req::TIOCOUTQ),
        model
            .ioctl(End::Slave, req::TIOCOUTQ, &[])
            .map(|v| i32::from_le_bytes(v[..4].try_into().expect("4")))
            .map_err(|e| e.errno())
    );
}

#[test]
fn tty_native_timed_reads() {
    // VMIN=0, VTIME=1 with nothing to read: native blocks ~100 ms and returns 0; the
    // model asks to wait until start + 100 ms and then returns 0.
    let t = with(|t| {
        t.c_lflag &= !lflag::ICANON;
        t.c_cc[cc::VMIN] = 0;
        t.c_cc[cc::VTIME] = 1;
    });
    let native = Native::open();
    native.set_termios(&t);
    // SAFETY: clearing O_NONBLOCK on our slave descriptor.
    unsafe { libc::fcntl(native.slave, libc::F_SETFL, libc::O_RDWR) };
    let start = std::time::Instant::now();
    assert_eq!(Native::read(native.slave, 10), Ok(Vec::new()));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(80), "{took:?}");

    let mut model = Model::new();
    model
        .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
        .expect("set");
    let mut st = ReadState::new(Nanos(1_000));
    let mut buf = [0u8; 10];
    let c = model.caller;
    assert_eq!(
        model
            .pty
            .slave_read(&c, &mut buf, Nanos(1_000), &mut st, false),
        Ok(ReadStatus::Wait(super::Wait::InputOrDeadline(Nanos(
            100_001_000
        ))))
    );
    assert_eq!(
        model
            .pty
            .slave_read(&c, &mut buf, Nanos(100_001_000), &mut st, false),
        Ok(ReadStatus::Done(0))
    );
}

/// A job-control situation: a process in a background group of the terminal's session
/// does something to its controlling terminal.
#[derive(Debug, Clone, Copy)]
enum Background {
    /// `read` with SIGTTIN caught.
    Read,
    /// `read` with SIGTTIN ignored.
    ReadIgnored,
    /// `write` under TOSTOP with SIGTTOU caught.
    WriteTostop,
    /// `write` under TOSTOP with SIGTTOU ignored.
    WriteTostopIgnored,
    /// `write` without TOSTOP.
    Write,
    /// `tcsetattr` with SIGTTOU caught.
    SetAttr,
    /// `TIOCSPGRP` to its own group with SIGTTOU ignored.
    SetPgrpIgnored,
}

/// What happened: a caught signal's number, `100 + errno`, or 200 for success.
const BG_OK: u8 = 200;

/// Runs `what` natively in a background process group and reports the outcome.
fn native_background(what: Background) -> Option<u8> {
    let _serial = serialize();
    let native = Native::open();
    if matches!(
        what,
        Background::WriteTostop | Background::WriteTostopIgnored
    ) {
        let t = with(|t| t.c_lflag |= lflag::TOSTOP);
        native.set_termios(&t);
    }
    let mut fds = [0i32; 2];
    // SAFETY: the children use only async-signal-safe calls and end with _exit.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            libc::dup2(fds[1], 100);
            close_others(&[100, native.slave]);
            libc::setsid();
            if libc::ioctl(native.slave, req::TIOCSCTTY as _, 0) != 0 {
                libc::_exit(3);
            }
            let g = libc::fork();
            if g == 0 {
                libc::setpgid(0, 0);
                let handler = report_and_exit as extern "C" fn(i32) as libc::sighandler_t;
                let (sig, act) = match what {
                    Background::Read => (libc::SIGTTIN, handler),
                    Background::ReadIgnored => (libc::SIGTTIN, libc::SIG_IGN),
                    Background::WriteTostopIgnored | Background::SetPgrpIgnored => {
                        (libc::SIGTTOU, libc::SIG_IGN)
                    }
                    _ => (libc::SIGTTOU, handler),
                };
                libc::signal(sig, act);
                let mut buf = [0u8; 4];
                let r = match what {
                    Background::Read | Background::ReadIgnored => {
                        libc::read(native.slave, buf.as_mut_ptr().cast(), 4) as i32
                    }
                    Background::SetAttr => {
                        let bytes = Termios2::pty_default().to_guest_bytes();
                        libc::ioctl(native.slave, req::TCSETS2 as _, bytes.as_ptr())
                    }
                    Background::SetPgrpIgnored => {
                        let me = libc::getpgrp();
                        libc::ioctl(native.slave, req::TIOCSPGRP as _, &me as *const i32)
                    }
                    _ => libc::write(native.slave, b"x".as_ptr().cast(), 1) as i32,
                };
                let code = if r < 0 {
                    100 + *libc::__errno_location() as u8
                } else {
                    BG_OK
                };
                libc::write(100, (&code as *const u8).cast(), 1);
                libc::_exit(0);
            }
            libc::waitpid(g, std::ptr::null_mut(), 0);
            libc::_exit(0);
        }
        libc::close(fds[1]);
        let mut pfd = libc::pollfd {
            fd: fds[0],
            events: libc::POLLIN,
            revents: 0,
        };
        let mut b = 0u8;
        let got = libc::poll(&mut pfd, 1, 2000) == 1
            && libc::read(fds[0], (&mut b as *mut u8).cast(), 1) == 1;
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
        libc::close(fds[0]);
        got.then_some(b)
    }
}

extern "C" fn report_and_exit(sig: i32) {
    let b = sig as u8;
    // SAFETY: write(2) and _exit(2) are async-signal-safe; fd 100 is the report pipe.
    unsafe {
        libc::write(100, (&b as *const u8).cast(), 1);
        libc::_exit(0);
    }
}

/// The same situation on the model.
fn model_background(what: Background) -> u8 {
    let leader = Caller {
        pid: 50,
        pgrp: 50,
        sid: 50,
        session_leader: true,
        ..Caller::default()
    };
    let bg = Caller {
        pid: 51,
        pgrp: 51,
        sid: 50,
        ctty_is_this: true,
        has_ctty: true,
        sigttin_ignored: matches!(what, Background::ReadIgnored),
        sigttou_ignored: matches!(
            what,
            Background::WriteTostopIgnored | Background::SetPgrpIgnored
        ),
        ..Caller::default()
    };
    struct Groups;
    impl ProcessTable for Groups {
        fn session_of_pgrp(&self, pgrp: Pid) -> Option<Pid> {
            matches!(pgrp, 50 | 51).then_some(50)
        }
    }
    let mut pty = PtyPair::new(0);
    pty.ioctl(End::Master, &leader, &Groups, req::TIOCSPTLCK, &[0; 4])
        .expect("unlock");
    pty.open_slave(&leader, false).expect("open");
    if matches!(
        what,
        Background::WriteTostop | Background::WriteTostopIgnored
    ) {
        let t = with(|t| t.c_lflag |= lflag::TOSTOP);
        pty.ioctl(
            End::Slave,
            &leader,
            &Groups,
            req::TCSETS2,
            &t.to_guest_bytes(),
        )
        .expect("set");
    }
    pty.take_events();
    let mut buf = [0u8; 4];
    let r = match what {
        Background::Read | Background::ReadIgnored => pty
            .slave_read(&bg, &mut buf, Nanos(0), &mut ReadState::new(Nanos(0)), true)
            .map(|_| ()),
        Background::SetAttr => pty
            .ioctl(
                End::Slave,
                &bg,
                &Groups,
                req::TCSETS2,
                &Termios2::pty_default().to_guest_bytes(),
            )
            .map(|_| ()),
        Background::SetPgrpIgnored => pty
            .ioctl(
                End::Slave,
                &bg,
                &Groups,
                req::TIOCSPGRP,
                &51i32.to_le_bytes(),
            )
            .map(|_| ()),
        _ => pty.slave_write(&bg, b"x", true).map(|_| ()),
    };
    let signals: Vec<i32> = pty
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            TtyEvent::Signal {
                target: SignalTarget::Group(51),
                signal,
            } => Some(signal.number()),
            _ => None,
        })
        .collect();
    match r {
        Ok(()) => BG_OK,
        Err(TtyError::Restart) => signals.first().map(|&s| s as u8).unwrap_or(0),
        Err(e) => 100 + e.errno() as u8,
    }
}

#[test]
fn tty_native_background_job_control() {
    for what in [
        Background::Read,
        Background::ReadIgnored,
        Background::WriteTostop,
        Background::WriteTostopIgnored,
        Background::Write,
        Background::SetAttr,
        Background::SetPgrpIgnored,
    ] {
        assert_eq!(
            native_background(what),
            Some(model_background(what)),
            "{what:?}"
        );
    }
}

/// One action on both sides in the packet-mode test.
type PacketStep = Box<dyn Fn(&Native, &mut Model)>;

#[test]
fn tty_native_packet_mode() {
    let native = Native::open();
    let mut model = Model::new();
    let one = 1i32;
    // SAFETY: TIOCPKT reads one int.
    let r = unsafe { libc::ioctl(native.master, req::TIOCPKT as _, &one as *const i32) };
    assert_eq!(r, 0);
    model
        .ioctl(End::Master, req::TIOCPKT, &1u32.to_le_bytes())
        .expect("TIOCPKT");
    let no_ixon = with(|t| t.c_iflag &= !iflag::IXON);
    let steps: Vec<(&str, PacketStep)> = vec![
        (
            "slave output",
            Box::new(|n, m| {
                Native::write(n.slave, b"hi").expect("w");
                let _ = m.pty.slave_write(&m.caller, b"hi", true);
            }),
        ),
        (
            "stop",
            Box::new(|n, m| {
                Native::write(n.master, b"\x13").expect("w");
                let _ = m.pty.master_write(b"\x13", true);
            }),
        ),
        (
            "start",
            Box::new(|n, m| {
                Native::write(n.master, b"\x11").expect("w");
                let _ = m.pty.master_write(b"\x11", true);
            }),
        ),
        (
            "flush input",
            Box::new(|n, m| {
                // SAFETY: TCFLSH takes an integer.
                unsafe { libc::ioctl(n.slave, req::TCFLSH as _, 0usize) };
                let _ = m.ioctl(End::Slave, req::TCFLSH, &0u32.to_le_bytes());
            }),
        ),
        (
            "ixon off",
            Box::new(move |n, m| {
                n.set_termios(&no_ixon);
                let _ = m.ioctl(End::Slave, req::TCSETS2, &no_ixon.to_guest_bytes());
            }),
        ),
    ];
    for (name, step) in steps {
        step(&native, &mut model);
        std::thread::sleep(Duration::from_millis(5));
        let n = Native::read(native.master, 100);
        let mut buf = [0u8; 100];
        let m = match model.pty.master_read(&mut buf, true) {
            Ok(ReadStatus::Done(k)) => Ok(buf[..k].to_vec()),
            Ok(ReadStatus::Wait(_)) => Err(libc::EAGAIN),
            Err(e) => Err(e.errno()),
        };
        assert_eq!(n, m, "{name}");
    }
}
