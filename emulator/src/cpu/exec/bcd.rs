//! Decimal adjust instructions: daa das aaa aas aam aad (aam 0 raises #DE).
//! Follows the SDM pseudo-code; flags it calls undefined are left as computed here.

use super::Handler;
use crate::cpu::fault::{FaultKind, Step};
use crate::cpu::flags::zsp;
use crate::cpu::state::{eflags::*, CpuState, EAX};
use iced_x86::Instruction;

pub(super) fn execute(h: Handler, s: &mut CpuState, i: &Instruction) -> Step {
    let al = s.gpr[EAX] & 0xff;
    let ah = (s.gpr[EAX] >> 8) & 0xff;
    let cf = s.flags.cf();
    let af = s.flags.af();
    match h {
        Handler::Daa | Handler::Das => {
            let mut new_al = al;
            let mut new_cf = false;
            let mut new_af = false;
            if al & 0xf > 9 || af {
                if h == Handler::Daa {
                    new_cf = cf || al + 6 > 0xff;
                    new_al = (al + 6) & 0xff;
                } else {
                    new_cf = cf || al < 6;
                    new_al = al.wrapping_sub(6) & 0xff;
                }
                new_af = true;
            }
            if al > 0x99 || cf {
                new_al = if h == Handler::Daa {
                    new_al + 0x60
                } else {
                    new_al.wrapping_sub(0x60)
                } & 0xff;
                new_cf = true;
            }
            s.set_gpr_sized(EAX, 1, new_al);
            let f = zsp(new_al, 1) | if new_cf { CF } else { 0 } | if new_af { AF } else { 0 };
            s.flags.set_some(CF | AF | ZF | SF | PF, f);
        }
        Handler::Aaa | Handler::Aas => {
            let ax = s.gpr[EAX] & 0xffff;
            let adjust = al & 0xf > 9 || af;
            let new_ax = if !adjust {
                ax
            } else if h == Handler::Aaa {
                ax.wrapping_add(0x106)
            } else {
                ax.wrapping_sub(6).wrapping_sub(0x100)
            };
            let new_ax = new_ax & 0xff0f;
            s.set_gpr_sized(EAX, 2, new_ax);
            let f = if adjust { CF | AF } else { 0 };
            s.flags.set_some(CF | AF, f);
        }
        Handler::Aam => {
            let base = i.immediate8() as u32;
            if base == 0 {
                return Err(FaultKind::DivideError.into());
            }
            let new_al = al % base;
            s.set_gpr_sized(EAX, 2, (al / base) << 8 | new_al);
            s.flags.set_some(STATUS, zsp(new_al, 1));
        }
        _ => {
            // aad
            let base = i.immediate8() as u32;
            let new_al = (al + ah * base) & 0xff;
            s.set_gpr_sized(EAX, 2, new_al);
            s.flags.set_some(STATUS, zsp(new_al, 1));
        }
    }
    Ok(())
}
