//! Seeded random byte streams under random attributes, against the native pty.

use super::*;
use crate::kernel::tty::termios::{cc, iflag, lflag, oflag, Termios2};

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
    if rng.chance(15) {
        // Shuffle the special characters over a small pool, so that one byte often has
        // two jobs (or none) and the precedence between them shows.
        const POOL: &[u8] = b"\x00\x03\x04\x08\x0a\x0d\x11\x13\x15\x16\x17\x1a\x7f;#";
        for i in [
            cc::VINTR,
            cc::VQUIT,
            cc::VERASE,
            cc::VKILL,
            cc::VEOF,
            cc::VEOL,
            cc::VEOL2,
            cc::VSTART,
            cc::VSTOP,
            cc::VSUSP,
            cc::VREPRINT,
            cc::VWERASE,
            cc::VLNEXT,
        ] {
            t.c_cc[i] = POOL[rng.below(POOL.len() as u64) as usize];
        }
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
    let mut cut_short = 0;
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
                8 if rng.chance(75) => ops.push(Op::Set(random_termios(&mut rng))),
                8 => ops.push(Op::SetFlush(random_termios(&mut rng))),
                _ if rng.chance(50) => ops.push(Op::Flush(rng.below(3) as u32)),
                _ => ops.push(Op::MasterFlush(rng.below(3) as u32)),
            }
        }
        ops.push(Op::Read(200));
        if check(&format!("random case {case} (seed {seed})"), &t, &ops) {
            cut_short += 1;
        }
    }
    eprintln!("{cut_short} of {cases} random cases ended early at a racy flush");
    // Racy flushes end a case early; they must stay rare or the test loses its power.
    assert!(
        cut_short * 4 <= cases,
        "{cut_short} of {cases} cases ended at a racy flush"
    );
}
