//! Memory images of the x87 state: the 28-byte 32-bit protected-mode environment of
//! FNSTENV/FLDENV, the 108-byte FNSAVE/FRSTOR image, and the x87 part of the 512-byte
//! FXSAVE/FXRSTOR area. Each layout is a `#[repr(C)]` type with a size assertion; this module
//! converts between those and `X87State`. The MXCSR and XMM parts of the FXSAVE area belong
//! to the SSE unit and are left untouched. Real-mode and 16-bit layouts are not provided
//! (Linux guests run in 32-bit protected mode).

use super::float80::F80;
use super::state::X87State;

/// The FNSTENV/FLDENV environment in 32-bit protected mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct ProtectedModeEnv {
    /// Control word.
    pub fcw: u16,
    /// Reserved (stored as all ones).
    pub reserved_cw: u16,
    /// Status word.
    pub fsw: u16,
    /// Reserved (stored as all ones).
    pub reserved_sw: u16,
    /// Full tag word.
    pub ftw: u16,
    /// Reserved (stored as all ones).
    pub reserved_tw: u16,
    /// Last instruction offset.
    pub fip: u32,
    /// Last instruction code segment selector.
    pub fcs: u16,
    /// Last opcode in bits 0..=10.
    pub fop: u16,
    /// Last data offset.
    pub fdp: u32,
    /// Last data segment selector.
    pub fds: u16,
    /// Reserved (stored as all ones).
    pub reserved_ds: u16,
}

const _: () = assert!(core::mem::size_of::<ProtectedModeEnv>() == 28);

/// The FNSAVE/FRSTOR image: environment plus ST(0)..ST(7) in stack order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct SaveImage {
    /// The environment.
    pub env: ProtectedModeEnv,
    /// ST(0)..ST(7), 10 bytes each.
    pub st: [[u8; 10]; 8],
}

const _: () = assert!(core::mem::size_of::<SaveImage>() == 108);

/// The first 160 bytes of the FXSAVE area (legacy/32-bit form).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct FxsaveHeader {
    /// Control word.
    pub fcw: u16,
    /// Status word.
    pub fsw: u16,
    /// Abridged tag: bit i set means physical register i is not empty.
    pub ftw: u8,
    /// Reserved.
    pub reserved0: u8,
    /// Last opcode.
    pub fop: u16,
    /// Last instruction offset.
    pub fip: u32,
    /// Last instruction selector.
    pub fcs: u16,
    /// Reserved.
    pub reserved1: u16,
    /// Last data offset.
    pub fdp: u32,
    /// Last data selector.
    pub fds: u16,
    /// Reserved.
    pub reserved2: u16,
    /// MXCSR (owned by the SSE unit).
    pub mxcsr: u32,
    /// MXCSR mask (owned by the SSE unit).
    pub mxcsr_mask: u32,
    /// ST(0)..ST(7) (or MM0..MM7), 10 bytes each plus 6 reserved.
    pub st: [[u8; 16]; 8],
}

const _: () = assert!(core::mem::size_of::<FxsaveHeader>() == 160);

/// Little-endian field writer/reader over a byte slice, in declaration order.
struct Cursor<'a> {
    bytes: &'a mut [u8],
    at: usize,
}

impl Cursor<'_> {
    fn put(&mut self, field: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(self.at..self.at + field.len()) {
            dst.copy_from_slice(field);
        }
        self.at += field.len();
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.bytes.get(self.at..self.at + N) {
            out.copy_from_slice(src);
        }
        self.at += N;
        out
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
}

impl ProtectedModeEnv {
    /// The memory bytes.
    pub fn to_bytes(&self) -> [u8; 28] {
        let mut out = [0u8; 28];
        let mut c = Cursor {
            bytes: &mut out,
            at: 0,
        };
        for half in [
            self.fcw,
            self.reserved_cw,
            self.fsw,
            self.reserved_sw,
            self.ftw,
            self.reserved_tw,
        ] {
            c.put(&half.to_le_bytes());
        }
        c.put(&self.fip.to_le_bytes());
        c.put(&self.fcs.to_le_bytes());
        c.put(&self.fop.to_le_bytes());
        c.put(&self.fdp.to_le_bytes());
        c.put(&self.fds.to_le_bytes());
        c.put(&self.reserved_ds.to_le_bytes());
        out
    }

    /// Parses the memory bytes.
    pub fn from_bytes(bytes: &[u8; 28]) -> ProtectedModeEnv {
        let mut r = Reader { bytes, at: 0 };
        ProtectedModeEnv {
            fcw: r.u16(),
            reserved_cw: r.u16(),
            fsw: r.u16(),
            reserved_sw: r.u16(),
            ftw: r.u16(),
            reserved_tw: r.u16(),
            fip: r.u32(),
            fcs: r.u16(),
            fop: r.u16(),
            fdp: r.u32(),
            fds: r.u16(),
            reserved_ds: r.u16(),
        }
    }
}

impl SaveImage {
    /// The memory bytes.
    pub fn to_bytes(&self) -> [u8; 108] {
        let mut out = [0u8; 108];
        out[..28].copy_from_slice(&self.env.to_bytes());
        for (i, reg) in self.st.iter().enumerate() {
            out[28 + 10 * i..38 + 10 * i].copy_from_slice(reg);
        }
        out
    }

    /// Parses the memory bytes.
    pub fn from_bytes(bytes: &[u8; 108]) -> SaveImage {
        let mut env = [0u8; 28];
        env.copy_from_slice(&bytes[..28]);
        let mut r = Reader {
            bytes: &bytes[28..],
            at: 0,
        };
        SaveImage {
            env: ProtectedModeEnv::from_bytes(&env),
            st: core::array::from_fn(|_| r.take()),
        }
    }
}

impl FxsaveHeader {
    /// Writes the x87 fields into the first 160 bytes of `area`, leaving MXCSR and
    /// MXCSR_MASK (bytes 24..32) as they are.
    pub fn write_x87(&self, area: &mut [u8; 512]) {
        let mut c = Cursor {
            bytes: &mut area[..],
            at: 0,
        };
        c.put(&self.fcw.to_le_bytes());
        c.put(&self.fsw.to_le_bytes());
        c.put(&[self.ftw, self.reserved0]);
        c.put(&self.fop.to_le_bytes());
        c.put(&self.fip.to_le_bytes());
        c.put(&self.fcs.to_le_bytes());
        c.put(&self.reserved1.to_le_bytes());
        c.put(&self.fdp.to_le_bytes());
        c.put(&self.fds.to_le_bytes());
        c.put(&self.reserved2.to_le_bytes());
        c.at = 32;
        for reg in &self.st {
            c.put(reg);
        }
    }

    /// Reads the header from an FXSAVE area.
    pub fn read(area: &[u8; 512]) -> FxsaveHeader {
        let mut r = Reader {
            bytes: &area[..],
            at: 0,
        };
        FxsaveHeader {
            fcw: r.u16(),
            fsw: r.u16(),
            ftw: r.take::<1>()[0],
            reserved0: r.take::<1>()[0],
            fop: r.u16(),
            fip: r.u32(),
            fcs: r.u16(),
            reserved1: r.u16(),
            fdp: r.u32(),
            fds: r.u16(),
            reserved2: r.u16(),
            mxcsr: r.u32(),
            mxcsr_mask: r.u32(),
            st: core::array::from_fn(|_| r.take()),
        }
    }
}

impl X87State {
    fn environment(&self) -> ProtectedModeEnv {
        ProtectedModeEnv {
            fcw: self.control,
            reserved_cw: 0xFFFF,
            fsw: self.status_word(),
            reserved_sw: 0xFFFF,
            ftw: self.tag_word(),
            reserved_tw: 0xFFFF,
            fip: self.last_ip,
            fcs: self.last_cs,
            fop: self.last_opcode & 0x7FF,
            fdp: self.last_dp,
            fds: self.last_ds,
            reserved_ds: 0xFFFF,
        }
    }

    fn load_environment(&mut self, env: &ProtectedModeEnv) {
        self.control = super::state::control_word_as_stored(env.fcw);
        self.set_status_word(env.fsw);
        self.set_tag_word(env.ftw);
        self.last_ip = env.fip;
        self.last_cs = env.fcs;
        self.last_opcode = env.fop & 0x7FF;
        self.last_dp = env.fdp;
        self.last_ds = env.fds;
    }

    /// The 28-byte environment image without FNSTENV's side effect (for the kernel's
    /// signal frames and debuggers).
    pub fn environment_image(&self) -> [u8; 28] {
        self.environment().to_bytes()
    }

    /// The 108-byte FSAVE image without FNSAVE's reinitialisation (for signal frames).
    pub fn save_image(&self) -> [u8; 108] {
        SaveImage {
            env: self.environment(),
            st: core::array::from_fn(|i| self.st(i).to_bytes()),
        }
        .to_bytes()
    }

    /// FNSTENV: returns the 28-byte environment, then masks all exceptions.
    pub fn fnstenv(&mut self) -> [u8; 28] {
        let bytes = self.environment_image();
        self.control |= 0x003F;
        bytes
    }

    /// FLDENV.
    pub fn fldenv(&mut self, bytes: &[u8; 28]) {
        self.load_environment(&ProtectedModeEnv::from_bytes(bytes));
    }

    /// FNSAVE: returns the 108-byte image, then reinitialises the FPU like FNINIT.
    pub fn fnsave(&mut self) -> [u8; 108] {
        let image = self.save_image();
        self.fninit();
        image
    }

    /// FRSTOR.
    pub fn frstor(&mut self, bytes: &[u8; 108]) {
        let image = SaveImage::from_bytes(bytes);
        self.load_environment(&image.env);
        let top = self.top as usize;
        for (i, reg) in image.st.iter().enumerate() {
            self.regs[(top + i) & 7] = F80::from_bytes(*reg);
        }
    }

    /// FXSAVE: writes the x87 part (bytes 0..24 and 32..160) of the 512-byte area.
    pub fn fxsave(&self, area: &mut [u8; 512]) {
        let mut st = [[0u8; 16]; 8];
        for (i, slot) in st.iter_mut().enumerate() {
            slot[..10].copy_from_slice(&self.st(i).to_bytes());
        }
        let header = FxsaveHeader {
            fcw: self.control,
            fsw: self.status_word(),
            ftw: self.nonempty,
            reserved0: 0,
            fop: self.last_opcode & 0x7FF,
            fip: self.last_ip,
            fcs: self.last_cs,
            reserved1: 0,
            fdp: self.last_dp,
            fds: self.last_ds,
            reserved2: 0,
            mxcsr: 0,
            mxcsr_mask: 0,
            st,
        };
        header.write_x87(area);
    }

    /// FXRSTOR: loads the x87 part of the 512-byte area.
    pub fn fxrstor(&mut self, area: &[u8; 512]) {
        let h = FxsaveHeader::read(area);
        self.control = super::state::control_word_as_stored(h.fcw);
        self.set_status_word(h.fsw);
        self.nonempty = h.ftw;
        self.last_opcode = h.fop & 0x7FF;
        self.last_ip = h.fip;
        self.last_cs = h.fcs;
        self.last_dp = h.fdp;
        self.last_ds = h.fds;
        let top = self.top as usize;
        for (i, slot) in h.st.iter().enumerate() {
            let mut reg = [0u8; 10];
            reg.copy_from_slice(&slot[..10]);
            self.regs[(top + i) & 7] = F80::from_bytes(reg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x87_fsave_frstor_round_trip() {
        let mut s = X87State::new();
        s.fild(3);
        s.fld_constant(super::super::state::Constant::Pi);
        s.fldcw(0x0F7F);
        let copy = s;
        let image = s.fnsave();
        assert_eq!(s, X87State::new());
        s.frstor(&image);
        assert_eq!(s.status_word(), copy.status_word());
        assert_eq!(s.tag_word(), copy.tag_word());
        assert_eq!(s.st(0), copy.st(0));
        assert_eq!(s.st(1), copy.st(1));
        assert_eq!(s.control, copy.control);
    }

    #[test]
    fn x87_fxsave_keeps_mxcsr() {
        let mut s = X87State::new();
        s.fild(-7);
        let mut area = [0u8; 512];
        area[24] = 0x80;
        area[25] = 0x1F;
        s.fxsave(&mut area);
        assert_eq!(&area[24..26], &[0x80, 0x1F]);
        assert_eq!(area[4], 0x80); // physical register 7 holds ST(0)
        let mut t = X87State::new();
        t.fxrstor(&area);
        assert_eq!(t.st(0), s.st(0));
        assert_eq!(t.top, 7);
    }
}
