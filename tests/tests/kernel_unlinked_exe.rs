//! A running program whose executable is deleted keeps running (its mappings hold the
//! inode, as on Linux), and the blocks come back once it exits: on ext2 and on tmpfs.

use emulator::block::overlay::{MemoryLogStore, OverlayDevice};
use frontend_native::storage::BaseImage;
use webvm_tests::{guest, profile_dir};

const ENV: &[(&str, &str)] = &[("PATH", "/bin"), ("HOME", "/root")];

fn run(script: &str) -> guest::Output {
    let base = BaseImage::open(&profile_dir("tiny")).expect("open the tiny image");
    let dev = OverlayDevice::open(base.device, MemoryLogStore::new(), &base.id).unwrap();
    guest::run(dev, &["/bin/sh", "-c", script], ENV)
}

fn deleted_while_running(dir: &str) {
    // The copy runs a shell that deletes its own executable, then keeps working:
    // builtins, pages of the deleted file not touched before, a fork of itself.
    let script = format!(
        "cp /bin/busybox {dir}/sh && free0=$(df -k {dir} | tail -1 | tr -s ' ' | cut -d' ' -f4) && \
         {dir}/sh -c 'rm {dir}/sh; echo gone-$((1+1)); {dir}/sh -c true 2>/dev/null; echo exec=$?; \
         x=$(echo forked); echo $x; printf \"%s\\n\" printf-works; \
         test -e {dir}/sh || echo no-name' && \
         free1=$(df -k {dir} | tail -1 | tr -s ' ' | cut -d' ' -f4) && \
         [ $free1 -ge $free0 ] && echo space-back"
    );
    let out = run(&script);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (
            0,
            "gone-2\nexec=127\nforked\nprintf-works\nno-name\nspace-back\n"
        ),
        "stderr: {}",
        out.stderr
    );
}

#[test]
fn a_program_deleted_on_ext2_keeps_running() {
    deleted_while_running("/root");
}

#[test]
fn a_program_deleted_on_tmpfs_keeps_running() {
    deleted_while_running("/tmp");
}
