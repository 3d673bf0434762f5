//! The named image profiles: what goes into each root filesystem.
//!
//! A profile is data only; `rootfs` turns it into a tree. Everything a profile says is
//! part of its cache key, so changing a package list or an example file rebuilds it.

/// How a profile's root tree is made.
#[derive(Debug, Clone)]
pub enum Base {
    /// Unpack these i386 packages (and nothing else) with `dpkg-deb -x`: seconds, a few MB.
    Unpacked { packages: &'static [&'static str] },
    /// A `debootstrap --variant=minbase` root with these extra packages.
    Debootstrap { include: &'static [&'static str] },
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: &'static str,
    pub description: &'static str,
    pub base: Base,
    /// Free space left in the filesystem for the user, in MiB.
    pub free_space_mib: u64,
    /// Copy the repository's example programs into the user's home.
    pub examples: bool,
    /// Remove these paths (relative to the root) after installation to keep the image small.
    pub prune: &'static [&'static str],
}

pub const SUITE: &str = "bookworm";
pub const ARCH: &str = "i386";
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// The unprivileged user every profile has, as in the classic WebVM demo.
pub const USER_NAME: &str = "user";
pub const USER_ID: u32 = 1000;

pub fn all() -> Vec<Profile> {
    vec![
        Profile {
            name: "tiny",
            description: "busybox-static and the C library: a few MB, for fast tests",
            base: Base::Unpacked {
                packages: &["busybox-static", "libc6", "libgcc-s1"],
            },
            free_space_mib: 16,
            examples: false,
            prune: &[
                "usr/lib/i386-linux-gnu/gconv",
                "usr/share/doc",
                "usr/share/lintian",
            ],
        },
        Profile {
            name: "default",
            description:
                "the classic demo: bash, coreutils, python3, gcc/g++, binutils, vim, examples",
            base: Base::Debootstrap {
                include: &[
                    "bash",
                    "coreutils",
                    "python3",
                    "gcc",
                    "g++",
                    "libc6-dev",
                    "binutils",
                    "make",
                    "vim",
                    "less",
                    "file",
                    "perl",
                    "lua5.4",
                    "procps",
                    "psmisc",
                    "ncurses-term",
                    "bzip2",
                    "xz-utils",
                    "ca-certificates",
                ],
            },
            free_space_mib: 512,
            examples: true,
            prune: &[
                "var/cache/apt/archives",
                "var/lib/apt/lists",
                "usr/share/doc",
                "usr/share/man",
                "usr/share/info",
                "usr/share/lintian",
            ],
        },
    ]
}

pub fn find(name: &str) -> Option<Profile> {
    all().into_iter().find(|p| p.name == name)
}

pub fn names() -> String {
    all().iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}
