/**
 * A64 table: the cryptographic extensions (ARM ARM C4.1.95 "Cryptographic
 * AES", "Cryptographic three-register SHA", "Cryptographic two-register
 * SHA", C4.1.97 "Cryptographic three-register SHA 512", "two-register SHA
 * 512", "four-register" and XAR) and PMULL, the polynomial multiply that
 * GCM and CRC folding build on.
 *
 * Each entry's feature names the HWCAP bit it belongs to: aes, pmull, sha1,
 * sha2, sha512 and sha3, as Linux derives them from ID_AA64ISAR0_EL1.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';

const v = (n: number, arr: string): string => `v${n}.${arr}`;

function aes(name: string, opcode: string): InsnDef {
  return {
    name,
    pattern: `01001110 00 10100 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${name.toLowerCase()}\t${v(f.rd!, '16b')}, ${v(f.rn!, '16b')}`,
    feature: 'aes',
  };
}

/** SHA1/SHA256 three-register: `01011110 00 0 Rm 0 opcode 00 Rn Rd`. */
function sha3reg(name: string, opcode: string, text: (f: Fields) => string, feature: string): InsnDef {
  return { name, pattern: `01011110 00 0 rm:5 0 ${opcode} 00 rn:5 rd:5`, disasm: (f) => `${name.toLowerCase()}\t${text(f)}`, feature };
}

/** SHA1/SHA256 two-register: `01011110 00 10100 opcode 10 Rn Rd`. */
function sha2reg(name: string, opcode: string, text: (f: Fields) => string, feature: string): InsnDef {
  return { name, pattern: `01011110 00 10100 ${opcode} 10 rn:5 rd:5`, disasm: (f) => `${name.toLowerCase()}\t${text(f)}`, feature };
}

const hashOps = (f: Fields): string => `q${f.rd}, s${f.rn}, ${v(f.rm!, '4s')}`;
const qqv = (arr: string) => (f: Fields): string => `q${f.rd}, q${f.rn}, ${v(f.rm!, arr)}`;
const vvv = (arr: string) => (f: Fields): string => `${v(f.rd!, arr)}, ${v(f.rn!, arr)}, ${v(f.rm!, arr)}`;
const vv = (arr: string) => (f: Fields): string => `${v(f.rd!, arr)}, ${v(f.rn!, arr)}`;

/** SHA512 three-register: `11001110 011 Rm 1 0 00 opcode Rn Rd`. */
function sha512reg(name: string, opcode: string, text: (f: Fields) => string, feature: string): InsnDef {
  return { name, pattern: `11001110 011 rm:5 1 0 00 ${opcode} rn:5 rd:5`, disasm: (f) => `${name.toLowerCase()}\t${text(f)}`, feature };
}

/** Four-register: `11001110 0 op0 Rm 0 Ra Rn Rd` (EOR3, BCAX). */
function four(name: string, op0: string): InsnDef {
  return {
    name,
    pattern: `11001110 0 ${op0} rm:5 0 ra:5 rn:5 rd:5`,
    disasm: (f) => `${name.toLowerCase()}\t${v(f.rd!, '16b')}, ${v(f.rn!, '16b')}, ${v(f.rm!, '16b')}, ${v(f.ra!, '16b')}`,
    feature: 'sha3',
  };
}

export const cryptoDefs: InsnDef[] = [
  aes('AESE', '00100'),
  aes('AESD', '00101'),
  aes('AESMC', '00110'),
  aes('AESIMC', '00111'),

  // PMULL{2}: size 0 (8 x 8 -> 16 bits) is base Advanced SIMD; size 3 (64 x 64 -> 128) is FEAT_PMULL.
  {
    name: 'PMULL_8', pattern: '0 q:1 0 01110 00 1 rm:5 1110 00 rn:5 rd:5',
    disasm: (f) => `pmull${f.q ? '2' : ''}\t${v(f.rd!, '8h')}, ${v(f.rn!, f.q ? '16b' : '8b')}, ${v(f.rm!, f.q ? '16b' : '8b')}`,
    feature: 'asimd',
  },
  {
    name: 'PMULL_64', pattern: '0 q:1 0 01110 11 1 rm:5 1110 00 rn:5 rd:5',
    disasm: (f) => `pmull${f.q ? '2' : ''}\t${v(f.rd!, '1q')}, ${v(f.rn!, f.q ? '2d' : '1d')}, ${v(f.rm!, f.q ? '2d' : '1d')}`,
    feature: 'pmull',
  },

  sha3reg('SHA1C', '000', hashOps, 'sha1'),
  sha3reg('SHA1P', '001', hashOps, 'sha1'),
  sha3reg('SHA1M', '010', hashOps, 'sha1'),
  sha3reg('SHA1SU0', '011', vvv('4s'), 'sha1'),
  sha3reg('SHA256H', '100', qqv('4s'), 'sha2'),
  sha3reg('SHA256H2', '101', qqv('4s'), 'sha2'),
  sha3reg('SHA256SU1', '110', vvv('4s'), 'sha2'),
  sha2reg('SHA1H', '00000', (f) => `s${f.rd}, s${f.rn}`, 'sha1'),
  sha2reg('SHA1SU1', '00001', vv('4s'), 'sha1'),
  sha2reg('SHA256SU0', '00010', vv('4s'), 'sha2'),

  sha512reg('SHA512H', '00', qqv('2d'), 'sha512'),
  sha512reg('SHA512H2', '01', qqv('2d'), 'sha512'),
  sha512reg('SHA512SU1', '10', vvv('2d'), 'sha512'),
  sha512reg('RAX1', '11', vvv('2d'), 'sha3'),
  { name: 'SHA512SU0', pattern: '11001110 110 00000 1000 00 rn:5 rd:5', disasm: (f) => `sha512su0\t${vv('2d')(f)}`, feature: 'sha512' },

  four('EOR3', '00'),
  four('BCAX', '01'),
  {
    name: 'XAR', pattern: '11001110 100 rm:5 imm6:6 rn:5 rd:5',
    disasm: (f) => `xar\t${vvv('2d')(f)}, #${f.imm6}`,
    feature: 'sha3',
  },
];
