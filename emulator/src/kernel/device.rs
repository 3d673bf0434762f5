//! Character devices by device number: what opening a device node (in devfs or on the
//! ext2 root) gives. Memory devices (`null`, `zero`, `full`, `random`, `urandom`) and the
//! console (`tty`, `console`, and the host streams of the first process) until the tty
//! work lands with real terminals.

use super::errno::{Errno, KResult};

/// An open character device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharDevice {
    Null,
    Zero,
    Full,
    Random,
    /// The host's standard input (read side of the console).
    ConsoleIn,
    /// The host's standard output.
    ConsoleOut,
    /// The host's standard error.
    ConsoleErr,
    /// `/dev/tty`, `/dev/console`: reads from stdin, writes to stdout.
    Console,
}

impl CharDevice {
    /// The device a node with `(major, minor)` opens.
    pub fn from_rdev(rdev: (u32, u32)) -> KResult<CharDevice> {
        Ok(match rdev {
            (1, 3) => CharDevice::Null,
            (1, 5) => CharDevice::Zero,
            (1, 7) => CharDevice::Full,
            (1, 8) | (1, 9) => CharDevice::Random,
            (5, 0) | (5, 1) | (4, _) => CharDevice::Console,
            _ => return Err(Errno::ENXIO),
        })
    }

    /// The device number `fstat` reports.
    pub fn rdev(self) -> (u32, u32) {
        match self {
            CharDevice::Null => (1, 3),
            CharDevice::Zero => (1, 5),
            CharDevice::Full => (1, 7),
            CharDevice::Random => (1, 9),
            CharDevice::Console => (5, 1),
            CharDevice::ConsoleIn | CharDevice::ConsoleOut | CharDevice::ConsoleErr => (136, 0),
        }
    }

    /// Whether this device stands for the console (for `isatty`).
    pub fn is_console(self) -> bool {
        matches!(
            self,
            CharDevice::Console
                | CharDevice::ConsoleIn
                | CharDevice::ConsoleOut
                | CharDevice::ConsoleErr
        )
    }

    /// The descriptor of the host stream behind it.
    pub fn host_fd(self) -> u32 {
        match self {
            CharDevice::ConsoleIn => 0,
            CharDevice::ConsoleErr => 2,
            _ => 1,
        }
    }
}
