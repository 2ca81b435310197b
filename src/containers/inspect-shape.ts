import type { HostConfig } from './docker-types.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './spec.js';

/**
 * The HostConfig as dockerd shows it: dockerd decodes the request into its typed struct and encodes it back,
 * so every field is there whatever the client sent (a null list, a zero number), the deprecated kernel-memory
 * fields are omitted when unset, and the masked and read-only /proc paths are the defaults it applied.
 */
export function hostConfigView(hc: HostConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...hc };
  for (const k of ['KernelMemory', 'KernelMemoryTCP'] as const) if (!out[k]) delete out[k];
  const defaults: Record<string, unknown> = {
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    DeviceRequests: null, OomKillDisable: null, PidsLimit: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
  };
  for (const [k, v] of Object.entries(defaults)) if (!(k in out)) out[k] = v;
  if (!hc.Privileged) {
    if (out.MaskedPaths == null) out.MaskedPaths = [...DEFAULT_MASKED_PATHS];
    if (out.ReadonlyPaths == null) out.ReadonlyPaths = [...DEFAULT_READONLY_PATHS];
  } else {
    if (!('MaskedPaths' in out)) out.MaskedPaths = null;
    if (!('ReadonlyPaths' in out)) out.ReadonlyPaths = null;
  }
  return out;
}
