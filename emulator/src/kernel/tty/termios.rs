//! Terminal attributes as the i386 Linux ABI defines them.
//!
//! Owns the guest-visible layouts (`struct termios`, `struct termios2`, the old
//! `struct termio`, `struct winsize`), every flag and control-character constant, the
//! defaults a fresh Linux pty starts with, and the conversions from and to guest bytes.
//! It holds no behaviour: what the flags mean is the line discipline's business.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Number of control characters in `struct termios` on i386 (`NCCS`).
pub const NCCS: usize = 19;
/// Number of control characters in the old `struct termio` (`NCC`).
pub const NCC: usize = 8;

/// `c_cc` indices.
pub mod cc {
    pub const VINTR: usize = 0;
    pub const VQUIT: usize = 1;
    pub const VERASE: usize = 2;
    pub const VKILL: usize = 3;
    pub const VEOF: usize = 4;
    pub const VTIME: usize = 5;
    pub const VMIN: usize = 6;
    pub const VSWTC: usize = 7;
    pub const VSTART: usize = 8;
    pub const VSTOP: usize = 9;
    pub const VSUSP: usize = 10;
    pub const VEOL: usize = 11;
    pub const VREPRINT: usize = 12;
    pub const VDISCARD: usize = 13;
    pub const VWERASE: usize = 14;
    pub const VLNEXT: usize = 15;
    pub const VEOL2: usize = 16;
    /// The value that disables a control character (`_POSIX_VDISABLE`).
    pub const VDISABLE: u8 = 0;
}

/// `c_iflag` bits.
pub mod iflag {
    pub const IGNBRK: u32 = 0o1;
    pub const BRKINT: u32 = 0o2;
    pub const IGNPAR: u32 = 0o4;
    pub const PARMRK: u32 = 0o10;
    pub const INPCK: u32 = 0o20;
    pub const ISTRIP: u32 = 0o40;
    pub const INLCR: u32 = 0o100;
    pub const IGNCR: u32 = 0o200;
    pub const ICRNL: u32 = 0o400;
    pub const IUCLC: u32 = 0o1000;
    pub const IXON: u32 = 0o2000;
    pub const IXANY: u32 = 0o4000;
    pub const IXOFF: u32 = 0o10000;
    pub const IMAXBEL: u32 = 0o20000;
    pub const IUTF8: u32 = 0o40000;
}

/// `c_oflag` bits.
pub mod oflag {
    pub const OPOST: u32 = 0o1;
    pub const OLCUC: u32 = 0o2;
    pub const ONLCR: u32 = 0o4;
    pub const OCRNL: u32 = 0o10;
    pub const ONOCR: u32 = 0o20;
    pub const ONLRET: u32 = 0o40;
    pub const OFILL: u32 = 0o100;
    pub const OFDEL: u32 = 0o200;
    pub const NLDLY: u32 = 0o400;
    pub const NL0: u32 = 0;
    pub const NL1: u32 = 0o400;
    pub const CRDLY: u32 = 0o3000;
    pub const CR0: u32 = 0;
    pub const CR1: u32 = 0o1000;
    pub const CR2: u32 = 0o2000;
    pub const CR3: u32 = 0o3000;
    pub const TABDLY: u32 = 0o14000;
    pub const TAB0: u32 = 0;
    pub const TAB1: u32 = 0o4000;
    pub const TAB2: u32 = 0o10000;
    pub const TAB3: u32 = 0o14000;
    /// Expand tabs to spaces on output (same value as `TAB3`).
    pub const XTABS: u32 = 0o14000;
    pub const BSDLY: u32 = 0o20000;
    pub const VTDLY: u32 = 0o40000;
    pub const FFDLY: u32 = 0o100000;
}

/// `c_cflag` bits and baud rates.
pub mod cflag {
    pub const CBAUD: u32 = 0o10017;
    pub const B0: u32 = 0;
    pub const B50: u32 = 0o1;
    pub const B75: u32 = 0o2;
    pub const B110: u32 = 0o3;
    pub const B134: u32 = 0o4;
    pub const B150: u32 = 0o5;
    pub const B200: u32 = 0o6;
    pub const B300: u32 = 0o7;
    pub const B600: u32 = 0o10;
    pub const B1200: u32 = 0o11;
    pub const B1800: u32 = 0o12;
    pub const B2400: u32 = 0o13;
    pub const B4800: u32 = 0o14;
    pub const B9600: u32 = 0o15;
    pub const B19200: u32 = 0o16;
    pub const B38400: u32 = 0o17;
    pub const CSIZE: u32 = 0o60;
    pub const CS5: u32 = 0;
    pub const CS6: u32 = 0o20;
    pub const CS7: u32 = 0o40;
    pub const CS8: u32 = 0o60;
    pub const CSTOPB: u32 = 0o100;
    pub const CREAD: u32 = 0o200;
    pub const PARENB: u32 = 0o400;
    pub const PARODD: u32 = 0o1000;
    pub const HUPCL: u32 = 0o2000;
    pub const CLOCAL: u32 = 0o4000;
    pub const CBAUDEX: u32 = 0o10000;
    /// `termios2`: the speed is in `c_ispeed`/`c_ospeed`.
    pub const BOTHER: u32 = 0o10000;
    pub const B57600: u32 = 0o10001;
    pub const B115200: u32 = 0o10002;
    pub const B230400: u32 = 0o10003;
    pub const B460800: u32 = 0o10004;
    pub const B500000: u32 = 0o10005;
    pub const B576000: u32 = 0o10006;
    pub const B921600: u32 = 0o10007;
    pub const B1000000: u32 = 0o10010;
    pub const B1152000: u32 = 0o10011;
    pub const B1500000: u32 = 0o10012;
    pub const B2000000: u32 = 0o10013;
    pub const B2500000: u32 = 0o10014;
    pub const B3000000: u32 = 0o10015;
    pub const B3500000: u32 = 0o10016;
    pub const B4000000: u32 = 0o10017;
    /// Input baud rate (shifted by `IBSHIFT`).
    pub const CIBAUD: u32 = 0o2003600000;
    pub const IBSHIFT: u32 = 16;
    pub const CMSPAR: u32 = 0o10000000000;
    pub const CRTSCTS: u32 = 0o20000000000;
}

/// `c_lflag` bits.
pub mod lflag {
    pub const ISIG: u32 = 0o1;
    pub const ICANON: u32 = 0o2;
    pub const XCASE: u32 = 0o4;
    pub const ECHO: u32 = 0o10;
    pub const ECHOE: u32 = 0o20;
    pub const ECHOK: u32 = 0o40;
    pub const ECHONL: u32 = 0o100;
    pub const NOFLSH: u32 = 0o200;
    pub const TOSTOP: u32 = 0o400;
    pub const ECHOCTL: u32 = 0o1000;
    pub const ECHOPRT: u32 = 0o2000;
    pub const ECHOKE: u32 = 0o4000;
    pub const FLUSHO: u32 = 0o10000;
    pub const PENDIN: u32 = 0o40000;
    pub const IEXTEN: u32 = 0o100000;
    pub const EXTPROC: u32 = 0o200000;
}

/// The i386 `struct termios` (`TCGETS`/`TCSETS*`): 36 bytes, no speed fields.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

/// The i386 `struct termios2` (`TCGETS2`/`TCSETS2*`), which is also the kernel's own
/// `struct ktermios`: [`Termios`] plus input and output speeds. 44 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Termios2 {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
    pub c_ispeed: u32,
    pub c_ospeed: u32,
}

/// The kernel keeps a terminal's attributes as a `ktermios`, which is `termios2`.
pub type KTermios = Termios2;

/// The old System V `struct termio` (`TCGETA`/`TCSETA*`): 16-bit flags, 8 control
/// characters. 18 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Termio {
    pub c_iflag: u16,
    pub c_oflag: u16,
    pub c_cflag: u16,
    pub c_lflag: u16,
    pub c_line: u8,
    pub c_cc: [u8; NCC],
    pub _pad: u8,
}

/// `struct winsize` (`TIOCGWINSZ`/`TIOCSWINSZ`). 8 bytes.
#[repr(C)]
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

const _: () = assert!(core::mem::size_of::<Termios>() == 36);
const _: () = assert!(core::mem::size_of::<Termios2>() == 44);
const _: () = assert!(core::mem::size_of::<Termio>() == 18);
const _: () = assert!(core::mem::size_of::<Winsize>() == 8);

/// The control characters of a fresh Linux pty (`INIT_C_CC`), checked against a native
/// pty: `^C ^\ ^? ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0 0 0`.
pub const DEFAULT_CC: [u8; NCCS] = [
    3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
];

/// Little-endian guest bytes to a host value and back: the guest is i386, so every
/// multi-byte field is little-endian whatever the host is.
fn le32(v: u32) -> u32 {
    u32::from_le(v)
}

fn le16(v: u16) -> u16 {
    u16::from_le(v)
}

impl Termios2 {
    /// The attributes of a freshly opened Linux pty slave: `ICRNL IXON`, `OPOST ONLCR`,
    /// `B38400 CS8 CREAD`, `ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN`, 38400 baud.
    pub fn pty_default() -> Self {
        Termios2 {
            c_iflag: iflag::ICRNL | iflag::IXON,
            c_oflag: oflag::OPOST | oflag::ONLCR,
            c_cflag: cflag::B38400 | cflag::CS8 | cflag::CREAD,
            c_lflag: lflag::ISIG
                | lflag::ICANON
                | lflag::ECHO
                | lflag::ECHOE
                | lflag::ECHOK
                | lflag::ECHOCTL
                | lflag::ECHOKE
                | lflag::IEXTEN,
            c_line: 0,
            c_cc: DEFAULT_CC,
            c_ispeed: 38400,
            c_ospeed: 38400,
        }
    }

    /// Reads a `termios2` from guest bytes; `None` if `bytes` is too short.
    pub fn from_guest_bytes(bytes: &[u8]) -> Option<Self> {
        let (t, _) = Termios2::read_from_prefix(bytes).ok()?;
        Some(t.swap_le())
    }

    /// The guest bytes of this `termios2`.
    pub fn to_guest_bytes(&self) -> Vec<u8> {
        self.swap_le().as_bytes().to_vec()
    }

    fn swap_le(mut self) -> Self {
        self.c_iflag = le32(self.c_iflag);
        self.c_oflag = le32(self.c_oflag);
        self.c_cflag = le32(self.c_cflag);
        self.c_lflag = le32(self.c_lflag);
        self.c_ispeed = le32(self.c_ispeed);
        self.c_ospeed = le32(self.c_ospeed);
        self
    }

    /// The `struct termios` view (speeds dropped).
    pub fn to_termios(&self) -> Termios {
        Termios {
            c_iflag: self.c_iflag,
            c_oflag: self.c_oflag,
            c_cflag: self.c_cflag,
            c_lflag: self.c_lflag,
            c_line: self.c_line,
            c_cc: self.c_cc,
        }
    }

    /// Applies a `struct termios` as `TCSETS` does: the speeds follow the baud bits
    /// of `c_cflag`.
    pub fn set_from_termios(&mut self, t: &Termios) {
        self.c_iflag = t.c_iflag;
        self.c_oflag = t.c_oflag;
        self.c_cflag = t.c_cflag;
        self.c_lflag = t.c_lflag;
        self.c_line = t.c_line;
        self.c_cc = t.c_cc;
        self.c_ospeed = baud_to_speed(t.c_cflag & cflag::CBAUD).unwrap_or(self.c_ospeed);
        let ibaud = (t.c_cflag & cflag::CIBAUD) >> cflag::IBSHIFT;
        self.c_ispeed = if ibaud == 0 {
            self.c_ospeed
        } else {
            baud_to_speed(ibaud).unwrap_or(self.c_ispeed)
        };
    }

    /// The `struct termio` view (flags truncated to 16 bits, 8 control characters).
    pub fn to_termio(&self) -> Termio {
        let mut c_cc = [0u8; NCC];
        c_cc.copy_from_slice(&self.c_cc[..NCC]);
        Termio {
            c_iflag: self.c_iflag as u16,
            c_oflag: self.c_oflag as u16,
            c_cflag: self.c_cflag as u16,
            c_lflag: self.c_lflag as u16,
            c_line: self.c_line,
            c_cc,
            _pad: 0,
        }
    }

    /// Applies a `struct termio` as `TCSETA` does: only the low 16 bits of each flag word
    /// and the first 8 control characters change.
    pub fn set_from_termio(&mut self, t: &Termio) {
        fn low(old: u32, new: u16) -> u32 {
            (old & 0xffff_0000) | u32::from(new)
        }
        let mut tios = self.to_termios();
        tios.c_iflag = low(self.c_iflag, t.c_iflag);
        tios.c_oflag = low(self.c_oflag, t.c_oflag);
        tios.c_cflag = low(self.c_cflag, t.c_cflag);
        tios.c_lflag = low(self.c_lflag, t.c_lflag);
        tios.c_line = t.c_line;
        tios.c_cc[..NCC].copy_from_slice(&t.c_cc);
        self.set_from_termios(&tios);
    }

    /// Whether an `iflag` bit is set.
    pub fn i(&self, bit: u32) -> bool {
        self.c_iflag & bit != 0
    }
    /// Whether an `oflag` bit is set.
    pub fn o(&self, bit: u32) -> bool {
        self.c_oflag & bit != 0
    }
    /// Whether an `lflag` bit is set.
    pub fn l(&self, bit: u32) -> bool {
        self.c_lflag & bit != 0
    }
    /// A control character.
    pub fn cc(&self, index: usize) -> u8 {
        self.c_cc.get(index).copied().unwrap_or(cc::VDISABLE)
    }
}

impl Default for Termios2 {
    fn default() -> Self {
        Self::pty_default()
    }
}

impl Termios {
    /// Reads a `termios` from guest bytes; `None` if `bytes` is too short.
    pub fn from_guest_bytes(bytes: &[u8]) -> Option<Self> {
        let (mut t, _) = Termios::read_from_prefix(bytes).ok()?;
        t.c_iflag = le32(t.c_iflag);
        t.c_oflag = le32(t.c_oflag);
        t.c_cflag = le32(t.c_cflag);
        t.c_lflag = le32(t.c_lflag);
        Some(t)
    }

    /// The guest bytes of this `termios`.
    pub fn to_guest_bytes(&self) -> Vec<u8> {
        let mut t = *self;
        t.c_iflag = t.c_iflag.to_le();
        t.c_oflag = t.c_oflag.to_le();
        t.c_cflag = t.c_cflag.to_le();
        t.c_lflag = t.c_lflag.to_le();
        t.as_bytes().to_vec()
    }
}

impl Termio {
    /// Reads a `termio` from guest bytes; `None` if `bytes` is too short.
    pub fn from_guest_bytes(bytes: &[u8]) -> Option<Self> {
        let (mut t, _) = Termio::read_from_prefix(bytes).ok()?;
        t.c_iflag = le16(t.c_iflag);
        t.c_oflag = le16(t.c_oflag);
        t.c_cflag = le16(t.c_cflag);
        t.c_lflag = le16(t.c_lflag);
        Some(t)
    }

    /// The guest bytes of this `termio`.
    pub fn to_guest_bytes(&self) -> Vec<u8> {
        let mut t = *self;
        t.c_iflag = t.c_iflag.to_le();
        t.c_oflag = t.c_oflag.to_le();
        t.c_cflag = t.c_cflag.to_le();
        t.c_lflag = t.c_lflag.to_le();
        t.as_bytes().to_vec()
    }
}

impl Winsize {
    /// Reads a `winsize` from guest bytes; `None` if `bytes` is too short.
    pub fn from_guest_bytes(bytes: &[u8]) -> Option<Self> {
        let (mut w, _) = Winsize::read_from_prefix(bytes).ok()?;
        w.ws_row = le16(w.ws_row);
        w.ws_col = le16(w.ws_col);
        w.ws_xpixel = le16(w.ws_xpixel);
        w.ws_ypixel = le16(w.ws_ypixel);
        Some(w)
    }

    /// The guest bytes of this `winsize`.
    pub fn to_guest_bytes(&self) -> Vec<u8> {
        let mut w = *self;
        w.ws_row = w.ws_row.to_le();
        w.ws_col = w.ws_col.to_le();
        w.ws_xpixel = w.ws_xpixel.to_le();
        w.ws_ypixel = w.ws_ypixel.to_le();
        w.as_bytes().to_vec()
    }
}

/// The speed in bits per second that a `CBAUD` code stands for (`None` for `BOTHER`
/// and for codes Linux does not define).
pub fn baud_to_speed(code: u32) -> Option<u32> {
    const LOW: [u32; 16] = [
        0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
    ];
    const HIGH: [u32; 16] = [
        0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000,
        2000000, 2500000, 3000000, 3500000, 4000000,
    ];
    if code & cflag::CBAUDEX == 0 {
        LOW.get((code & 0o17) as usize).copied()
    } else {
        match code & 0o17 {
            0 => None,
            n => HIGH.get(n as usize).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tty_termios_layouts_round_trip() {
        let t = Termios2::pty_default();
        let bytes = t.to_guest_bytes();
        assert_eq!(bytes.len(), 44);
        assert_eq!(Termios2::from_guest_bytes(&bytes), Some(t));
        assert_eq!(&bytes[0..4], &0o2400u32.to_le_bytes());
        assert_eq!(bytes[16], 0, "c_line");
        assert_eq!(&bytes[17..36], &DEFAULT_CC);
        assert_eq!(&bytes[36..40], &38400u32.to_le_bytes());
        let small = t.to_termios().to_guest_bytes();
        assert_eq!(small.len(), 36);
        assert_eq!(&small[..], &bytes[..36]);
        assert!(Termios2::from_guest_bytes(&bytes[..43]).is_none());
        let w = Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 1,
            ws_ypixel: 2,
        };
        assert_eq!(Winsize::from_guest_bytes(&w.to_guest_bytes()), Some(w));
    }

    #[test]
    fn tty_termios_speeds_follow_cbaud() {
        let mut t = Termios2::pty_default();
        let mut small = t.to_termios();
        small.c_cflag = (small.c_cflag & !cflag::CBAUD) | cflag::B9600;
        t.set_from_termios(&small);
        assert_eq!((t.c_ispeed, t.c_ospeed), (9600, 9600));
        let mut old = t.to_termio();
        old.c_lflag &= !(lflag::ICANON as u16);
        t.set_from_termio(&old);
        assert!(!t.l(lflag::ICANON));
        assert_eq!(baud_to_speed(cflag::B115200), Some(115200));
        assert_eq!(baud_to_speed(cflag::BOTHER), None);
    }
}
