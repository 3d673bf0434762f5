//! Unit tests of the line discipline alone: the waits a read asks for, buffer limits,
//! and that no input or attribute combination panics. (Byte-for-byte behaviour is
//! checked against the host's pty in `tty/native_tests/`.)

use super::*;
use crate::kernel::tty::termios::{cflag, iflag, lflag, oflag, NCCS};

const SEC: u64 = 1_000_000_000;

fn raw(vmin: u8, vtime: u8) -> LineDiscipline {
    let mut t = KTermios::pty_default();
    t.c_lflag &= !(lflag::ICANON | lflag::ECHO);
    t.c_cc[cc::VMIN] = vmin;
    t.c_cc[cc::VTIME] = vtime;
    LineDiscipline::new(t)
}

fn read(ld: &mut LineDiscipline, len: usize, now: u64, st: &mut ReadState) -> ReadStatus {
    let mut buf = vec![0u8; len];
    ld.read(&mut buf, Nanos(now), st, false).expect("read")
}

#[test]
fn tty_ldisc_vmin_vtime_inter_byte_timer() {
    let mut ld = raw(3, 3);
    let mut st = ReadState::new(Nanos(0));
    assert_eq!(read(&mut ld, 10, 0, &mut st), ReadStatus::Wait(Wait::Input));
    ld.receive(b"a");
    let t1 = SEC;
    assert_eq!(
        read(&mut ld, 10, t1, &mut st),
        ReadStatus::Wait(Wait::InputOrDeadline(Nanos(t1 + 3 * DECISECOND)))
    );
    // A second byte restarts the timer.
    ld.receive(b"b");
    let t2 = t1 + 2 * DECISECOND;
    assert_eq!(
        read(&mut ld, 10, t2, &mut st),
        ReadStatus::Wait(Wait::InputOrDeadline(Nanos(t2 + 3 * DECISECOND)))
    );
    assert_eq!(
        read(&mut ld, 10, t2 + 3 * DECISECOND, &mut st),
        ReadStatus::Done(2)
    );
}

#[test]
fn tty_ldisc_vmin_reached_and_capped_by_length() {
    let mut ld = raw(5, 0);
    let mut st = ReadState::new(Nanos(0));
    ld.receive(b"ab");
    assert_eq!(read(&mut ld, 10, 0, &mut st), ReadStatus::Wait(Wait::Input));
    assert_eq!(read(&mut ld, 2, 0, &mut st), ReadStatus::Done(2));
    ld.receive(b"cdefgh");
    assert_eq!(read(&mut ld, 10, 0, &mut st), ReadStatus::Done(6));
    // Non-blocking: what is there, or EAGAIN.
    let mut buf = [0u8; 4];
    assert_eq!(
        ld.read(&mut buf, Nanos(0), &mut st, true),
        Err(TtyError::WouldBlock)
    );
    ld.receive(b"z");
    assert_eq!(
        ld.read(&mut buf, Nanos(0), &mut st, true),
        Ok(ReadStatus::Done(1))
    );
}

#[test]
fn tty_ldisc_vmin0_vtime_deadline_from_start() {
    let mut ld = raw(0, 5);
    let mut st = ReadState::new(Nanos(10));
    assert_eq!(
        read(&mut ld, 4, 20, &mut st),
        ReadStatus::Wait(Wait::InputOrDeadline(Nanos(10 + 5 * DECISECOND)))
    );
    assert_eq!(
        read(&mut ld, 4, 10 + 5 * DECISECOND, &mut st),
        ReadStatus::Done(0)
    );
    let mut ld = raw(0, 0);
    assert_eq!(read(&mut ld, 4, 0, &mut st), ReadStatus::Done(0));
}

#[test]
fn tty_ldisc_canonical_waits_for_a_line() {
    let mut ld = LineDiscipline::default();
    let mut st = ReadState::new(Nanos(0));
    ld.receive(b"abc");
    assert_eq!(read(&mut ld, 10, 0, &mut st), ReadStatus::Wait(Wait::Input));
    assert!(!ld.poll_readable());
    ld.receive(b"\n");
    assert!(ld.poll_readable());
    assert_eq!(ld.inq(), 4);
    assert_eq!(read(&mut ld, 10, 0, &mut st), ReadStatus::Done(4));
}

#[test]
fn tty_ldisc_input_limits() {
    let mut ld = raw(1, 0);
    let data = vec![b'x'; 30_000];
    let n = ld.receive(&data);
    assert_eq!(n, INPUT_FLIP_LIMIT + N_TTY_BUF_SIZE - 1);
    assert_eq!(ld.inq(), N_TTY_BUF_SIZE - 1);
    assert_eq!(ld.input_room(), 0);
    assert_eq!(ld.receive(b"y"), 0);
    let mut st = ReadState::new(Nanos(0));
    assert_eq!(read(&mut ld, 5000, 0, &mut st), ReadStatus::Done(4095));
    // Pending input moved in.
    assert_eq!(ld.inq(), N_TTY_BUF_SIZE - 1);
    assert_eq!(ld.input_room(), N_TTY_BUF_SIZE - 1);
}

#[test]
fn tty_ldisc_output_limits() {
    let mut ld = LineDiscipline::default();
    let data = vec![b'x'; 30_000];
    assert_eq!(
        ld.write(&data),
        WriteStatus::Done(OUTPUT_READ_BUF + OUTPUT_FLIP_LIMIT)
    );
    assert_eq!(ld.write(b"y"), WriteStatus::Wait);
    assert!(!ld.poll_writable());
    let mut buf = vec![0u8; 10_000];
    assert_eq!(ld.take_output(&mut buf), OUTPUT_READ_BUF);
    assert!(ld.poll_writable());
    // ONLCR needs two bytes of room for a newline.
    let mut ld = LineDiscipline::default();
    ld.write(&data[..OUTPUT_READ_BUF + OUTPUT_FLIP_LIMIT - 1]);
    assert_eq!(ld.write(b"\n"), WriteStatus::Wait);
}

#[test]
fn tty_ldisc_stop_holds_output_and_echo() {
    let mut ld = LineDiscipline::default();
    ld.receive(b"\x13ab");
    assert_eq!(ld.write(b"out"), WriteStatus::Wait);
    assert_eq!(ld.output_readable(), 0);
    ld.receive(b"\x11");
    let mut buf = [0u8; 16];
    let n = ld.take_output(&mut buf);
    assert_eq!(&buf[..n], b"ab");
}

/// xorshift64*.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn tty_ldisc_never_panics() {
    let mut s = 0x1234_5678_9abc_def1u64;
    for _ in 0..300 {
        let mut t = KTermios::pty_default();
        t.c_iflag = next(&mut s) as u32;
        t.c_oflag = next(&mut s) as u32;
        t.c_cflag = next(&mut s) as u32 | cflag::CREAD;
        t.c_lflag = next(&mut s) as u32;
        for i in 0..NCCS {
            if next(&mut s) % 3 == 0 {
                t.c_cc[i] = next(&mut s) as u8;
            }
        }
        let mut ld = LineDiscipline::new(t);
        let mut st = ReadState::new(Nanos(0));
        for step in 0..40u64 {
            let len = (next(&mut s) % 300) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next(&mut s) as u8).collect();
            match next(&mut s) % 8 {
                0..=2 => {
                    ld.receive(&bytes);
                }
                3 => {
                    let mut buf = vec![0u8; len];
                    let _ = ld.read(&mut buf, Nanos(step * SEC), &mut st, next(&mut s) % 2 == 0);
                }
                4 => {
                    ld.write(&bytes);
                }
                5 => {
                    let mut buf = vec![0u8; len];
                    ld.take_output(&mut buf);
                }
                6 => {
                    let mut t2 = *ld.termios();
                    t2.c_lflag ^= next(&mut s) as u32;
                    t2.c_iflag ^= next(&mut s) as u32 & (iflag::IXON | iflag::IUTF8);
                    t2.c_oflag ^= next(&mut s) as u32 & (oflag::OPOST | oflag::XTABS);
                    ld.set_termios(t2);
                }
                _ => match next(&mut s) % 4 {
                    0 => ld.flush_input(),
                    1 => ld.flush_output(),
                    2 => ld.tco_stop(),
                    _ => ld.tco_start(),
                },
            }
            assert!(ld.read_buf.len() <= N_TTY_BUF_SIZE);
            assert!(ld.out.len() <= OUTPUT_READ_BUF + OUTPUT_FLIP_LIMIT);
        }
    }
}
