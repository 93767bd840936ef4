/**
 * ElfError: the one error the ELF parser throws. `reason` is a stable code
 * the exec path maps to ENOEXEC (or reports to the user); `message` is one
 * line naming what is wrong with the file.
 */

export type ElfErrorReason =
  | 'bad-magic'
  | 'bad-class'
  | 'bad-encoding'
  | 'bad-version'
  | 'bad-machine'
  | 'bad-type'
  | 'truncated-header'
  | 'truncated-phdrs'
  | 'bad-phdr-size'
  | 'segment-outside-file'
  | 'bad-segment'
  | 'overlapping-segments'
  | 'no-load'
  | 'bad-interp';

export class ElfError extends Error {
  override readonly name = 'ElfError';
  constructor(
    readonly reason: ElfErrorReason,
    message: string,
  ) {
    super(message);
  }
}
