/**
 * The run loop's answers to the exits a Hypervisor.framework vCPU gives
 * besides the shim's HVCs: VTIMER_ACTIVATED (the guest's virtual timer
 * fired; the loop treats it as a preemption and lifts HVF's mask with the
 * timer masked at the guest level) and WFI/WFE (EC 0x01; the loop completes
 * the instruction). A real guest runs through prepareGuest and runGuest on
 * the interpreter backend, with every exit recorded.
 */
import { describe, expect, it } from 'vitest';
import { InterpBackend } from '../../src/adapters/interp/backend.js';
import { createNodeHostPorts } from '../../src/adapters/host-node/index.js';
import { prepareGuest } from '../../src/domain/boot/launch.js';
import { runGuest } from '../../src/domain/kernel/run-loop.js';
import { CNTV_CTL, EC, ExitReason, SysReg, type VcpuExit } from '../../src/ports/vcpu.js';
import { GUESTS_REF, guest, requireReferences } from '../e2e/helpers.js';

async function runRecorded(name: string, before: (vcpu: ReturnType<typeof prepareGuest>['vcpu']) => void): Promise<{ status: unknown; exits: VcpuExit[] }> {
  const backend = new InterpBackend();
  const host = createNodeHostPorts();
  try {
    const path = guest(name);
    const g = prepareGuest(backend, host, { path, argv: [path], envp: [], verbose: false, log: () => {}, ramBytes: 64 << 20 });
    const exits: VcpuExit[] = [];
    const run = g.vcpu.run.bind(g.vcpu);
    g.vcpu.run = () => {
      const e = run() as VcpuExit;
      exits.push(e);
      return e;
    };
    before(g.vcpu);
    const status = await runGuest(g.task, g.vcpu, { ids: g.ids, phys: g.phys, maintenance: g.as, log: () => {}, verbose: false });
    g.vcpu.destroy();
    return { status, exits };
  } finally {
    backend.destroy();
  }
}

describe('run loop exits beyond the HVCs', () => {
  it('VTIMER_ACTIVATED is a preemption: the guest runs on to its exit status, the timer fires once', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    let vcpuRef: Parameters<Parameters<typeof runRecorded>[1]>[0] | undefined;
    const r = await runRecorded('exit42', (vcpu) => {
      vcpuRef = vcpu;
      vcpu.setSysReg(SysReg.CNTV_CVAL_EL0, 0n);
      vcpu.setSysReg(SysReg.CNTV_CTL_EL0, CNTV_CTL.ENABLE);
    });
    expect(r.status).toMatchObject({ kind: 'exited', code: 42 });
    expect(r.exits.filter((e) => e.reason === ExitReason.VTIMER_ACTIVATED)).toHaveLength(1);
    expect(r.exits[0]!.reason).toBe(ExitReason.VTIMER_ACTIVATED);
    expect(vcpuRef!.getSysReg(SysReg.CNTV_CTL_EL0) & CNTV_CTL.IMASK).toBe(CNTV_CTL.IMASK);
  });

  it('WFI and WFE exit to the host, which completes them: the guest sees its timer ticks and ends', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, { path: guest('wfx'), fix: 'bash scripts/build-guests.sh' }]);
    const r = await runRecorded('wfx', () => {});
    expect(r.status).toMatchObject({ kind: 'exited', code: 0 });
    const wfx = r.exits.filter((e) => e.reason === ExitReason.EXCEPTION && e.syndrome >>> 26 === EC.WFX);
    // Three WFEs (one consumes SEVL's event without exiting; SEV sets one for the third), a WFI, then
    // WFIs waiting for the 2 ms timer (ticks that come together coalesce, as standard signals do).
    expect(wfx.filter((e) => e.syndrome & 1).length).toBe(1);
    expect(wfx.filter((e) => !(e.syndrome & 1)).length).toBeGreaterThanOrEqual(2);
  });
});
