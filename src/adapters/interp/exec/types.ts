/** The shape of instruction semantics: a builder turns decoded fields into a closure. */
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Exec } from '../cpu.js';

export type ExecBuilder = (f: Fields) => Exec;
export type ExecTable = Record<string, ExecBuilder>;
