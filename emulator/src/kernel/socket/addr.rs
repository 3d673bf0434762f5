//! `struct sockaddr_un` as the guest passes it: a filesystem name (the bytes up to the
//! first NUL) or an abstract name (a leading NUL, then every byte of the given length).

use crate::kernel::errno::{Errno, KResult};

pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
/// `offsetof(struct sockaddr_un, sun_path)`.
pub const PATH_OFFSET: usize = 2;
/// `sizeof(struct sockaddr_un)`.
pub const SOCKADDR_UN_LEN: usize = 110;
/// `sizeof(struct sockaddr_storage)`: the most a syscall copies in.
pub const SOCKADDR_STORAGE_LEN: usize = 128;

/// A bound or looked-up AF_UNIX name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnixAddr {
    /// A filesystem name, as given (relative names stay relative), without its NUL.
    Path(Vec<u8>),
    /// An abstract name: the bytes after the leading NUL.
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// Parses the `len` bytes of a `sockaddr_un` for `connect`, `sendto` and `bind`
    /// (`unix_validate_addr`, `unix_mkname_bsd`).
    pub fn parse(raw: &[u8]) -> KResult<UnixAddr> {
        if raw.len() <= PATH_OFFSET || raw.len() > SOCKADDR_UN_LEN {
            return Err(Errno::EINVAL);
        }
        if u16::from_le_bytes([raw[0], raw[1]]) != AF_UNIX {
            return Err(Errno::EINVAL);
        }
        let path = &raw[PATH_OFFSET..];
        if path[0] == 0 {
            return Ok(UnixAddr::Abstract(path[1..].to_vec()));
        }
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        Ok(UnixAddr::Path(path[..end].to_vec()))
    }

    /// The `sockaddr_un` bytes `getsockname` and friends report (its length is the
    /// length Linux reports: a path's includes its NUL).
    pub fn to_sockaddr(&self) -> Vec<u8> {
        let mut out = AF_UNIX.to_le_bytes().to_vec();
        match self {
            UnixAddr::Path(p) => {
                out.extend_from_slice(p);
                out.push(0);
            }
            UnixAddr::Abstract(name) => {
                out.push(0);
                out.extend_from_slice(name);
            }
        }
        out
    }
}

/// The address of an unnamed socket: the family alone.
pub fn unnamed() -> Vec<u8> {
    AF_UNIX.to_le_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(path: &[u8]) -> Vec<u8> {
        let mut v = vec![1, 0];
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn path_names_stop_at_the_nul_and_report_it() {
        let a = UnixAddr::parse(&raw(b"/tmp/s\0garbage")).unwrap();
        assert_eq!(a, UnixAddr::Path(b"/tmp/s".to_vec()));
        assert_eq!(a.to_sockaddr().len(), 2 + 6 + 1);
        // A full 108-byte path without a NUL is still a name.
        let long = raw(&[b'a'; 108]);
        assert_eq!(
            UnixAddr::parse(&long).unwrap(),
            UnixAddr::Path(vec![b'a'; 108])
        );
    }

    #[test]
    fn abstract_names_keep_every_byte() {
        let a = UnixAddr::parse(&raw(b"\0name\0x")).unwrap();
        assert_eq!(a, UnixAddr::Abstract(b"name\0x".to_vec()));
        assert_eq!(a.to_sockaddr(), raw(b"\0name\0x"));
    }

    #[test]
    fn bad_lengths_and_families_are_einval() {
        assert_eq!(UnixAddr::parse(&[1, 0]), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&raw(&[b'a'; 109])), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&[2, 0, b'x']), Err(Errno::EINVAL));
    }
}
