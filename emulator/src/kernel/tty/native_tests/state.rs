//! Defaults, poll masks, counts, timed reads and packet mode against the native pty.

use super::*;

#[test]
fn tty_native_default_termios_matches() {
    let native = Native::open();
    assert_eq!(native.termios(), Termios2::pty_default());
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
        Ok(ReadStatus::Wait(crate::kernel::tty::Wait::InputOrDeadline(
            Nanos(100_001_000)
        )))
    );
    assert_eq!(
        model
            .pty
            .slave_read(&c, &mut buf, Nanos(100_001_000), &mut st, false),
        Ok(ReadStatus::Done(0))
    );
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

#[test]
fn tty_native_old_termio_layout() {
    let native = Native::open();
    let mut model = Model::new();
    let t = with(|t| {
        t.c_lflag &= !lflag::ECHOCTL;
        t.c_cc[cc::VERASE] = 8;
    });
    native.set_termios(&t);
    model
        .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
        .expect("set");
    let mut bytes = [0u8; 18];
    // SAFETY: TCGETA writes an 18-byte struct termio.
    let r = unsafe { libc::ioctl(native.slave, req::TCGETA as _, bytes.as_mut_ptr()) };
    assert_eq!(r, 0);
    let ours = model.ioctl(End::Slave, req::TCGETA, &[]).expect("TCGETA");
    // The byte after c_cc is padding.
    assert_eq!(&bytes[..17], &ours[..17]);
    // TCSETA changes only the low 16 bits and the first 8 control characters.
    let mut old = super::super::termios::Termio::from_guest_bytes(&ours).expect("termio");
    old.c_lflag &= !(lflag::ICANON as u16);
    old.c_cc[cc::VINTR] = 1;
    let arg = old.to_guest_bytes();
    // SAFETY: TCSETA reads an 18-byte struct termio.
    let r = unsafe { libc::ioctl(native.slave, req::TCSETA as _, arg.as_ptr()) };
    assert_eq!(r, 0);
    model.ioctl(End::Slave, req::TCSETA, &arg).expect("TCSETA");
    let ours = model.ioctl(End::Slave, req::TCGETS2, &[]).expect("TCGETS2");
    assert_eq!(native.termios().to_guest_bytes(), ours);
}

#[test]
fn tty_native_vmin_vtime_partial_read() {
    // VMIN=3, VTIME=2, one byte typed: the read returns it about 200 ms later.
    let t = with(|t| {
        t.c_lflag &= !(lflag::ICANON | lflag::ECHO);
        t.c_cc[cc::VMIN] = 3;
        t.c_cc[cc::VTIME] = 2;
    });
    let native = Native::open();
    native.set_termios(&t);
    // SAFETY: clearing O_NONBLOCK on our slave descriptor.
    unsafe { libc::fcntl(native.slave, libc::F_SETFL, libc::O_RDWR) };
    Native::write(native.master, b"k").expect("write");
    let start = std::time::Instant::now();
    assert_eq!(Native::read(native.slave, 10), Ok(b"k".to_vec()));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");

    let mut model = Model::new();
    model
        .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
        .expect("set");
    let c = model.caller;
    model.pty.master_write(b"k", false).expect("write");
    let mut st = ReadState::new(Nanos(5));
    let mut buf = [0u8; 10];
    assert_eq!(
        model.pty.slave_read(&c, &mut buf, Nanos(5), &mut st, false),
        Ok(ReadStatus::Wait(crate::kernel::tty::Wait::InputOrDeadline(
            Nanos(5 + 200_000_000)
        )))
    );
    assert_eq!(
        model
            .pty
            .slave_read(&c, &mut buf, Nanos(5 + 200_000_000), &mut st, false),
        Ok(ReadStatus::Done(1))
    );
}

#[test]
fn tty_native_flushes_of_queued_output() {
    // 10000 bytes queued toward the master; then a flush from one side or the other.
    // Slave TCOFLUSH drops only what the master's read buffer has not taken; master
    // TCIFLUSH empties what it holds.
    for (end, how) in [(End::Slave, 1u32), (End::Master, 0u32), (End::Master, 2u32)] {
        let native = Native::open();
        let mut model = Model::new();
        let t = with(|t| {
            t.c_oflag = 0;
            t.c_lflag = 0;
        });
        native.set_termios(&t);
        model
            .ioctl(End::Slave, req::TCSETS2, &t.to_guest_bytes())
            .expect("set");
        let data = vec![b'o'; 10_000];
        let n = Native::write(native.slave, &data).expect("write");
        let m = model.pty.slave_write(&model.caller, &data, true);
        assert_eq!(Ok(WriteStatus::Done(n)), m);
        std::thread::sleep(Duration::from_millis(20));
        let fd = if end == End::Slave {
            native.slave
        } else {
            native.master
        };
        // SAFETY: TCFLSH takes an integer.
        assert_eq!(
            unsafe { libc::ioctl(fd, req::TCFLSH as _, how as usize) },
            0
        );
        model
            .ioctl(end, req::TCFLSH, &how.to_le_bytes())
            .expect("flush");
        std::thread::sleep(Duration::from_millis(20));
        let mut native_total = 0;
        while let Ok(b) = Native::read(native.master, 100_000) {
            if b.is_empty() {
                break;
            }
            native_total += b.len();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(native_total, model.drain().len(), "{end:?} TCFLSH {how}");
    }
}
