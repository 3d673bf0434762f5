//! Line editing, echo, CR/NL mapping, output processing and buffer limits against
//! the native pty.

use super::*;
use crate::kernel::tty::termios::{cc, iflag, lflag, oflag, Termios2};

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

#[test]
fn tty_native_echo_commit_watermark() {
    // Linux prints echoes mid-batch once 256 bytes of them accumulate, so a ^S late in
    // a long burst holds only the rest; ^C then drops what is held.
    let t = Termios2::pty_default();
    let mut burst = vec![b'e'; 300];
    burst.push(0x13);
    let mut ctl_burst = vec![0x01; 200];
    ctl_burst.push(0x13);
    check(
        "watermark",
        &t,
        &[
            Op::Input(burst),
            input(b"\x03"),
            Op::Input(ctl_burst),
            input(b"\x11"),
            input(b"\x03"),
        ],
    );
}
