//! The vDSO: one page the kernel maps into every process, a small ELF shared object whose
//! `__kernel_vsyscall` enters the kernel (by `sysenter`, with `int $0x80` as the restart
//! path, laid out as Linux lays it out) and whose `__kernel_sigreturn` and
//! `__kernel_rt_sigreturn` are the signal trampolines.
//!
//! The image is generated here, byte by byte, from named offsets; glibc finds the symbols
//! through `AT_SYSINFO_EHDR` (dynamic section, SysV hash, symbol table) and the entry
//! through `AT_SYSINFO`. It carries no time functions: glibc then makes the system call,
//! which the emulator answers just as fast.

use crate::mm::PAGE_SIZE;

const EHDR: usize = 0x000;
const PHDRS: usize = 0x034;
const HASH: usize = 0x080;
const DYNSYM: usize = 0x100;
const DYNSTR: usize = 0x200;
const DYNAMIC: usize = 0x300;
const TEXT: usize = 0x400;

/// Offset of `__kernel_vsyscall` in the page (`AT_SYSINFO` = base + this).
pub const KERNEL_VSYSCALL: u32 = TEXT as u32;
/// Offset of the `sysenter` instruction inside `__kernel_vsyscall`.
pub const SYSENTER_AT: u32 = KERNEL_VSYSCALL + 5;
/// Where a system call entered by `sysenter` returns: after the `int $0x80` restart
/// instruction, at the `pop %ebp`.
pub const SYSENTER_RETURN: u32 = SYSENTER_AT + 4;
/// Offset of `__kernel_sigreturn` (`pop %eax; mov $119, %eax; int $0x80`).
pub const KERNEL_SIGRETURN: u32 = TEXT as u32 + 0x20;
/// Offset of `__kernel_rt_sigreturn` (`mov $173, %eax; int $0x80`).
pub const KERNEL_RT_SIGRETURN: u32 = TEXT as u32 + 0x40;

const VSYSCALL_CODE: &[u8] = &[
    0x51, // push %ecx
    0x52, // push %edx
    0x55, // push %ebp
    0x89, 0xe5, // mov %esp,%ebp
    0x0f, 0x34, // sysenter
    0xcd, 0x80, // int $0x80  (restart path)
    0x5d, // pop %ebp    <- SYSENTER_RETURN
    0x5a, // pop %edx
    0x59, // pop %ecx
    0xc3, // ret
];
const SIGRETURN_CODE: &[u8] = &[0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80];
const RT_SIGRETURN_CODE: &[u8] = &[0xb8, 173, 0, 0, 0, 0xcd, 0x80];

struct Symbol {
    name: &'static str,
    offset: u32,
    size: u32,
}

const SYMBOLS: &[Symbol] = &[
    Symbol {
        name: "__kernel_vsyscall",
        offset: KERNEL_VSYSCALL,
        size: VSYSCALL_CODE.len() as u32,
    },
    Symbol {
        name: "__kernel_sigreturn",
        offset: KERNEL_SIGRETURN,
        size: SIGRETURN_CODE.len() as u32,
    },
    Symbol {
        name: "__kernel_rt_sigreturn",
        offset: KERNEL_RT_SIGRETURN,
        size: RT_SIGRETURN_CODE.len() as u32,
    },
];
const SONAME: &str = "linux-gate.so.1";

/// The vDSO page, linked at address 0 (glibc adds the load address).
pub fn image() -> Vec<u8> {
    let mut page = vec![0u8; PAGE_SIZE as usize];
    let mut put = |at: usize, bytes: &[u8]| page[at..at + bytes.len()].copy_from_slice(bytes);

    // String table: "\0" SONAME "\0" names...
    let mut strtab = vec![0u8];
    let soname_at = strtab.len() as u32;
    strtab.extend_from_slice(SONAME.as_bytes());
    strtab.push(0);
    let mut name_at = Vec::new();
    for symbol in SYMBOLS {
        name_at.push(strtab.len() as u32);
        strtab.extend_from_slice(symbol.name.as_bytes());
        strtab.push(0);
    }

    // ELF header.
    let mut ehdr = Vec::new();
    ehdr.extend_from_slice(b"\x7fELF\x01\x01\x01\x00");
    ehdr.extend_from_slice(&[0; 8]);
    ehdr.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
    ehdr.extend_from_slice(&3u16.to_le_bytes()); // EM_386
    ehdr.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    ehdr.extend_from_slice(&KERNEL_VSYSCALL.to_le_bytes()); // e_entry
    ehdr.extend_from_slice(&(PHDRS as u32).to_le_bytes()); // e_phoff
    ehdr.extend_from_slice(&0u32.to_le_bytes()); // e_shoff
    ehdr.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    ehdr.extend_from_slice(&52u16.to_le_bytes()); // e_ehsize
    ehdr.extend_from_slice(&32u16.to_le_bytes()); // e_phentsize
    ehdr.extend_from_slice(&2u16.to_le_bytes()); // e_phnum
    ehdr.extend_from_slice(&40u16.to_le_bytes()); // e_shentsize
    ehdr.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    ehdr.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    put(EHDR, &ehdr);

    // Program headers: the whole page R+X, and the dynamic section.
    let dynamic_entries: Vec<(u32, u32)> = vec![
        (4, HASH as u32),          // DT_HASH
        (5, DYNSTR as u32),        // DT_STRTAB
        (6, DYNSYM as u32),        // DT_SYMTAB
        (10, strtab.len() as u32), // DT_STRSZ
        (11, 16),                  // DT_SYMENT
        (14, soname_at),           // DT_SONAME
        (0, 0),                    // DT_NULL
    ];
    let dynamic_size = (dynamic_entries.len() * 8) as u32;
    let phdr = |kind: u32, offset: u32, size: u32, flags: u32, align: u32| {
        let mut h = Vec::new();
        for v in [kind, offset, offset, offset, size, size, flags, align] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h
    };
    put(PHDRS, &phdr(1, 0, PAGE_SIZE, 4 | 1, PAGE_SIZE)); // PT_LOAD R+X
    put(PHDRS + 32, &phdr(2, DYNAMIC as u32, dynamic_size, 4, 4)); // PT_DYNAMIC

    // SysV hash: one bucket holding every symbol on one chain.
    let nsyms = SYMBOLS.len() as u32 + 1;
    let mut hash = Vec::new();
    for v in [1u32, nsyms, nsyms - 1] {
        hash.extend_from_slice(&v.to_le_bytes());
    }
    for index in 0..nsyms {
        hash.extend_from_slice(&index.saturating_sub(1).to_le_bytes());
    }
    put(HASH, &hash);

    // Symbol table: the null symbol, then global functions in section 1 (any defined index).
    let mut symtab = vec![0u8; 16];
    for (symbol, name) in SYMBOLS.iter().zip(&name_at) {
        symtab.extend_from_slice(&name.to_le_bytes());
        symtab.extend_from_slice(&symbol.offset.to_le_bytes());
        symtab.extend_from_slice(&symbol.size.to_le_bytes());
        symtab.extend_from_slice(&[0x12, 0]); // STB_GLOBAL | STT_FUNC, default visibility
        symtab.extend_from_slice(&1u16.to_le_bytes());
    }
    put(DYNSYM, &symtab);
    put(DYNSTR, &strtab);

    let mut dynamic = Vec::new();
    for (tag, value) in dynamic_entries {
        dynamic.extend_from_slice(&tag.to_le_bytes());
        dynamic.extend_from_slice(&value.to_le_bytes());
    }
    put(DYNAMIC, &dynamic);

    put(KERNEL_VSYSCALL as usize, VSYSCALL_CODE);
    put(KERNEL_SIGRETURN as usize, SIGRETURN_CODE);
    put(KERNEL_RT_SIGRETURN as usize, RT_SIGRETURN_CODE);
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::elf::ElfFile;

    #[test]
    fn the_vdso_is_a_valid_elf_with_its_symbols() {
        let page = image();
        let elf = ElfFile::parse(&page, page.len() as u64).expect("vDSO parses as ELF");
        assert_eq!(elf.entry, KERNEL_VSYSCALL);
        assert_eq!(elf.span(), (0, u64::from(PAGE_SIZE)));
        assert_eq!(&page[SYSENTER_AT as usize..][..2], &[0x0f, 0x34]);
        assert_eq!(page[SYSENTER_RETURN as usize], 0x5d);
        let strtab = &page[DYNSTR..DYNSTR + 0x100];
        for (index, symbol) in SYMBOLS.iter().enumerate() {
            let entry = &page[DYNSYM + 16 * (index + 1)..][..16];
            let name_at = u32::from_le_bytes(entry[0..4].try_into().unwrap()) as usize;
            let name_end = name_at + strtab[name_at..].iter().position(|&b| b == 0).unwrap();
            assert_eq!(&strtab[name_at..name_end], symbol.name.as_bytes());
            assert_eq!(
                u32::from_le_bytes(entry[4..8].try_into().unwrap()),
                symbol.offset
            );
        }
    }
}
