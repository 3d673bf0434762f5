//! The generated vDSO read by GNU binutils: `readelf` must accept it as an i386 shared
//! object and find its symbols through the dynamic section, as glibc's loader does.

use emulator::loader::vdso;
use std::process::Command;

#[test]
fn readelf_finds_the_vdso_symbols_through_the_dynamic_section() {
    let path = std::env::temp_dir().join(format!("webvm-vdso-{}.so", std::process::id()));
    std::fs::write(&path, vdso::image()).unwrap();
    let output = Command::new("readelf")
        .args(["-h", "-l", "-D", "-s", "-d"])
        .arg(&path)
        .output()
        .expect("run readelf (binutils)");
    std::fs::remove_file(&path).unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{errors}");
    assert!(errors.trim().is_empty(), "readelf complained: {errors}");
    assert!(text.contains("DYN (Shared object file)"), "{text}");
    assert!(text.contains("Intel 80386"), "{text}");
    assert!(text.contains("Library soname: [linux-gate.so.1]"), "{text}");
    for (name, offset) in [
        ("__kernel_vsyscall", vdso::KERNEL_VSYSCALL),
        ("__kernel_sigreturn", vdso::KERNEL_SIGRETURN),
        ("__kernel_rt_sigreturn", vdso::KERNEL_RT_SIGRETURN),
    ] {
        let line = text
            .lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
        assert!(line.contains(&format!("{offset:08x}")), "{line}");
        assert!(line.contains("FUNC") && line.contains("GLOBAL"), "{line}");
    }
}
