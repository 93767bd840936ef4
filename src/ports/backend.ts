/**
 * Backend: one virtual machine, the unit Hypervisor.framework allows once per
 * host process (hv_vm_create). It owns the guest-physical memory and creates
 * the vCPUs that run in it.
 */
import type { MemoryPort } from './memory.js';
import type { VcpuPort } from './vcpu.js';

export interface Backend {
  readonly name: 'interp' | 'hvf';
  readonly memory: MemoryPort;
  /** Create a vCPU (call after guest RAM is mapped). */
  createVcpu(): VcpuPort;
  destroy(): void;
}

export class BackendUnavailable extends Error {}
