/**
 * The guest's registers as GDB numbers them for AArch64, and the target
 * description that says so: org.gnu.gdb.aarch64.core (x0-x30, sp, pc, cpsr)
 * and org.gnu.gdb.aarch64.fpu (v0-v31, fpsr, fpcr), in the order and with
 * the types of GDB's own aarch64-core.xml and aarch64-fpu.xml, so GDB and
 * LLDB number them as they do for a native Linux process.
 * Only the guest's EL0 view exists here: the shim and EL1 state are not
 * registers of the debugged program.
 */

export interface GdbRegister {
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  readonly type: string;
  /** Which file it lives in. */
  readonly kind: 'x' | 'sp' | 'pc' | 'cpsr' | 'v' | 'fpsr' | 'fpcr';
  /** Index within its kind (x0..x30, v0..v31). */
  readonly index: number;
  readonly feature: 'core' | 'fpu';
  /** LLDB's generic role and DWARF number (qRegisterInfo). */
  readonly generic?: string;
  readonly dwarf: number;
}

function build(): GdbRegister[] {
  const regs: GdbRegister[] = [];
  for (let i = 0; i < 31; i++) {
    const generic = i < 8 ? `arg${i + 1}` : i === 29 ? 'fp' : i === 30 ? 'ra' : undefined;
    regs.push({ name: `x${i}`, size: 8, type: 'int', kind: 'x', index: i, feature: 'core', dwarf: i, ...(generic ? { generic } : {}) });
  }
  regs.push({ name: 'sp', size: 8, type: 'data_ptr', kind: 'sp', index: 0, feature: 'core', generic: 'sp', dwarf: 31 });
  regs.push({ name: 'pc', size: 8, type: 'code_ptr', kind: 'pc', index: 0, feature: 'core', generic: 'pc', dwarf: 32 });
  regs.push({ name: 'cpsr', size: 4, type: 'cpsr_flags', kind: 'cpsr', index: 0, feature: 'core', generic: 'flags', dwarf: 33 });
  for (let i = 0; i < 32; i++) regs.push({ name: `v${i}`, size: 16, type: 'aarch64v', kind: 'v', index: i, feature: 'fpu', dwarf: 64 + i });
  regs.push({ name: 'fpsr', size: 4, type: 'int', kind: 'fpsr', index: 0, feature: 'fpu', dwarf: -1 });
  regs.push({ name: 'fpcr', size: 4, type: 'int', kind: 'fpcr', index: 0, feature: 'fpu', dwarf: -1 });
  return regs;
}

export const GDB_REGISTERS: readonly GdbRegister[] = build();

const CORE_TYPES = `  <flags id="cpsr_flags" size="4">
    <field name="SP" start="0" end="0"/>
    <field name="EL" start="2" end="3" type="uint8"/>
    <field name="nRW" start="4" end="4"/>
    <field name="F" start="6" end="6"/>
    <field name="I" start="7" end="7"/>
    <field name="A" start="8" end="8"/>
    <field name="D" start="9" end="9"/>
    <field name="BTYPE" start="10" end="11" type="uint8"/>
    <field name="SSBS" start="12" end="12"/>
    <field name="IL" start="20" end="20"/>
    <field name="SS" start="21" end="21"/>
    <field name="PAN" start="22" end="22"/>
    <field name="UAO" start="23" end="23"/>
    <field name="DIT" start="24" end="24"/>
    <field name="TCO" start="25" end="25"/>
    <field name="V" start="28" end="28"/>
    <field name="C" start="29" end="29"/>
    <field name="Z" start="30" end="30"/>
    <field name="N" start="31" end="31"/>
  </flags>
`;

const FPU_TYPES = `  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v2u" type="uint64" count="2"/>
  <vector id="v2i" type="int64" count="2"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v4u" type="uint32" count="4"/>
  <vector id="v4i" type="int32" count="4"/>
  <vector id="v8u" type="uint16" count="8"/>
  <vector id="v8i" type="int16" count="8"/>
  <vector id="v16u" type="uint8" count="16"/>
  <vector id="v16i" type="int8" count="16"/>
  <vector id="v1u" type="uint128" count="1"/>
  <vector id="v1i" type="int128" count="1"/>
  <union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
  <union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
  <union id="vnh"><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
  <union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
  <union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
  <union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
`;

function feature(name: 'core' | 'fpu', types: string): string {
  const regs = GDB_REGISTERS.map((r, n) => ({ r, n })).filter(({ r }) => r.feature === name);
  const lines = regs.map(({ r, n }) => {
    const type = r.type === 'int' ? '' : ` type="${r.type}"`;
    return `  <reg name="${r.name}" bitsize="${r.size * 8}"${type} regnum="${n}"/>`;
  });
  return `<feature name="org.gnu.gdb.aarch64.${name}">\n${types}${lines.join('\n')}\n</feature>\n`;
}

/** target.xml, as qXfer:features:read serves it. */
export const TARGET_XML =
  '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n' +
  '<architecture>aarch64</architecture>\n<osabi>GNU/Linux</osabi>\n' +
  feature('core', CORE_TYPES) +
  feature('fpu', FPU_TYPES) +
  '</target>\n';
