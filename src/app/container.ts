/**
 * Composition root: the one place that picks adapters. inversify binds the
 * ports to their Node and backend implementations; nothing below src/app
 * knows which ones were chosen.
 */
import 'reflect-metadata';
import { Container, inject, injectable } from 'inversify';
import { InterpBackend, type InterpOptions } from '../adapters/interp/backend.js';
import { createHvfBackend, hvfUnavailableReason, type HostPlatform } from '../adapters/hvf/backend.js';
import { createNodeHostPorts, NodeHostRam } from '../adapters/host-node/index.js';
import { nodeDebugServer } from '../adapters/host-node/debug-server.js';
import type { DebugServerPort } from '../ports/debug.js';
import type { Backend } from '../ports/backend.js';
import { BackendUnavailable } from '../ports/backend.js';
import type { HostPorts } from '../ports/host.js';
import type { BackendName } from './options.js';

export const TYPES = {
  HostPlatform: Symbol.for('elfuse.HostPlatform'),
  BackendFactory: Symbol.for('elfuse.BackendFactory'),
  HostPorts: Symbol.for('elfuse.HostPorts'),
  Launcher: Symbol.for('elfuse.Launcher'),
  DebugServer: Symbol.for('elfuse.DebugServer'),
} as const;

export type BackendFactory = (requested: BackendName | undefined) => Backend;

/** Chooses and creates the execution backend: hvf where it can run, else interp. */
@injectable()
export class BackendSelector {
  constructor(@inject(TYPES.HostPlatform) private readonly host: HostPlatform) {}

  defaultBackend(): BackendName {
    return hvfUnavailableReason(this.host) === null ? 'hvf' : 'interp';
  }

  create(requested: BackendName | undefined): Backend {
    const name = requested ?? this.defaultBackend();
    if (name === 'hvf') return createHvfBackend(this.host);
    return new InterpBackend({ ...interpOptions(process.env.ELFUSE_INTERP_JIT), hostRam: new NodeHostRam() });
  }
}

/**
 * ELFUSE_INTERP_JIT: "off" keeps the interpreter on per-instruction closures
 * (to rule the translator in or out when chasing a bug); a number sets how
 * often a block runs before it is translated.
 */
export function interpOptions(setting: string | undefined): InterpOptions {
  if (setting === undefined || setting === '') return {};
  if (setting === 'off') return { jitThreshold: Infinity };
  const n = Number(setting);
  return Number.isInteger(n) && n >= 0 ? { jitThreshold: n } : {};
}

export function buildContainer(host: HostPlatform): Container {
  const c = new Container();
  c.bind<HostPlatform>(TYPES.HostPlatform).toConstantValue(host);
  c.bind(BackendSelector).toSelf().inSingletonScope();
  c.bind<BackendFactory>(TYPES.BackendFactory).toDynamicValue((ctx) => {
    const sel = ctx.container.get(BackendSelector);
    return (requested) => sel.create(requested);
  });
  c.bind<HostPorts>(TYPES.HostPorts).toDynamicValue(() => createNodeHostPorts()).inSingletonScope();
  c.bind<DebugServerPort>(TYPES.DebugServer).toConstantValue(nodeDebugServer);
  return c;
}

export { BackendUnavailable };
