import { digestOf, type Digest } from './digest.js';

/**
 * ChainIDs per the OCI image spec: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * Returns one chain ID per layer (bottom-most first).
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let prev: Digest | undefined;
  for (const d of diffIds) {
    prev = prev === undefined ? d : digestOf(`${prev} ${d}`);
    out.push(prev);
  }
  return out;
}

/** The chain ID of the whole stack (undefined for no layers). */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}

/** The chain ID of a layer `diffId` on top of `parent` (a chain ID). */
export function childChainId(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : digestOf(`${parent} ${diffId}`);
}
