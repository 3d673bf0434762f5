//! The filesystems the kernel mounts, and the standard mount table a machine boots with:
//! ext2 on `/`, devfs on `/dev` (a tmpfs filled with the device nodes the kernel
//! provides), tmpfs on `/dev/shm` and `/tmp`, procfs on `/proc`, a small sysfs on `/sys`.

pub mod ext2;
pub mod procfs;
pub mod tmpfs;

use super::errno::{Errno, KResult};
use super::vfs::*;
use crate::block::BlockDevice;
use std::cell::RefCell;
use std::rc::Rc;

/// Looks up (or creates, as a directory) `name` under `dir` on the root filesystem, for
/// a mount point the image may lack.
fn mount_point(vfs: &Vfs, dir: Loc, name: &[u8]) -> KResult<Loc> {
    let fs = vfs.disk(dir.mount).ok_or(Errno::EINVAL)?;
    let mut fs = fs.borrow_mut();
    let ino = match fs.lookup(dir.ino, name) {
        Ok(ino) => ino,
        Err(_) => fs.create(dir.ino, name, S_IFDIR | 0o755, (0, 0), (0, 0))?,
    };
    Ok(Loc {
        mount: dir.mount,
        ino,
    })
}

fn tmpfs(mode: u32) -> FsRef {
    Rc::new(RefCell::new(tmpfs::Tmpfs::new(mode)))
}

/// Builds the standard mount table over an ext2 root.
pub fn mount_standard<D: BlockDevice + 'static>(
    vfs: &mut Vfs,
    root: crate::fs::ext2::Ext2Fs<D>,
) -> KResult<()> {
    let root: FsRef = Rc::new(RefCell::new(ext2::Ext2Mount { fs: root }));
    mount_standard_on(vfs, root, "ext2", "/dev/root")
}

/// Builds the standard mount table over any root filesystem (a host directory through
/// the frontend's implementation of [`FileSystem`], for `webvm run --root DIR`).
pub fn mount_standard_on(
    vfs: &mut Vfs,
    root: FsRef,
    fstype: &'static str,
    source: &str,
) -> KResult<()> {
    vfs.mount(MountFs::Disk(root), None, "/", fstype, source);
    let top = vfs.root();

    let dev = devfs()?;
    let at = mount_point(vfs, top, b"dev")?;
    let dev_id = vfs.mount(
        MountFs::Disk(dev.clone()),
        Some(at),
        "/dev",
        "devtmpfs",
        "udev",
    );
    let dev_root = dev.borrow().root();
    let shm = dev.borrow_mut().lookup(dev_root, b"shm")?;
    vfs.mount(
        MountFs::Disk(tmpfs(0o1777)),
        Some(Loc {
            mount: dev_id,
            ino: shm,
        }),
        "/dev/shm",
        "tmpfs",
        "tmpfs",
    );
    let at = mount_point(vfs, top, b"tmp")?;
    vfs.mount(
        MountFs::Disk(tmpfs(0o1777)),
        Some(at),
        "/tmp",
        "tmpfs",
        "tmpfs",
    );
    let at = mount_point(vfs, top, b"proc")?;
    vfs.mount(MountFs::Proc, Some(at), "/proc", "proc", "proc");
    let at = mount_point(vfs, top, b"sys")?;
    vfs.mount(MountFs::Disk(sysfs()?), Some(at), "/sys", "sysfs", "sysfs");
    Ok(())
}

/// `/dev`: device nodes whose numbers `kernel::device` knows.
fn devfs() -> KResult<FsRef> {
    let mut fs = tmpfs::Tmpfs::new(0o755);
    let root = fs.root();
    let nodes: &[(&str, u32, (u32, u32))] = &[
        ("null", 0o666, (1, 3)),
        ("zero", 0o666, (1, 5)),
        ("full", 0o666, (1, 7)),
        ("random", 0o666, (1, 8)),
        ("urandom", 0o666, (1, 9)),
        ("tty", 0o666, (5, 0)),
        ("console", 0o600, (5, 1)),
        ("ptmx", 0o666, (5, 2)),
    ];
    for &(name, perm, rdev) in nodes {
        fs.create(root, name.as_bytes(), S_IFCHR | perm, rdev, (0, 0))?;
    }
    for dir in ["shm", "pts"] {
        fs.create(root, dir.as_bytes(), S_IFDIR | 0o755, (0, 0), (0, 0))?;
    }
    let links: &[(&str, &str)] = &[
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ];
    for &(name, target) in links {
        fs.symlink(root, name.as_bytes(), target.as_bytes(), (0, 0))?;
    }
    Ok(Rc::new(RefCell::new(fs)))
}

/// `/sys`: the few entries programs probe.
fn sysfs() -> KResult<FsRef> {
    let mut fs = tmpfs::Tmpfs::new(0o555);
    let mut dir = fs.root();
    for name in ["devices", "system", "cpu"] {
        dir = fs.create(dir, name.as_bytes(), S_IFDIR | 0o755, (0, 0), (0, 0))?;
    }
    for (name, text) in [("online", "0\n"), ("possible", "0\n"), ("present", "0\n")] {
        let f = fs.create(dir, name.as_bytes(), S_IFREG | 0o444, (0, 0), (0, 0))?;
        fs.write(f, 0, text.as_bytes())?;
    }
    Ok(Rc::new(RefCell::new(fs)))
}
