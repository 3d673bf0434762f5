//! Unit tests of the pty pair and its ioctls: controlling-terminal rules, hangup,
//! packet mode, locking, and the events the kernel acts on.

use super::ioctl::{ioctl_arg, req, IoctlArg, IoctlReply};
use super::ldisc::{packet, ReadState, ReadStatus, WriteStatus};
use super::pty::{Caller, End, PollMask, ProcessTable, PtyPair, SignalTarget, TtyEvent};
use super::termios::Winsize;
use super::{Nanos, Pid, Signal, TtyError};

/// Session 10 has groups 10 and 11; session 20 has group 20.
struct Procs;

impl ProcessTable for Procs {
    fn session_of_pgrp(&self, pgrp: Pid) -> Option<Pid> {
        match pgrp {
            10 | 11 => Some(10),
            20 => Some(20),
            _ => None,
        }
    }
}

fn leader() -> Caller {
    Caller {
        pid: 10,
        pgrp: 10,
        sid: 10,
        session_leader: true,
        ..Caller::default()
    }
}

fn member(pgrp: Pid) -> Caller {
    Caller {
        pid: 12,
        pgrp,
        sid: 10,
        ctty_is_this: true,
        has_ctty: true,
        ..Caller::default()
    }
}

fn int_out(r: Result<IoctlReply, TtyError>) -> Result<i32, TtyError> {
    match r? {
        IoctlReply::Done { out, .. } => Ok(i32::from_le_bytes(
            out.get(..4)
                .and_then(|s| s.try_into().ok())
                .expect("4 bytes"),
        )),
        IoctlReply::OpenPeer { .. } => panic!("unexpected OpenPeer"),
    }
}

/// A pair whose slave is the controlling terminal of session 10, foreground group 10.
fn controlled() -> PtyPair {
    let mut p = PtyPair::new(3);
    p.ioctl(End::Master, &leader(), &Procs, req::TIOCSPTLCK, &[0; 4])
        .expect("unlock");
    p.open_slave(&leader(), false).expect("open");
    assert!(p
        .take_events()
        .contains(&TtyEvent::CttyAttached { sid: 10 }));
    p
}

fn signals(p: &mut PtyPair) -> Vec<(SignalTarget, Signal)> {
    p.take_events()
        .into_iter()
        .filter_map(|e| match e {
            TtyEvent::Signal { target, signal } => Some((target, signal)),
            _ => None,
        })
        .collect()
}

#[test]
fn tty_pty_lock_and_number() {
    let mut p = PtyPair::new(7);
    assert_eq!(p.open_slave(&leader(), true), Err(TtyError::Io));
    assert_eq!(
        int_out(p.ioctl(End::Master, &leader(), &Procs, req::TIOCGPTLCK, &[])),
        Ok(1)
    );
    assert_eq!(
        int_out(p.ioctl(End::Master, &leader(), &Procs, req::TIOCGPTN, &[])),
        Ok(7)
    );
    assert_eq!(
        p.ioctl(End::Slave, &leader(), &Procs, req::TIOCGPTN, &[]),
        Err(TtyError::NotTty)
    );
    p.ioctl(End::Master, &leader(), &Procs, req::TIOCSPTLCK, &[0; 4])
        .expect("unlock");
    assert_eq!(p.open_slave(&leader(), true), Ok(()));
    assert!(!p
        .take_events()
        .iter()
        .any(|e| matches!(e, TtyEvent::CttyAttached { .. })));
    assert_eq!(
        p.ioctl(
            End::Master,
            &leader(),
            &Procs,
            req::TIOCGPTPEER,
            &2u32.to_le_bytes()
        ),
        Ok(IoctlReply::OpenPeer { flags: 2 })
    );
    assert_eq!(
        int_out(p.ioctl(End::Slave, &leader(), &Procs, req::TIOCGDEV, &[])),
        Ok((136 << 8) | 7)
    );
}

#[test]
fn tty_pty_foreground_group_rules() {
    let mut p = controlled();
    let outsider = Caller::default();
    assert_eq!(
        p.ioctl(End::Slave, &outsider, &Procs, req::TIOCGPGRP, &[]),
        Err(TtyError::NotTty)
    );
    assert_eq!(
        int_out(p.ioctl(End::Master, &outsider, &Procs, req::TIOCGPGRP, &[])),
        Ok(10)
    );
    assert_eq!(
        int_out(p.ioctl(End::Slave, &member(10), &Procs, req::TIOCGSID, &[])),
        Ok(10)
    );
    let set = |p: &mut PtyPair, who: &Caller, g: i32| {
        p.ioctl(End::Slave, who, &Procs, req::TIOCSPGRP, &g.to_le_bytes())
    };
    assert_eq!(set(&mut p, &outsider, 11), Err(TtyError::NotTty));
    assert_eq!(set(&mut p, &member(10), -1), Err(TtyError::Invalid));
    assert_eq!(set(&mut p, &member(10), 99), Err(TtyError::NoSuchGroup));
    assert_eq!(set(&mut p, &member(10), 20), Err(TtyError::Permission));
    assert!(set(&mut p, &member(10), 11).is_ok());
    assert_eq!(p.foreground(), Some(11));
    // Group 10 is now in the background: TIOCSPGRP from it raises SIGTTOU.
    assert_eq!(set(&mut p, &member(10), 10), Err(TtyError::Restart));
    assert_eq!(
        signals(&mut p),
        vec![(SignalTarget::Group(10), Signal::Ttou)]
    );
    // Input signals go to the new foreground group.
    p.master_write(b"\x03", false).expect("write");
    assert_eq!(
        signals(&mut p),
        vec![(SignalTarget::Group(11), Signal::Int)]
    );
    p.ioctl(
        End::Master,
        &outsider,
        &Procs,
        req::TIOCSIG,
        &3u32.to_le_bytes(),
    )
    .expect("TIOCSIG");
    assert_eq!(
        signals(&mut p),
        vec![(SignalTarget::Group(11), Signal::Quit)]
    );
    assert_eq!(
        p.ioctl(
            End::Master,
            &outsider,
            &Procs,
            req::TIOCSIG,
            &9u32.to_le_bytes()
        ),
        Err(TtyError::Invalid)
    );
}

#[test]
fn tty_pty_controlling_terminal_acquire_and_release() {
    let mut p = PtyPair::new(0);
    p.ioctl(End::Master, &leader(), &Procs, req::TIOCSPTLCK, &[0; 4])
        .expect("unlock");
    p.open_slave(&leader(), true).expect("open");
    let sctty = |p: &mut PtyPair, who: &Caller, arg: u32| {
        p.ioctl(End::Slave, who, &Procs, req::TIOCSCTTY, &arg.to_le_bytes())
    };
    assert_eq!(sctty(&mut p, &member(10), 0), Err(TtyError::Permission));
    assert!(sctty(&mut p, &leader(), 0).is_ok());
    assert_eq!(p.session(), Some(10));
    assert!(p
        .take_events()
        .contains(&TtyEvent::CttyAttached { sid: 10 }));
    let other = Caller {
        pid: 20,
        pgrp: 20,
        sid: 20,
        session_leader: true,
        ..Caller::default()
    };
    assert_eq!(sctty(&mut p, &other, 0), Err(TtyError::Permission));
    let root = Caller {
        cap_sys_admin: true,
        ..other
    };
    assert!(sctty(&mut p, &root, 1).is_ok());
    let ev = p.take_events();
    assert!(ev.contains(&TtyEvent::CttyDetached { sid: 10 }));
    assert!(ev.contains(&TtyEvent::CttyAttached { sid: 20 }));

    // TIOCNOTTY: a member only detaches itself; the leader hangs up the foreground.
    let mut p = controlled();
    p.ioctl(End::Slave, &member(10), &Procs, req::TIOCNOTTY, &[])
        .expect("notty");
    assert!(p.take_events().contains(&TtyEvent::CallerCttyDetached));
    let lead = Caller {
        ctty_is_this: true,
        has_ctty: true,
        ..leader()
    };
    p.ioctl(End::Slave, &lead, &Procs, req::TIOCNOTTY, &[])
        .expect("notty");
    let ev = p.take_events();
    assert!(ev.contains(&TtyEvent::Signal {
        target: SignalTarget::Group(10),
        signal: Signal::Hup
    }));
    assert!(ev.contains(&TtyEvent::CttyDetached { sid: 10 }));
    assert_eq!(p.session(), None);
}

#[test]
fn tty_pty_master_close_hangs_up_slave() {
    let mut p = controlled();
    p.master_write(b"pending\n", false).expect("write");
    p.take_events();
    p.close_master();
    let ev = p.take_events();
    assert!(ev.contains(&TtyEvent::Signal {
        target: SignalTarget::Process(10),
        signal: Signal::Hup
    }));
    assert!(ev.contains(&TtyEvent::Signal {
        target: SignalTarget::Process(10),
        signal: Signal::Cont
    }));
    assert!(ev.contains(&TtyEvent::CttyDetached { sid: 10 }));
    assert!(ev.contains(&TtyEvent::Wake(End::Slave)));
    let mut buf = [0u8; 8];
    assert_eq!(
        p.slave_read(
            &member(10),
            &mut buf,
            Nanos(0),
            &mut ReadState::new(Nanos(0)),
            false
        ),
        Ok(ReadStatus::Done(0))
    );
    assert_eq!(p.slave_write(&member(10), b"x", false), Err(TtyError::Io));
    assert_eq!(
        p.ioctl(End::Slave, &member(10), &Procs, req::TCGETS, &[]),
        Err(TtyError::Io)
    );
    assert_eq!(
        p.ioctl(
            End::Slave,
            &member(10),
            &Procs,
            req::TIOCSPGRP,
            &10i32.to_le_bytes()
        ),
        Err(TtyError::NotTty)
    );
    assert!(p
        .poll(End::Slave)
        .has(PollMask::IN | PollMask::OUT | PollMask::HUP | PollMask::ERR));
    assert_eq!(p.open_slave(&leader(), true), Err(TtyError::Io));
}

#[test]
fn tty_pty_packet_mode() {
    let mut p = controlled();
    let c = member(10);
    p.ioctl(End::Master, &c, &Procs, req::TIOCPKT, &1u32.to_le_bytes())
        .expect("pkt");
    let mut buf = [0u8; 32];
    assert_eq!(p.master_read(&mut buf, true), Err(TtyError::WouldBlock));
    p.slave_write(&c, b"hi", false).expect("write");
    assert_eq!(p.master_read(&mut buf, true), Ok(ReadStatus::Done(3)));
    assert_eq!(&buf[..3], b"\0hi");
    p.master_write(b"\x13", false).expect("stop");
    assert!(p.poll(End::Master).has(PollMask::PRI));
    assert_eq!(p.master_read(&mut buf, true), Ok(ReadStatus::Done(1)));
    assert_eq!(buf[0], packet::STOP);
    p.master_write(b"\x11", false).expect("start");
    assert_eq!(p.master_read(&mut buf, true), Ok(ReadStatus::Done(1)));
    assert_eq!(buf[0], packet::START);
    p.ioctl(End::Slave, &c, &Procs, req::TCFLSH, &0u32.to_le_bytes())
        .expect("flush");
    assert_eq!(p.master_read(&mut buf, true), Ok(ReadStatus::Done(1)));
    assert_eq!(buf[0], packet::FLUSHREAD);
    assert_eq!(
        int_out(p.ioctl(End::Master, &c, &Procs, req::TIOCGPKT, &[])),
        Ok(1)
    );
}

#[test]
fn tty_pty_winsize_and_counts() {
    let mut p = controlled();
    let c = member(10);
    let ws = Winsize {
        ws_row: 50,
        ws_col: 132,
        ..Winsize::default()
    };
    for round in 0..2 {
        p.ioctl(
            End::Master,
            &c,
            &Procs,
            req::TIOCSWINSZ,
            &ws.to_guest_bytes(),
        )
        .expect("winsz");
        let expect = if round == 0 {
            vec![(SignalTarget::Group(10), Signal::Winch)]
        } else {
            vec![]
        };
        assert_eq!(signals(&mut p), expect);
    }
    match p.ioctl(End::Slave, &c, &Procs, req::TIOCGWINSZ, &[]) {
        Ok(IoctlReply::Done { out, .. }) => assert_eq!(Winsize::from_guest_bytes(&out), Some(ws)),
        other => panic!("{other:?}"),
    }
    p.master_write(b"ab\ncd\x04", false).expect("write");
    assert_eq!(
        int_out(p.ioctl(End::Slave, &c, &Procs, req::FIONREAD, &[])),
        Ok(5)
    );
    // The echo "ab\r\ncd" waits for the master.
    assert_eq!(
        int_out(p.ioctl(End::Master, &c, &Procs, req::FIONREAD, &[])),
        Ok(6)
    );
    assert_eq!(
        p.ioctl(End::Slave, &c, &Procs, req::TIOCSWINSZ, &[1, 2]),
        Err(TtyError::Fault)
    );
    assert_eq!(
        p.ioctl(End::Slave, &c, &Procs, 0x1234, &[]),
        Err(TtyError::NotTty)
    );
    assert_eq!(ioctl_arg(0x1234), None);
    assert_eq!(ioctl_arg(req::TCGETS), Some(IoctlArg::Out(36)));
    assert_eq!(ioctl_arg(req::TCSETSF2), Some(IoctlArg::In(44)));
    assert_eq!(ioctl_arg(req::TCFLSH), Some(IoctlArg::Value));
}

#[test]
fn tty_pty_tcsetsf_flushes_and_tiocsti_injects() {
    let mut p = controlled();
    let c = member(10);
    p.master_write(b"typed ahead\n", false).expect("write");
    let t = p.ldisc().termios().to_termios().to_guest_bytes();
    p.ioctl(End::Slave, &c, &Procs, req::TCSETSF, &t)
        .expect("TCSETSF");
    assert_eq!(p.ldisc().inq(), 0);
    p.ioctl(End::Slave, &c, &Procs, req::TIOCSTI, b"z")
        .expect("sti");
    p.ioctl(End::Slave, &c, &Procs, req::TIOCSTI, b"\n")
        .expect("sti");
    let mut buf = [0u8; 8];
    assert_eq!(
        p.slave_read(&c, &mut buf, Nanos(0), &mut ReadState::new(Nanos(0)), true),
        Ok(ReadStatus::Done(2))
    );
    assert_eq!(
        p.ioctl(End::Slave, &Caller::default(), &Procs, req::TIOCSTI, b"z"),
        Err(TtyError::Permission)
    );
}

#[test]
fn tty_pty_blocking_results_and_wakes() {
    let mut p = controlled();
    let c = member(10);
    let mut buf = [0u8; 8];
    let mut st = ReadState::new(Nanos(0));
    assert_eq!(
        p.slave_read(&c, &mut buf, Nanos(0), &mut st, false),
        Ok(ReadStatus::Wait(super::Wait::Input))
    );
    p.take_events();
    p.master_write(b"x\n", false).expect("write");
    let ev = p.take_events();
    assert!(ev.contains(&TtyEvent::Wake(End::Slave)));
    assert!(ev.contains(&TtyEvent::Wake(End::Master)));
    assert_eq!(
        p.slave_read(&c, &mut buf, Nanos(0), &mut st, false),
        Ok(ReadStatus::Done(2))
    );
    // Fill the master's side: slave writes wait, then EAGAIN when non-blocking.
    let big = vec![b'y'; 64 * 1024];
    assert!(matches!(
        p.slave_write(&c, &big, false),
        Ok(WriteStatus::Done(_))
    ));
    assert_eq!(p.slave_write(&c, b"z", false), Ok(WriteStatus::Wait));
    assert_eq!(p.slave_write(&c, b"z", true), Err(TtyError::WouldBlock));
    assert!(!p.poll(End::Slave).has(PollMask::OUT));
    // The slave closes: the master drains, then sees EIO and POLLHUP.
    p.close_slave();
    let mut big_buf = vec![0u8; 8192];
    while let Ok(ReadStatus::Done(n)) = p.master_read(&mut big_buf, true) {
        assert!(n > 0);
    }
    assert_eq!(p.master_read(&mut big_buf, true), Err(TtyError::Io));
    assert!(p.poll(End::Master).has(PollMask::HUP));
}

#[test]
fn tty_pty_never_panics() {
    use super::ioctl::req::*;
    const REQUESTS: &[u32] = &[
        TCGETS,
        TCSETS,
        TCSETSW,
        TCSETSF,
        TCGETA,
        TCSETA,
        TCSETAW,
        TCSETAF,
        TCSBRK,
        TCXONC,
        TCFLSH,
        TIOCEXCL,
        TIOCNXCL,
        TIOCSCTTY,
        TIOCGPGRP,
        TIOCSPGRP,
        TIOCOUTQ,
        TIOCSTI,
        TIOCGWINSZ,
        TIOCSWINSZ,
        TIOCGSOFTCAR,
        TIOCSSOFTCAR,
        FIONREAD,
        TIOCPKT,
        TIOCNOTTY,
        TIOCSETD,
        TIOCGETD,
        TCSBRKP,
        TIOCSBRK,
        TIOCCBRK,
        TIOCGSID,
        TCGETS2,
        TCSETS2,
        TCSETSW2,
        TCSETSF2,
        TIOCGPTN,
        TIOCSPTLCK,
        TIOCGDEV,
        TIOCSIG,
        TIOCVHANGUP,
        TIOCGPKT,
        TIOCGPTLCK,
        TIOCGEXCL,
        TIOCGPTPEER,
        0,
        0xffff_ffff,
    ];
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        s.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for _ in 0..200 {
        let mut p = PtyPair::new(next() as u32);
        for step in 0..60u64 {
            let caller = Caller {
                pid: (next() % 4) as i32,
                pgrp: (next() % 4) as i32 * 5 + 10,
                sid: if next() % 2 == 0 { 10 } else { 20 },
                session_leader: next() % 2 == 0,
                ctty_is_this: next() % 2 == 0,
                has_ctty: next() % 2 == 0,
                sigttin_ignored: next() % 2 == 0,
                sigttou_ignored: next() % 2 == 0,
                pgrp_orphaned: next() % 4 == 0,
                cap_sys_admin: next() % 4 == 0,
                file_readable: next() % 8 != 0,
            };
            let end = if next() % 2 == 0 {
                End::Master
            } else {
                End::Slave
            };
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut buf = vec![0u8; len];
            let now = Nanos(step * 50_000_000);
            match next() % 10 {
                0..=3 => {
                    let r = REQUESTS[(next() % REQUESTS.len() as u64) as usize];
                    let _ = p.ioctl(end, &caller, &Procs, r, &bytes);
                }
                4 => {
                    let _ = p.write(end, &caller, &bytes, next() % 2 == 0);
                }
                5 => {
                    let mut st = ReadState::new(now);
                    let _ = p.read(end, &caller, &mut buf, now, &mut st, next() % 2 == 0);
                }
                6 => {
                    let _ = p.open_slave(&caller, next() % 2 == 0);
                }
                7 => match next() % 4 {
                    0 => p.close_slave(),
                    1 => p.close_master(),
                    2 => p.disassociate(caller.sid, next() % 2 == 0),
                    _ => {
                        let _ = p.reopen_slave();
                    }
                },
                _ => {
                    let _ = p.poll(end);
                }
            }
            let _ = p.take_events();
        }
    }
}
