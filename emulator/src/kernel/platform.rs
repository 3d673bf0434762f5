//! The services a frontend provides to the machine: time, the console (the host's
//! standard streams or terminal) and entropy. Small traits so the same kernel runs
//! natively and in a browser worker; the kernel never touches host files, threads or
//! clocks itself.

/// Wall-clock and monotonic time.
pub trait Clock {
    /// Nanoseconds since the Unix epoch.
    fn realtime_ns(&self) -> u64;
    /// Nanoseconds since an arbitrary start; never goes backwards.
    fn monotonic_ns(&self) -> u64;
}

/// Which host stream a console write goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What a console read found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleRead {
    Data(usize),
    /// No input yet: the reading task parks until the frontend has some.
    Empty,
    EndOfFile,
}

/// The host side of the guest's standard streams.
pub trait Console {
    fn read(&mut self, buf: &mut [u8]) -> ConsoleRead;
    /// Whether a read would return data or end-of-file now (for `poll`).
    fn input_ready(&mut self) -> bool;
    fn write(&mut self, stream: Stream, data: &[u8]);
    /// Whether the host stream behind guest descriptor 0, 1 or 2 is a terminal. When
    /// 0 and 1 are, the kernel runs the console as a terminal (line discipline,
    /// echo, job-control characters) and the frontend passes raw bytes both ways.
    fn is_terminal(&self, fd: u32) -> bool;
    /// Rows and columns, when a terminal. Asked on every scheduling pass (a change is
    /// delivered to the guest as SIGWINCH), so it must be cheap.
    fn window_size(&self) -> Option<(u16, u16)> {
        None
    }
}

/// Random bytes for `getrandom`, `/dev/urandom` and `AT_RANDOM`.
pub trait Entropy {
    fn fill(&mut self, buf: &mut [u8]);
}

/// Everything the frontend provides.
pub struct Platform {
    pub clock: Box<dyn Clock>,
    pub console: Box<dyn Console>,
    pub entropy: Box<dyn Entropy>,
}

/// A deterministic generator (xorshift) for tests and for frontends without entropy.
pub struct SeededEntropy(pub u64);

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0 as u8;
        }
    }
}
