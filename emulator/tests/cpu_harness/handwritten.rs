//! Hand-written cases: every instruction family over edge values (0, 1, -1, 0x7fffffff,
//! 0x80000000, shift counts 0/1/31/32+, zero divisors, page-edge memory, ...). The
//! expected results come from the host CPU, never from this file.

use super::case::*;

const EDGES: [u32; 14] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0xffff_fffe,
    0xffff_ffff,
];
const CF: u32 = 1;
const AF: u32 = 0x10;

pub struct Labeled {
    pub label: String,
    pub case: Case,
}

fn case(bytes: &[u8], regs: [u32; 8], eflags: u32) -> Case {
    let mut c = Case::new(bytes);
    c.regs = regs;
    c.regs[4] = if c.regs[4] == 0 {
        DATA + 0x800
    } else {
        c.regs[4]
    };
    c.eflags = 0x202 | eflags;
    c
}

/// eax = a, ebx = b (and ecx = b for shift counts), for each carry-in.
fn grid(out: &mut Vec<Labeled>, name: &str, bytes: &[u8]) {
    for &a in &EDGES {
        for &b in &EDGES {
            for cf in [0, CF] {
                out.push(Labeled {
                    label: format!("{name} a={a:#x} b={b:#x} cf={cf}"),
                    case: case(bytes, [a, b, 0x1234_5678, b, 0, 0, 0, 0], cf),
                });
            }
        }
    }
}

/// eax = a, ecx = count, edx = a ^ 0x5a5a5a5a (second shld/shrd operand).
fn shift_grid(out: &mut Vec<Labeled>, name: &str, bytes: &[u8]) {
    for &a in &EDGES {
        for count in [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255] {
            for cf in [0, CF] {
                out.push(Labeled {
                    label: format!("{name} a={a:#x} count={count} cf={cf}"),
                    case: case(bytes, [a, count, a ^ 0x5a5a_5a5a, 0, 0, 0, 0, 0], cf),
                });
            }
        }
    }
}

pub fn cases() -> Vec<Labeled> {
    let mut v = Vec::new();
    // ALU, all widths (register forms) and memory destinations.
    for (name, op) in [
        ("add", 0x01u8),
        ("or", 0x09),
        ("adc", 0x11),
        ("sbb", 0x19),
        ("and", 0x21),
        ("sub", 0x29),
        ("xor", 0x31),
        ("cmp", 0x39),
        ("test", 0x85),
    ] {
        grid(&mut v, &format!("{name} eax,ebx"), &[op, 0xd8]);
        grid(&mut v, &format!("{name} ax,bx"), &[0x66, op, 0xd8]);
        grid(&mut v, &format!("{name} al,bl"), &[op - 1, 0xd8]);
        grid(&mut v, &format!("{name} ah,bh"), &[op - 1, 0xfc]);
    }
    for (name, digit) in [("inc", 0u8), ("dec", 1)] {
        grid(&mut v, &format!("{name} eax"), &[0xff, 0xc0 | digit << 3]);
        grid(&mut v, &format!("{name} al"), &[0xfe, 0xc0 | digit << 3]);
    }
    for (name, digit) in [
        ("not", 2u8),
        ("neg", 3),
        ("mul", 4),
        ("imul", 5),
        ("div", 6),
        ("idiv", 7),
    ] {
        grid(&mut v, &format!("{name} ebx"), &[0xf7, 0xc3 | digit << 3]);
        grid(
            &mut v,
            &format!("{name} bx"),
            &[0x66, 0xf7, 0xc3 | digit << 3],
        );
        grid(&mut v, &format!("{name} bl"), &[0xf6, 0xc3 | digit << 3]);
    }
    grid(&mut v, "imul eax,ebx", &[0x0f, 0xaf, 0xc3]);
    grid(&mut v, "imul ax,bx", &[0x66, 0x0f, 0xaf, 0xc3]);
    grid(&mut v, "imul eax,ebx,-3", &[0x6b, 0xc3, 0xfd]);
    grid(
        &mut v,
        "imul eax,ebx,0x12345",
        &[0x69, 0xc3, 0x45, 0x23, 0x01, 0x00],
    );
    // Shifts and rotates by cl, 8/16/32-bit, and by immediate 1.
    for (name, digit) in [
        ("rol", 0u8),
        ("ror", 1),
        ("rcl", 2),
        ("rcr", 3),
        ("shl", 4),
        ("shr", 5),
        ("sar", 7),
    ] {
        shift_grid(
            &mut v,
            &format!("{name} eax,cl"),
            &[0xd3, 0xc0 | digit << 3],
        );
        shift_grid(
            &mut v,
            &format!("{name} ax,cl"),
            &[0x66, 0xd3, 0xc0 | digit << 3],
        );
        shift_grid(&mut v, &format!("{name} al,cl"), &[0xd2, 0xc0 | digit << 3]);
        shift_grid(&mut v, &format!("{name} eax,1"), &[0xd1, 0xc0 | digit << 3]);
    }
    shift_grid(&mut v, "shld eax,edx,cl", &[0x0f, 0xa5, 0xd0]);
    shift_grid(&mut v, "shrd eax,edx,cl", &[0x0f, 0xad, 0xd0]);
    shift_grid(&mut v, "shld eax,edx,5", &[0x0f, 0xa4, 0xd0, 0x05]);
    // Bit instructions.
    for (name, op) in [("bt", 0xa3u8), ("bts", 0xab), ("btr", 0xb3), ("btc", 0xbb)] {
        grid(&mut v, &format!("{name} eax,ebx"), &[0x0f, op, 0xd8]);
        grid(&mut v, &format!("{name} ax,bx"), &[0x66, 0x0f, op, 0xd8]);
    }
    grid(&mut v, "bsf eax,ebx", &[0x0f, 0xbc, 0xc3]);
    grid(&mut v, "bsr eax,ebx", &[0x0f, 0xbd, 0xc3]);
    grid(&mut v, "bsr ax,bx", &[0x66, 0x0f, 0xbd, 0xc3]);
    grid(&mut v, "tzcnt eax,ebx", &[0xf3, 0x0f, 0xbc, 0xc3]);
    grid(&mut v, "lzcnt eax,ebx", &[0xf3, 0x0f, 0xbd, 0xc3]);
    grid(&mut v, "lzcnt ax,bx", &[0x66, 0xf3, 0x0f, 0xbd, 0xc3]);
    grid(&mut v, "popcnt eax,ebx", &[0xf3, 0x0f, 0xb8, 0xc3]);
    // Bit test with a register offset into memory: offsets reach neighbouring dwords.
    for off in [0u32, 31, 32, 0xffff_ffff, 0xffff_ffe0, 100, 0x7fff] {
        let regs = [0, off, 0, DATA + 0x800, 0, 0, 0, 0];
        v.push(Labeled {
            label: format!("bts [ebx],ecx off={off:#x}"),
            case: case(&[0x0f, 0xab, 0x0b], regs, 0),
        });
    }
    // BCD over all AL values with AF/CF in.
    for (name, op) in [
        ("daa", &[0x27u8][..]),
        ("das", &[0x2f]),
        ("aaa", &[0x37]),
        ("aas", &[0x3f]),
        ("aam", &[0xd4, 0x0a]),
        ("aad", &[0xd5, 0x0a]),
        ("aam 0", &[0xd4, 0x00]),
        ("aam 7", &[0xd4, 0x07]),
    ] {
        for al in 0..=255u32 {
            for flags in [0, CF, AF, CF | AF] {
                let regs = [0x1200 | al, 0, 0, 0, 0, 0, 0, 0];
                v.push(Labeled {
                    label: format!("{name} al={al:#x} flags={flags:#x}"),
                    case: case(op, regs, flags),
                });
            }
        }
    }
    // Conditions: every flag combination for jcc, setcc, cmovcc.
    for cc in 0..16u8 {
        for flags in 0..64u32 {
            let eflags = (flags & 1)
                | (flags & 2) << 1
                | (flags & 4) << 2
                | (flags & 8) << 3
                | (flags & 16) << 3
                | (flags & 32) << 6;
            let regs = [1, 2, 3, 4, 0, 0, 0, 0];
            v.push(Labeled {
                label: format!("jcc {cc:x} flags={eflags:#x}"),
                case: case(&[0x70 | cc, 0x10], regs, eflags),
            });
            v.push(Labeled {
                label: format!("setcc {cc:x} flags={eflags:#x}"),
                case: case(&[0x0f, 0x90 | cc, 0xc0], regs, eflags),
            });
            v.push(Labeled {
                label: format!("cmovcc {cc:x} flags={eflags:#x}"),
                case: case(&[0x0f, 0x40 | cc, 0xc3], regs, eflags),
            });
        }
    }
    // String instructions with rep prefixes, both directions, faulting mid-way.
    let strings: [(&str, &[u8]); 12] = [
        ("rep movsb", &[0xf3, 0xa4]),
        ("rep movsd", &[0xf3, 0xa5]),
        ("rep movsw", &[0x66, 0xf3, 0xa5]),
        ("rep stosd", &[0xf3, 0xab]),
        ("rep stosb", &[0xf3, 0xaa]),
        ("rep lodsb", &[0xf3, 0xac]),
        ("repe cmpsb", &[0xf3, 0xa6]),
        ("repne cmpsd", &[0xf2, 0xa7]),
        ("repe scasb", &[0xf3, 0xae]),
        ("repne scasd", &[0xf2, 0xaf]),
        ("movsd", &[0xa5]),
        ("a16 rep stosb", &[0x67, 0xf3, 0xaa]),
    ];
    for (name, bytes) in strings {
        for count in [0u32, 1, 5, 40, 0x1_0003] {
            for df in [0u32, 0x400] {
                for (src, dst) in [
                    (DATA + 0x100, DATA + 0x800),
                    (DATA + 0x800, DATA + 0x100),
                    (DATA + 0xff0, RO_PAGE - 8),
                    (RO_PAGE + 0xff0, DATA + 8),
                    (DATA + 0x10, DATA + 0x10),
                ] {
                    let regs = [0x41, count, 0, 0, 0, 0, src, dst];
                    v.push(Labeled {
                        label: format!("{name} ecx={count:#x} df={df} esi={src:#x} edi={dst:#x}"),
                        case: case(bytes, regs, df),
                    });
                }
            }
        }
    }
    // Stack.
    for esp in [
        DATA + 0x800,
        DATA + 2,
        DATA,
        DATA + 0x1000,
        RO_PAGE + 0x10,
        DATA + 0x1c,
    ] {
        let regs = [
            0x1111_1111,
            0x2222_2222,
            0x3333_3333,
            0x4444_4444,
            esp,
            DATA + 0x100,
            0x7777_7777,
            0x8888_8888,
        ];
        let stack_ops: [(&str, &[u8]); 22] = [
            ("push eax", &[0x50]),
            ("push esp", &[0x54]),
            ("pop eax", &[0x58]),
            ("pop esp", &[0x5c]),
            ("push ax", &[0x66, 0x50]),
            ("pop ax", &[0x66, 0x58]),
            ("pushad", &[0x60]),
            ("popad", &[0x61]),
            ("pushaw", &[0x66, 0x60]),
            ("popaw", &[0x66, 0x61]),
            ("pushfd", &[0x9c]),
            ("popfd", &[0x9d]),
            ("push [esp+4]", &[0xff, 0x74, 0x24, 0x04]),
            ("pop [esp+4]", &[0x8f, 0x44, 0x24, 0x04]),
            ("push imm8", &[0x6a, 0xfe]),
            ("enter 16,0", &[0xc8, 0x10, 0x00, 0x00]),
            ("enter 8,3", &[0xc8, 0x08, 0x00, 0x03]),
            ("leave", &[0xc9]),
            ("call rel", &[0xe8, 0x10, 0, 0, 0]),
            ("ret", &[0xc3]),
            ("ret 8", &[0xc2, 0x08, 0x00]),
            ("call [esp]", &[0xff, 0x14, 0x24]),
        ];
        for (name, bytes) in stack_ops {
            v.push(Labeled {
                label: format!("{name} esp={esp:#x}"),
                case: case(bytes, regs, 0),
            });
        }
    }
    // Data movement and exchange.
    let misc: [(&str, &[u8]); 24] = [
        ("xchg eax,ebx", &[0x93]),
        ("xchg [edi],eax", &[0x87, 0x07]),
        ("xadd [edi],eax", &[0x0f, 0xc1, 0x07]),
        ("lock xadd [edi],eax", &[0xf0, 0x0f, 0xc1, 0x07]),
        ("cmpxchg [edi],ebx", &[0x0f, 0xb1, 0x1f]),
        ("cmpxchg ebx,ecx", &[0x0f, 0xb1, 0xcb]),
        ("cmpxchg8b [edi]", &[0x0f, 0xc7, 0x0f]),
        ("lock cmpxchg8b [edi]", &[0xf0, 0x0f, 0xc7, 0x0f]),
        ("bswap eax", &[0x0f, 0xc8]),
        ("movzx eax,bl", &[0x0f, 0xb6, 0xc3]),
        ("movsx eax,bx", &[0x0f, 0xbf, 0xc3]),
        ("movsx ax,bl", &[0x66, 0x0f, 0xbe, 0xc3]),
        ("cbw", &[0x66, 0x98]),
        ("cwde", &[0x98]),
        ("cwd", &[0x66, 0x99]),
        ("cdq", &[0x99]),
        ("lahf", &[0x9f]),
        ("sahf", &[0x9e]),
        ("xlat", &[0xd7]),
        ("salc", &[0xd6]),
        ("lea eax,[ebx+ecx*4+0x10]", &[0x8d, 0x44, 0x8b, 0x10]),
        ("lea ax,[bx+si]", &[0x66, 0x67, 0x8d, 0x00]),
        ("lock add eax,ebx (invalid)", &[0xf0, 0x01, 0xd8]),
        ("mov eax,cs", &[0x8c, 0xc8]),
    ];
    for (name, bytes) in misc {
        for &a in &EDGES {
            for edi in [DATA + 0x100, DATA + 0xffc, RO_PAGE + 8, DATA - 4] {
                let regs = [a, a ^ 0xffff, a.rotate_left(8), DATA + 0x80, 0, 0, 0, edi];
                v.push(Labeled {
                    label: format!("{name} a={a:#x} edi={edi:#x}"),
                    case: case(bytes, regs, 0xd5),
                });
            }
        }
    }
    // Control flow and system instructions.
    let control: [(&str, &[u8]); 16] = [
        ("loop", &[0xe2, 0x10]),
        ("loope", &[0xe1, 0x10]),
        ("loopne", &[0xe0, 0x10]),
        ("jecxz", &[0xe3, 0x10]),
        ("jcxz", &[0x67, 0xe3, 0x10]),
        ("jmp eax", &[0xff, 0xe0]),
        ("call eax", &[0xff, 0xd0]),
        ("jmp rel8 back", &[0xeb, 0x80]),
        ("int3", &[0xcc]),
        ("int 3", &[0xcd, 0x03]),
        ("int 0x21", &[0xcd, 0x21]),
        ("into", &[0xce]),
        ("ud2", &[0x0f, 0x0b]),
        ("hlt", &[0xf4]),
        ("cpuid", &[0x0f, 0xa2]),
        ("rdtsc", &[0x0f, 0x31]),
    ];
    for (name, bytes) in control {
        for ecx in [0u32, 1, 2, 0x10000, 0xffff_ffff] {
            for flags in [0u32, 0x40, 0x800, 0x840] {
                let regs = [CODE + 0x40, ecx, 0, 0, 0, 0, 0, 0];
                v.push(Labeled {
                    label: format!("{name} ecx={ecx:#x} flags={flags:#x}"),
                    case: case(bytes, regs, flags),
                });
            }
        }
    }
    // fs/gs overrides: the runner gives the guest TLS descriptors with known bases.
    let segmented: [(&str, &[u8]); 9] = [
        ("mov eax,fs:[0x10]", &[0x64, 0xa1, 0x10, 0, 0, 0]),
        ("mov eax,gs:[0x204]", &[0x65, 0xa1, 0x04, 0x02, 0, 0]),
        ("mov gs:[ebx],eax", &[0x65, 0x89, 0x03]),
        ("add fs:[ebx],eax", &[0x64, 0x01, 0x03]),
        ("push gs", &[0x0f, 0xa8]),
        ("mov eax,gs", &[0x8c, 0xe8]),
        ("mov eax,fs", &[0x8c, 0xe0]),
        ("fs rep movsb", &[0x64, 0xf3, 0xa4]),
        ("gs xlat", &[0x65, 0xd7]),
    ];
    for (name, bytes) in segmented {
        for ebx in [
            0u32,
            0x200,
            0xbfc,
            0xffc,
            0x1_0000,
            0xffff_fe00,
            0xffff_fffd,
            0xffff_ffff,
        ] {
            let regs = [0x1234_5678, 8, 0, ebx, 0, 0, ebx, DATA + 0x100];
            v.push(Labeled {
                label: format!("{name} ebx={ebx:#x}"),
                case: case(bytes, regs, 0),
            });
        }
    }
    // Offsets that run past the 4 GiB segment limit: #GP, or #SS through ss.
    for off in [0xffff_fffcu32, 0xffff_fffd, 0xffff_ffff] {
        let esp = DATA + 0x800;
        let regs = [0, 0, 0, off, esp, off, 0, 0];
        let wraps: [(&str, &[u8]); 4] = [
            ("mov eax,[ebx]", &[0x8b, 0x03]),
            ("mov eax,[ebp]", &[0x8b, 0x45, 0x00]),
            ("add [ebx],ax", &[0x66, 0x01, 0x03]),
            ("mov eax,[esp+ebx+4]", &[0x8b, 0x44, 0x1c, 0x04]),
        ];
        for (name, bytes) in wraps {
            v.push(Labeled {
                label: format!("{name} offset={off:#x}"),
                case: case(bytes, regs, 0),
            });
        }
    }
    // Implicit stack and string accesses past 4 GiB: #SS (SIGBUS) / #GP part-way.
    for esp in [2u32, 0xffff_ffff, 0xffff_fffe] {
        let regs = [0, 0, 0, 0, esp, 1, 0, 0];
        let ops: [(&str, &[u8]); 6] = [
            ("push eax", &[0x50]),
            ("pop eax", &[0x58]),
            ("ret", &[0xc3]),
            ("call rel", &[0xe8, 0x10, 0, 0, 0]),
            ("pushfd", &[0x9c]),
            ("pop dword [eax]", &[0x8f, 0x00]),
        ];
        for (name, bytes) in ops {
            v.push(Labeled {
                label: format!("{name} esp={esp:#x}"),
                case: case(bytes, regs, 0),
            });
        }
    }
    for (esi, ecx, df) in [
        (0xffff_fffeu32, 0u32, 0u32),
        (6, 5, 0x400),
        (0xffff_fff6, 5, 0),
    ] {
        let regs = [0, ecx, 0, 0, 0, 0, esi, DATA + 0x100];
        let ops: [(&str, &[u8]); 3] = [
            ("fs lodsd", &[0x64, 0xad]),
            ("fs rep lodsd", &[0x64, 0xf3, 0xad]),
            ("gs rep movsd", &[0x65, 0xf3, 0xa5]),
        ];
        for (name, bytes) in ops {
            v.push(Labeled {
                label: format!("{name} esi={esi:#x} ecx={ecx}"),
                case: case(bytes, regs, df),
            });
        }
    }
    // Privileged instructions: #GP in user mode (in/out too, with IOPL 0).
    let privileged: [(&str, &[u8]); 24] = [
        ("in al,0x60", &[0xe4, 0x60]),
        ("in eax,dx", &[0xed]),
        ("out 0x80,al", &[0xe6, 0x80]),
        ("out dx,al", &[0xee]),
        ("insb", &[0x6c]),
        ("insd", &[0x6d]),
        ("outsb", &[0x6e]),
        ("outsw", &[0x66, 0x6f]),
        ("clts", &[0x0f, 0x06]),
        ("invd", &[0x0f, 0x08]),
        ("wbinvd", &[0x0f, 0x09]),
        ("invlpg [eax]", &[0x0f, 0x01, 0x38]),
        ("lgdt [eax]", &[0x0f, 0x01, 0x10]),
        ("lidt [eax]", &[0x0f, 0x01, 0x18]),
        ("lldt ax", &[0x0f, 0x00, 0xd0]),
        ("ltr ax", &[0x0f, 0x00, 0xd8]),
        ("lmsw ax", &[0x0f, 0x01, 0xf0]),
        ("rdmsr", &[0x0f, 0x32]),
        ("wrmsr", &[0x0f, 0x30]),
        ("sti", &[0xfb]),
        ("cli", &[0xfa]),
        ("pause", &[0xf3, 0x90]),
        ("insw", &[0x66, 0x6d]),
        ("outsd", &[0x6f]),
    ];
    for (name, bytes) in privileged {
        let regs = [CODE + 0x40, 0, 0x60, DATA, 0, 0, DATA + 0x10, DATA + 0x20];
        v.push(Labeled {
            label: name.to_string(),
            case: case(bytes, regs, 0),
        });
    }
    v
}
