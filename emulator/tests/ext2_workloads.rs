//! Write workloads through the ext2 driver on images made by `mke2fs -t ext2`, then
//! `e2fsck -fn` (must be clean) and `debugfs` (must read exactly what was written).

mod common;

use common::*;
use emulator::block::memory::MemoryDevice;
use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use emulator::block::BlockDevice;
use emulator::fs::ext2::{Ext2Error, Ext2Fs, FileType, ROOT_INO};
use std::collections::BTreeMap;
use std::path::Path;

type Fs = Ext2Fs<MemoryDevice>;

fn finish(s: &Scratch, mut fs: Fs) -> std::path::PathBuf {
    fs.sync().unwrap();
    fsck_bytes(s, "out.img", &fs.into_device().into_bytes())
}

fn read_all(fs: &mut Fs, ino: u32) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut buf = vec![0u8; size];
    assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), size);
    buf
}

fn resolve(fs: &mut Fs, path: &str) -> u32 {
    let mut ino = ROOT_INO;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = fs.lookup(ino, part.as_bytes()).unwrap();
    }
    ino
}

fn debugfs_size(img: &Path, path: &str) -> u64 {
    let out = String::from_utf8_lossy(&debugfs(img, &format!("stat {path}"))).into_owned();
    let at = out.find("Size: ").expect(&out);
    out[at + 6..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn many_files_in_a_deep_tree_read_back_through_debugfs() {
    let s = Scratch::new("tree");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 32, &[]))).unwrap();
    let mut rng = Rng::new(1);
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut dirs = vec![(ROOT_INO, String::new())];
    for depth in 0..12 {
        let (parent, path) = dirs.last().unwrap().clone();
        let name = format!("level{depth}");
        let ino = fs.mkdir(parent, name.as_bytes(), 0o755, 0, 0).unwrap();
        dirs.push((ino, format!("{path}/{name}")));
    }
    for i in 0..400 {
        let (dir, path) = dirs[rng.below(dirs.len() as u64) as usize].clone();
        let name = format!("file{i}");
        let len = match i % 4 {
            0 => 0,
            1 => rng.below(100) as usize,
            2 => rng.below(20_000) as usize,
            _ => rng.below(300_000) as usize,
        };
        let data = rng.bytes(len);
        let ino = fs
            .create(dir, name.as_bytes(), 0o100640, 1000 + i, 100)
            .unwrap();
        // Write in uneven pieces.
        let mut off = 0;
        while off < data.len() {
            let n = (1 + rng.below(70_000) as usize).min(data.len() - off);
            assert_eq!(fs.write(ino, off as u64, &data[off..off + n]).unwrap(), n);
            off += n;
        }
        model.insert(format!("{path}/{name}"), data);
    }
    for (path, data) in &model {
        let ino = resolve(&mut fs, path);
        assert_eq!(&read_all(&mut fs, ino), data, "{path}");
    }
    let img = finish(&s, fs);
    for (path, data) in model.iter().step_by(7) {
        assert_eq!(&debugfs(&img, &format!("cat {path}")), data, "{path}");
    }
    let deep = String::from_utf8_lossy(&debugfs(&img, "ls -l /level0/level1/level2")).into_owned();
    assert!(deep.contains("level3"), "{deep}");
}

#[test]
fn big_sparse_files_past_4_gib_with_all_indirection_levels() {
    let s = Scratch::new("sparse");
    // 1 KiB blocks make the triple-indirect level reachable at 64 GiB.
    let mut fs = Ext2Fs::open(device(mkfs(&s, 64, &["-b", "1024"]))).unwrap();
    let ino = fs.create(ROOT_INO, b"sparse", 0o100644, 0, 0).unwrap();
    let points: [u64; 7] = [
        0,
        11 * 1024,
        12 * 1024 + 5,
        300 << 10,
        70 << 20,
        5 << 30,
        15 << 30,
    ];
    for (i, &p) in points.iter().enumerate() {
        fs.write(ino, p, format!("mark{i}").as_bytes()).unwrap();
    }
    let st = fs.stat(ino).unwrap();
    assert_eq!(st.size, (15 << 30) + 5);
    // Past the triple-indirect limit of 1 KiB blocks (about 16 GiB).
    assert_eq!(fs.write(ino, 17 << 30, b"x"), Err(Ext2Error::FileTooBig));
    let mut buf = [0u8; 5];
    for (i, &p) in points.iter().enumerate() {
        fs.read(ino, p, &mut buf).unwrap();
        assert_eq!(&buf, format!("mark{i}").as_bytes());
    }
    fs.read(ino, 1 << 30, &mut buf).unwrap();
    assert_eq!(buf, [0; 5]);
    // Shrink across levels, then extend again with a hole.
    fs.truncate(ino, (70 << 20) + 2).unwrap();
    fs.truncate(ino, 6 << 30).unwrap();
    let mut tail = [9u8; 5];
    fs.read(ino, 70 << 20, &mut tail).unwrap();
    assert_eq!(tail, *b"ma\0\0\0");
    let blocks_before = fs.stat(ino).unwrap().blocks;
    let other = fs.create(ROOT_INO, b"large", 0o100644, 0, 0).unwrap();
    fs.write(other, (4 << 30) + 100, &[1u8; 3000]).unwrap();
    let img = finish(&s, fs);
    assert_eq!(debugfs_size(&img, "/sparse"), 6 << 30);
    assert_eq!(debugfs_size(&img, "/large"), (4 << 30) + 3100);
    let _ = blocks_before;
    let feats = String::from_utf8_lossy(&debugfs(&img, "features")).into_owned();
    assert!(feats.contains("large_file"), "{feats}");
}

#[test]
fn truncate_frees_every_block_back() {
    let s = Scratch::new("trunc");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 32, &["-b", "1024"]))).unwrap();
    let free0 = fs.statfs().free_blocks;
    let ino = fs.create(ROOT_INO, b"f", 0o100644, 0, 0).unwrap();
    fs.write(ino, 0, &vec![3u8; 5 << 20]).unwrap();
    assert!(fs.statfs().free_blocks < free0 - 5 * 1024);
    fs.truncate(ino, 0).unwrap();
    assert_eq!(fs.statfs().free_blocks, free0);
    assert_eq!(fs.stat(ino).unwrap().blocks, 0);
    fs.truncate(ino, 12345).unwrap();
    assert_eq!(fs.write(ino, 1 << 30, b"").unwrap(), 0);
    assert_eq!(fs.stat(ino).unwrap().size, 12345);
    fs.write(ino, 20000, b"x").unwrap();
    finish(&s, fs);
}

#[test]
fn renames_over_files_and_directories() {
    let s = Scratch::new("rename");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &[]))).unwrap();
    let a = fs.mkdir(ROOT_INO, b"a", 0o755, 0, 0).unwrap();
    let b = fs.mkdir(ROOT_INO, b"b", 0o755, 0, 0).unwrap();
    let sub = fs.mkdir(a, b"sub", 0o755, 0, 0).unwrap();
    let f1 = fs.create(a, b"f1", 0o100644, 0, 0).unwrap();
    fs.write(f1, 0, b"one").unwrap();
    let f2 = fs.create(b, b"f2", 0o100644, 0, 0).unwrap();
    fs.write(f2, 0, b"two").unwrap();
    // Same directory, new name.
    fs.rename(a, b"f1", a, b"g1").unwrap();
    // Across directories, over an existing file: f2's inode goes away.
    fs.rename(a, b"g1", b, b"f2").unwrap();
    assert_eq!(fs.lookup(b, b"f2").unwrap(), f1);
    assert!(fs.stat(f2).is_err());
    // A directory across parents: link counts of both parents change.
    fs.rename(a, b"sub", b, b"sub2").unwrap();
    assert_eq!(fs.stat(a).unwrap().nlink, 2);
    assert_eq!(fs.stat(b).unwrap().nlink, 3);
    assert_eq!(fs.lookup(sub, b"..").unwrap(), b);
    // A directory over an empty directory; not over a non-empty one.
    let empty = fs.mkdir(a, b"empty", 0o755, 0, 0).unwrap();
    fs.rename(b, b"sub2", a, b"empty").unwrap();
    assert!(fs.stat(empty).is_err());
    assert_eq!(fs.lookup(a, b"empty").unwrap(), sub);
    let full = fs.mkdir(b, b"full", 0o755, 0, 0).unwrap();
    fs.create(full, b"x", 0o100644, 0, 0).unwrap();
    let c = fs.mkdir(ROOT_INO, b"c", 0o755, 0, 0).unwrap();
    assert_eq!(
        fs.rename(ROOT_INO, b"c", b, b"full"),
        Err(Ext2Error::NotEmpty)
    );
    // Never into its own subtree; file over dir and dir over file refused.
    assert!(matches!(
        fs.rename(ROOT_INO, b"a", sub, b"loop"),
        Err(Ext2Error::Invalid(_))
    ));
    assert_eq!(fs.rename(b, b"f2", ROOT_INO, b"c"), Err(Ext2Error::IsDir));
    assert_eq!(fs.rename(ROOT_INO, b"c", b, b"f2"), Err(Ext2Error::NotDir));
    let _ = c;
    let img = finish(&s, fs);
    assert_eq!(debugfs(&img, "cat /b/f2"), b"one");
    let ls = String::from_utf8_lossy(&debugfs(&img, "ls /a")).into_owned();
    assert!(ls.contains("empty") && !ls.contains("sub"), "{ls}");
}

#[test]
fn hard_links_and_unlink_while_open() {
    let s = Scratch::new("links");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &[]))).unwrap();
    let free0 = fs.statfs();
    let f = fs.create(ROOT_INO, b"orig", 0o100644, 0, 0).unwrap();
    fs.write(f, 0, &vec![5u8; 100_000]).unwrap();
    let d = fs.mkdir(ROOT_INO, b"d", 0o755, 0, 0).unwrap();
    fs.link(f, d, b"alias").unwrap();
    fs.link(f, ROOT_INO, b"alias2").unwrap();
    assert_eq!(fs.stat(f).unwrap().nlink, 3);
    assert_eq!(fs.link(d, ROOT_INO, b"dirlink").unwrap_err().errno(), 1);
    assert_eq!(fs.link(f, d, b"alias"), Err(Ext2Error::Exists));
    fs.unlink(ROOT_INO, b"orig").unwrap();
    fs.unlink(ROOT_INO, b"alias2").unwrap();
    assert_eq!(fs.stat(f).unwrap().nlink, 1);
    // Open, unlink the last name: still readable and writable until released.
    fs.hold(f).unwrap();
    fs.unlink(d, b"alias").unwrap();
    assert_eq!(fs.lookup(d, b"alias"), Err(Ext2Error::NotFound));
    fs.write(f, 100_000, b"more").unwrap();
    let mut buf = [0u8; 4];
    fs.read(f, 100_000, &mut buf).unwrap();
    assert_eq!(&buf, b"more");
    assert_eq!(fs.superblock().last_orphan.get(), f);
    fs.release(f).unwrap();
    assert!(fs.stat(f).is_err());
    assert_eq!(fs.superblock().last_orphan.get(), 0);
    fs.rmdir(ROOT_INO, b"d").unwrap();
    let free1 = fs.statfs();
    assert_eq!(free0.free_blocks, free1.free_blocks);
    assert_eq!(free0.free_inodes, free1.free_inodes);
    finish(&s, fs);
}

#[test]
fn orphans_left_by_a_crash_are_freed_on_open() {
    let s = Scratch::new("orphan");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &[]))).unwrap();
    let free0 = fs.statfs();
    let mut held = Vec::new();
    for i in 0..3 {
        let name = format!("tmp{i}");
        let f = fs
            .create(ROOT_INO, name.as_bytes(), 0o100600, 0, 0)
            .unwrap();
        fs.write(f, 0, &vec![1u8; 50_000]).unwrap();
        fs.hold(f).unwrap();
        fs.unlink(ROOT_INO, name.as_bytes()).unwrap();
        held.push(f);
    }
    fs.sync().unwrap();
    // "Crash": drop the filesystem without releasing.
    let dev = fs.into_device();
    let fs = Ext2Fs::open(dev).unwrap();
    assert_eq!(fs.superblock().last_orphan.get(), 0);
    assert_eq!(fs.statfs().free_blocks, free0.free_blocks);
    assert_eq!(fs.statfs().free_inodes, free0.free_inodes);
    finish(&s, fs);
}

#[test]
fn a_directory_of_ten_thousand_entries_grows_and_shrinks() {
    let s = Scratch::new("bigdir");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 64, &["-N", "20000"]))).unwrap();
    let d = fs.mkdir(ROOT_INO, b"big", 0o755, 0, 0).unwrap();
    for i in 0..10_000 {
        fs.create(
            d,
            format!("entry-with-a-longish-name-{i:05}").as_bytes(),
            0o100644,
            0,
            0,
        )
        .unwrap();
    }
    let grown = fs.stat(d).unwrap().size;
    assert!(grown > 40 * 4096, "{grown}");
    assert_eq!(fs.readdir(d).unwrap().len(), 10_002);
    // Paged listing gives the same names, each once.
    let mut paged = Vec::new();
    let mut pos = Some(0);
    while let Some(p) = pos {
        let (page, next) = fs.readdir_from(d, p, 333).unwrap();
        assert!(page.len() <= 333);
        paged.extend(page.into_iter().map(|e| e.name));
        pos = next;
    }
    let all: Vec<_> = fs.readdir(d).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(paged, all);
    assert!(fs.lookup(d, b"entry-with-a-longish-name-09999").is_ok());
    let img = finish(&s, fs);
    let listing = String::from_utf8_lossy(&debugfs(&img, "ls /big")).into_owned();
    assert!(listing.contains("entry-with-a-longish-name-05000"));
    let mut fs = Ext2Fs::open(device(std::fs::read(&img).unwrap())).unwrap();
    for i in (0..10_000).rev() {
        if i % 1000 != 0 {
            fs.unlink(d, format!("entry-with-a-longish-name-{i:05}").as_bytes())
                .unwrap();
        }
    }
    let shrunk = fs.stat(d).unwrap().size;
    assert!(shrunk < grown, "{shrunk} < {grown}");
    let names: Vec<_> = fs.readdir(d).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names.len(), 12);
    assert_eq!(fs.rmdir(ROOT_INO, b"big"), Err(Ext2Error::NotEmpty));
    finish(&s, fs);
}

#[test]
fn filling_the_disk_gives_enospc_and_recovers() {
    let s = Scratch::new("full");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 8, &["-b", "1024", "-N", "256"]))).unwrap();
    let chunk = vec![0xabu8; 64 * 1024];
    let mut files = Vec::new();
    let mut full = false;
    'outer: for i in 0..1000 {
        let name = format!("fill{i}");
        let f = match fs.create(ROOT_INO, name.as_bytes(), 0o100644, 0, 0) {
            Ok(f) => f,
            Err(e) => {
                assert_eq!(e.errno(), 28);
                full = true;
                break;
            }
        };
        files.push(name);
        let mut off = 0u64;
        loop {
            match fs.write(f, off, &chunk) {
                Ok(n) if n == chunk.len() => off += n as u64,
                Ok(n) => {
                    off += n as u64;
                }
                Err(e) => {
                    assert_eq!(e, Ext2Error::NoSpace);
                    full = true;
                    break 'outer;
                }
            }
            if off >= 1 << 20 {
                break;
            }
        }
    }
    assert!(full);
    assert_eq!(fs.statfs().free_blocks, 0);
    // Metadata still consistent while full.
    fs.sync().unwrap();
    let bytes = fs.device().as_bytes().to_vec();
    fsck_bytes(&s, "full.img", &bytes);
    for name in files.iter().step_by(2) {
        fs.unlink(ROOT_INO, name.as_bytes()).unwrap();
    }
    let f = fs.create(ROOT_INO, b"after", 0o100644, 0, 0).unwrap();
    fs.write(f, 0, b"room again").unwrap();
    let img = finish(&s, fs);
    assert_eq!(debugfs(&img, "cat /after"), b"room again");
}

#[test]
fn special_files_times_and_owners() {
    let s = Scratch::new("special");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &[]))).unwrap();
    fs.set_time(1_800_000_000);
    fs.mknod(ROOT_INO, b"null", 0o020666, (1, 3), 0, 0).unwrap();
    fs.mknod(ROOT_INO, b"bigdev", 0o060600, (259, 70000), 0, 6)
        .unwrap();
    fs.create(ROOT_INO, b"fifo", 0o010644, 0, 0).unwrap();
    fs.create(ROOT_INO, b"sock", 0o140755, 0, 0).unwrap();
    let fast = fs.symlink(ROOT_INO, b"fast", b"/etc/passwd", 0, 0).unwrap();
    let target = "t/".repeat(300);
    let slow = fs
        .symlink(ROOT_INO, b"slow", target.as_bytes(), 0, 0)
        .unwrap();
    assert_eq!(fs.readlink(fast).unwrap(), b"/etc/passwd");
    assert_eq!(fs.readlink(slow).unwrap(), target.as_bytes());
    let f = fs
        .create(ROOT_INO, b"owned", 0o100600, 70000, 70001)
        .unwrap();
    fs.set_attr(f, Some(0o4755), Some((123_456, 654_321)), Some((5, 6)))
        .unwrap();
    let st = fs.stat(f).unwrap();
    assert_eq!(
        (st.perm, st.uid, st.gid, st.atime, st.mtime),
        (0o4755, 123_456, 654_321, 5, 6)
    );
    assert_eq!(st.ctime, 1_800_000_000);
    let dev = fs.lookup(ROOT_INO, b"bigdev").unwrap();
    assert_eq!(fs.stat(dev).unwrap().rdev, (259, 70000));
    let types: BTreeMap<_, _> = fs
        .readdir(ROOT_INO)
        .unwrap()
        .into_iter()
        .map(|e| (String::from_utf8(e.name).unwrap(), e.file_type))
        .collect();
    assert_eq!(types["null"], Some(FileType::CharDevice));
    assert_eq!(types["fifo"], Some(FileType::Fifo));
    assert_eq!(types["sock"], Some(FileType::Socket));
    assert_eq!(types["slow"], Some(FileType::Symlink));
    fs.unlink(ROOT_INO, b"slow").unwrap();
    fs.symlink(ROOT_INO, b"slow", target.as_bytes(), 0, 0)
        .unwrap();
    let img = finish(&s, fs);
    let st = String::from_utf8_lossy(&debugfs(&img, "stat /null")).into_owned();
    assert!(st.contains("character special"), "{st}");
    let link = String::from_utf8_lossy(&debugfs(&img, "stat /fast")).into_owned();
    assert!(link.contains("Fast link dest: \"/etc/passwd\""), "{link}");
    let st = String::from_utf8_lossy(&debugfs(&img, "stat /owned")).into_owned();
    assert!(
        st.contains("User: 123456") && st.contains("Group: 654321"),
        "{st}"
    );
}

#[test]
fn errors_for_bad_names_and_kinds() {
    let s = Scratch::new("errors");
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &[]))).unwrap();
    let f = fs.create(ROOT_INO, b"f", 0o100644, 0, 0).unwrap();
    assert_eq!(
        fs.create(ROOT_INO, b"f", 0o100644, 0, 0),
        Err(Ext2Error::Exists)
    );
    assert_eq!(
        fs.create(ROOT_INO, &[b'n'; 256], 0o100644, 0, 0),
        Err(Ext2Error::NameTooLong)
    );
    assert_eq!(fs.create(f, b"x", 0o100644, 0, 0), Err(Ext2Error::NotDir));
    assert_eq!(fs.lookup(ROOT_INO, b"nope"), Err(Ext2Error::NotFound));
    assert_eq!(fs.unlink(ROOT_INO, b"lost+found"), Err(Ext2Error::IsDir));
    assert_eq!(fs.rmdir(ROOT_INO, b"f"), Err(Ext2Error::NotDir));
    assert_eq!(fs.read(ROOT_INO, 0, &mut [0; 4]), Err(Ext2Error::IsDir));
    assert_eq!(Ext2Error::NotEmpty.errno(), 39);
    fs.sync().unwrap();
    let bytes = fs.into_device().into_bytes();
    let mut ro = Ext2Fs::open_read_only(device(bytes.clone())).unwrap();
    assert_eq!(
        ro.create(ROOT_INO, b"g", 0o100644, 0, 0),
        Err(Ext2Error::ReadOnly)
    );
    assert_eq!(ro.write(f, 0, b"x").unwrap_err().errno(), 30);
    assert_eq!(ro.lookup(ROOT_INO, b"f").unwrap(), f);
    assert_eq!(
        ro.into_device().into_bytes(),
        bytes,
        "a read-only open writes nothing"
    );
}

/// The same kind of workload through an overlay on a read-only base: the base never
/// changes, and merging gives a clean image.
#[test]
fn workload_through_an_overlay_then_merge() {
    let s = Scratch::new("overlay");
    let base_bytes = mkfs(&s, 32, &[]);
    let base = MemoryDevice::from_bytes(4096, base_bytes.clone());
    let overlay = OverlayDevice::open(base, MemoryLogStore::new(), "sha256-test").unwrap();
    let mut fs = Ext2Fs::open(overlay).unwrap();
    let d = fs.mkdir(ROOT_INO, b"home", 0o755, 0, 0).unwrap();
    for i in 0..50 {
        let f = fs
            .create(d, format!("f{i}").as_bytes(), 0o100644, 0, 0)
            .unwrap();
        fs.write(f, 0, format!("content {i}").as_bytes()).unwrap();
        if i % 10 == 0 {
            fs.sync().unwrap();
        }
    }
    fs.sync().unwrap();
    let (base, store) = fs.into_device().into_parts();
    assert_eq!(base.as_bytes(), &base_bytes[..]);
    let mut overlay = OverlayDevice::open(base, store, "sha256-test").unwrap();
    let mut merged = vec![0u8; overlay.size_bytes() as usize];
    for (b, chunk) in merged.chunks_mut(4096).enumerate() {
        overlay.read_block(b as u64, chunk).unwrap();
    }
    let img = fsck_bytes(&s, "merged.img", &merged);
    assert_eq!(debugfs(&img, "cat /home/f42"), b"content 42");
}

/// Reads an image populated by `mke2fs -d` and compares every file with the source.
#[test]
fn reads_an_image_populated_by_mke2fs() {
    let s = Scratch::new("populated");
    let src = s.path("src");
    let mut rng = Rng::new(7);
    let mut expected: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for d in ["", "a", "a/b", "a/b/c", "many"] {
        std::fs::create_dir_all(src.join(d)).unwrap();
    }
    for i in 0..60 {
        let dir = ["", "a", "a/b", "a/b/c"][i % 4];
        let rel = if dir.is_empty() {
            format!("f{i}")
        } else {
            format!("{dir}/f{i}")
        };
        let data = rng.bytes([0, 10, 5000, 70_000, 1_500_000][i % 5]);
        std::fs::write(src.join(&rel), &data).unwrap();
        expected.insert(rel, data);
    }
    for i in 0..600 {
        // Enough entries for mke2fs to build an htree index.
        let rel = format!("many/entry{i:04}");
        std::fs::write(src.join(&rel), rel.as_bytes()).unwrap();
        expected.insert(rel.clone(), rel.into_bytes());
    }
    std::os::unix::fs::symlink("a/b/c/f3", src.join("link")).unwrap();
    let bytes = mkfs(&s, 32, &["-d", src.to_str().unwrap()]);
    let mut fs = Ext2Fs::open(device(bytes)).unwrap();
    for (rel, data) in &expected {
        let ino = resolve(&mut fs, rel);
        assert_eq!(&read_all(&mut fs, ino), data, "{rel}");
    }
    let link = resolve(&mut fs, "link");
    assert_eq!(fs.readlink(link).unwrap(), b"a/b/c/f3");
    // Every name in every directory, and nothing else.
    let many = resolve(&mut fs, "many");
    assert_eq!(fs.readdir(many).unwrap().len(), 602);
    // Change the indexed directory; e2fsck must still accept it.
    fs.unlink(many, b"entry0100").unwrap();
    fs.create(many, b"new-entry", 0o100644, 0, 0).unwrap();
    let img = finish(&s, fs);
    let ls = String::from_utf8_lossy(&debugfs(&img, "ls /many")).into_owned();
    assert!(ls.contains("new-entry") && !ls.contains("entry0100 "));
}

/// Files carrying extended attributes (in a shared xattr block, and in the inode) from
/// `mke2fs -d`: deleting them releases the block exactly once.
#[test]
fn deleting_files_with_xattr_blocks() {
    let s = Scratch::new("xattr");
    let src = s.path("src");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["a", "b", "small"] {
        std::fs::write(src.join(name), name.as_bytes()).unwrap();
    }
    let set = |name: &str, len: usize| {
        let ok = std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import os; os.setxattr({:?}, 'user.big', b'v' * {len})",
                src.join(name).to_str().unwrap()
            ))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok
    };
    if !(set("a", 700) && set("b", 700) && set("small", 8)) {
        eprintln!("skipped: this host cannot set user xattrs");
        return;
    }
    let mut fs = Ext2Fs::open(device(mkfs(&s, 16, &["-d", src.to_str().unwrap()]))).unwrap();
    let a = fs.lookup(ROOT_INO, b"a").unwrap();
    assert_ne!(
        fs.read_inode(a).unwrap().file_acl.get(),
        0,
        "mke2fs put the xattr in a block"
    );
    let free0 = fs.statfs().free_blocks;
    fs.unlink(ROOT_INO, b"a").unwrap();
    fs.unlink(ROOT_INO, b"small").unwrap();
    let img = finish(&s, fs);
    let mut fs = Ext2Fs::open(device(std::fs::read(&img).unwrap())).unwrap();
    assert!(fs.statfs().free_blocks > free0);
    fs.unlink(ROOT_INO, b"b").unwrap();
    finish(&s, fs);
}

/// With a commit threshold, a buffering device is flushed between operations by the
/// driver itself: memory stays bounded and every commit is a clean filesystem.
#[test]
fn automatic_commits_bound_pending_writes() {
    let s = Scratch::new("autocommit");
    let base = mkfs(&s, 64, &["-b", "4096"]);
    let overlay = OverlayDevice::open(
        MemoryDevice::from_bytes(4096, base.clone()),
        MemoryLogStore::new(),
        "sha256-auto",
    )
    .unwrap();
    let mut fs = Ext2Fs::open(overlay).unwrap();
    fs.set_commit_threshold(1 << 20);
    let f = fs.create(ROOT_INO, b"big", 0o100644, 0, 0).unwrap();
    let data: Vec<u8> = (0..20u32 << 20).map(|i| (i % 251) as u8).collect();
    assert_eq!(fs.write(f, 0, &data).unwrap(), data.len());
    for i in 0..50 {
        fs.create(ROOT_INO, format!("small{i}").as_bytes(), 0o100644, 0, 0)
            .map(|ino| fs.write(ino, 0, &[1u8; 100_000]))
            .unwrap()
            .unwrap();
        assert!(fs.device().pending_bytes() < 6 << 20);
    }
    // Without a sync: what the automatic commits kept must be a clean filesystem.
    let (base_dev, store) = fs.into_device().into_parts();
    let crashed = store.crash(0, false);
    let mut dev = OverlayDevice::open(base_dev, crashed, "sha256-auto").unwrap();
    assert!(dev.recovery().transactions > 5);
    let mut merged = vec![0u8; dev.size_bytes() as usize];
    for (b, chunk) in merged.chunks_mut(4096).enumerate() {
        dev.read_block(b as u64, chunk).unwrap();
    }
    let img = fsck_bytes(&s, "auto.img", &merged);
    assert_eq!(debugfs(&img, "cat /big"), data);
}

/// The same small workload on every layout the driver claims: revision 0, 128-byte
/// inodes, 1/2/4 KiB blocks, no filetype feature.
#[test]
fn every_supported_layout() {
    let layouts: [&[&str]; 6] = [
        &[],
        &["-b", "1024"],
        &["-b", "2048"],
        &["-I", "128"],
        &["-r", "0"],
        &["-O", "^filetype,^dir_index,^resize_inode,^ext_attr"],
    ];
    for opts in layouts {
        let s = Scratch::new("layout");
        let mut fs = Ext2Fs::open(device(mkfs(&s, 16, opts))).unwrap();
        let d = fs.mkdir(ROOT_INO, b"d", 0o755, 1, 2).unwrap();
        let mut rng = Rng::new(11);
        let big = rng.bytes(3 << 20);
        let f = fs.create(d, b"big", 0o100644, 0, 0).unwrap();
        fs.write(f, 0, &big).unwrap();
        for i in 0..40 {
            let g = fs
                .create(d, format!("f{i}").as_bytes(), 0o100644, 0, 0)
                .unwrap();
            fs.write(g, 0, format!("file {i}").as_bytes()).unwrap();
        }
        for i in (0..40).step_by(3) {
            fs.unlink(d, format!("f{i}").as_bytes()).unwrap();
        }
        fs.rename(d, b"f1", ROOT_INO, b"moved").unwrap();
        fs.symlink(ROOT_INO, b"link", b"d/big", 0, 0).unwrap();
        fs.mknod(ROOT_INO, b"tty", 0o020620, (4, 1), 0, 5).unwrap();
        fs.truncate(f, 1_000_000).unwrap();
        // Past 2 GiB: large_file goes on (a revision 0 filesystem becomes revision 1).
        let huge = fs.create(ROOT_INO, b"huge", 0o100644, 0, 0).unwrap();
        fs.write(huge, 3 << 30, b"end").unwrap();
        let types: Vec<_> = fs
            .readdir(ROOT_INO)
            .unwrap()
            .into_iter()
            .map(|e| e.file_type)
            .collect();
        let has_filetype = !opts.iter().any(|o| o.contains("^filetype")) && !opts.contains(&"0");
        assert_eq!(types.iter().all(|t| t.is_some()), has_filetype, "{opts:?}");
        let img = finish(&s, fs);
        assert_eq!(debugfs(&img, "cat /moved"), b"file 1", "{opts:?}");
        assert_eq!(debugfs(&img, "cat /d/big"), &big[..1_000_000], "{opts:?}");
        let feats = String::from_utf8_lossy(&debugfs(&img, "features")).into_owned();
        assert!(feats.contains("large_file"), "{opts:?}: {feats}");
    }
}
