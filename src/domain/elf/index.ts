/** The ELF64 model, its parser and its error: the domain's one door to ELF files. */
export * from './model.js';
export * from './errors.js';
export * from './source.js';
export { parseElf, machineName } from './parse.js';
