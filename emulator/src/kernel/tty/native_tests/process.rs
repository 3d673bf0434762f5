//! Signals to the foreground group, background job control and hangup, against a
//! native pty held as controlling terminal by forked processes.

use super::*;

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
                for sig in [
                    libc::SIGINT,
                    libc::SIGQUIT,
                    libc::SIGTSTP,
                    libc::SIGWINCH,
                    libc::SIGHUP,
                    libc::SIGCONT,
                ] {
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

#[test]
fn tty_native_master_close_signals_session_leader() {
    let _serial = serialize();
    let mut native = Native::open();
    let child = SignalChild::spawn(&native);
    let mut pty = PtyPair::new(0);
    let leader = Caller {
        pid: 50,
        pgrp: 50,
        sid: 50,
        session_leader: true,
        ..Caller::default()
    };
    pty.ioctl(
        End::Master,
        &leader,
        &OneGroup(50, 50),
        req::TIOCSPTLCK,
        &[0; 4],
    )
    .expect("unlock");
    pty.open_slave(&leader, false).expect("open");
    pty.take_events();
    native.close_master();
    pty.close_master();
    let mut native_sigs = Vec::new();
    while let Some(s) = child.next_within(native_sigs.len() < 2) {
        native_sigs.push(i32::from(s));
    }
    let ours: Vec<i32> = pty
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            TtyEvent::Signal {
                target: SignalTarget::Process(50),
                signal,
            } => Some(signal.number()),
            _ => None,
        })
        .collect();
    // Which signals, not the order handlers ran in: that is signal delivery's business
    // (Linux sends SIGHUP first; the handlers may run the other way round).
    native_sigs.sort_unstable();
    let mut ours = ours;
    ours.sort_unstable();
    assert_eq!(native_sigs, ours);
}

#[test]
fn tty_native_session_leader_exit_hangs_up_foreground() {
    let _serial = serialize();
    let native = Native::open();
    let mut fds = [0i32; 2];
    // SAFETY: the children use only async-signal-safe calls and end with _exit.
    let native_sigs = unsafe {
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
            if libc::fork() == 0 {
                // A member of the foreground group (the leader's own) that stays.
                for sig in [libc::SIGHUP, libc::SIGCONT] {
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
            libc::usleep(100_000);
            libc::_exit(0);
        }
        libc::close(fds[1]);
        let reporter = SignalChild {
            pid,
            report: fds[0],
        };
        assert_eq!(reporter.next(), Some(0), "member ready");
        let mut got = Vec::new();
        while let Some(s) = reporter.next_within(got.is_empty()) {
            got.push(i32::from(s));
        }
        // The member is in the leader's process group.
        libc::kill(-pid, libc::SIGKILL);
        got
    };
    let mut pty = PtyPair::new(0);
    let leader = Caller {
        pid: 50,
        pgrp: 50,
        sid: 50,
        session_leader: true,
        ..Caller::default()
    };
    pty.ioctl(
        End::Master,
        &leader,
        &OneGroup(50, 50),
        req::TIOCSPTLCK,
        &[0; 4],
    )
    .expect("unlock");
    pty.open_slave(&leader, false).expect("open");
    pty.take_events();
    pty.disassociate(50, true);
    let events = pty.take_events();
    let ours: Vec<i32> = events
        .iter()
        .filter_map(|e| match e {
            TtyEvent::Signal {
                target: SignalTarget::Group(50),
                signal,
            } => Some(signal.number()),
            _ => None,
        })
        .collect();
    assert_eq!(native_sigs, ours);
    assert!(events.contains(&TtyEvent::CttyDetached { sid: 50 }));
    assert_eq!(pty.session(), None);
}
