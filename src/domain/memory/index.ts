/** Guest memory: physical frames, stage-1 page tables, the address space and the checked guest-pointer accessor. */
export * from './phys.js';
export * from './frames.js';
export * from './page-table.js';
export * from './layout.js';
export * from './fault.js';
export * from './address-space.js';
export * from './guest-memory.js';
