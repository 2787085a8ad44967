import type { Bundle } from "../../shared/bundle.ts";

/** What the hub remembers per socket; survives hibernation as the socket's attachment. */
export interface SocketState {
  cluster: string;
  host: string;
  tokenId: string;
  helloed: boolean;
  applied: { version: number; hash: string } | null;
  /** the hash of the last bundle sent and not yet acked */
  sent: string | null;
  badFrames: number;
}

/** Decides whether a node needs a bundle: only when its desired hash is neither applied nor in flight. */
export function needsBundle(state: SocketState, desired: Bundle | undefined): desired is Bundle {
  if (!state.helloed || desired === undefined) return false;
  return desired.hash !== state.applied?.hash && desired.hash !== state.sent;
}
