/**
 * The interpreter backend: a software VM. Like Hypervisor.framework it allows
 * one VM per host process at a time (a second create fails until the first
 * is destroyed), so the domain cannot come to rely on more.
 */
import { BackendUnavailable, type Backend } from '../../ports/backend.js';
import type { VcpuPort } from '../../ports/vcpu.js';
import { interpIdRegs } from './features.js';
import { InterpMemory, type InterpHostRam } from './memory.js';
import { InterpVcpu } from './vcpu.js';

let live = false;

export interface InterpOptions {
  /** Block executions before translation to JavaScript; Infinity turns the translator off. */
  jitThreshold?: number;
  /** Guest RAM in host memory that shared objects can be mapped over; without it, RAM is a plain ArrayBuffer and mapShared fails. */
  hostRam?: InterpHostRam;
}

export class InterpBackend implements Backend {
  readonly name = 'interp' as const;
  readonly memory: InterpMemory;
  private readonly vcpus: InterpVcpu[] = [];
  private destroyed = false;

  constructor(private readonly options: InterpOptions = {}) {
    if (live) throw new BackendUnavailable('a VM already exists in this process (one VM per process, as with HVF)');
    live = true;
    this.memory = new InterpMemory(options.hostRam);
  }

  createVcpu(): VcpuPort {
    const v = new InterpVcpu(this.memory, interpIdRegs());
    if (this.options.jitThreshold !== undefined) v.cpu.jitThreshold = this.options.jitThreshold;
    this.vcpus.push(v);
    return v;
  }

  /** The interpreter CPUs, for diagnostics (instruction counts) and tests. */
  get interpVcpus(): readonly InterpVcpu[] {
    return this.vcpus;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.memory.destroy();
    live = false;
  }
}
