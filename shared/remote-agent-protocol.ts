import { z } from 'zod';
import { PeerDescription } from './peer-description.js';

/**
 * How the app starts `hpc-studio agent` on a node over SSH: the bundle's manifest it uploads, the
 * state the launcher keeps beside the bundle, and the one line the launcher prints.
 */

/** `manifest.json` in a bundle's folder on the node, written last: a folder without it is incomplete. */
export const AgentBundleManifest = z.object({
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.number().int().min(1),
  bytes: z.number().int().min(0),
});
export type AgentBundleManifest = z.infer<typeof AgentBundleManifest>;

/** `agent-state.json` beside the bundle: the agent the launcher started, to reuse while it runs. */
export const RemoteAgentState = z.object({
  pid: z.number().int().min(1),
  port: z.number().int().min(1).max(65535),
  version: z.string(),
});
export type RemoteAgentState = z.infer<typeof RemoteAgentState>;

/** What `agent-launcher.js` prints on stdout, one JSON line; the token travels only inside the SSH channel. */
export const AgentLaunch = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('agent'),
    pid: z.number().int().min(1),
    /** On the node's loopback: reached only through the SSH connection. */
    port: z.number().int().min(1).max(65535),
    version: z.string(),
    token: z.string().min(1),
    /** True when an agent of this bundle was already running and is reused. */
    reused: z.boolean(),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type AgentLaunch = z.infer<typeof AgentLaunch>;

/** What `hpc-studio node ssh://… --json` prints: the node reached, its agent, and what it has. */
export const SshNodeReport = z.object({
  type: z.literal('node'),
  /** `user@host:port`. */
  target: z.string(),
  nodeVersion: z.string(),
  bundleDir: z.string(),
  uploaded: z.boolean(),
  reusedAgent: z.boolean(),
  agentPid: z.number().int().min(1),
  agentPort: z.number().int().min(1).max(65535),
  /** Median round trip of an API call through the SSH-forwarded stream. */
  latencyMs: z.number().nonnegative(),
  peer: PeerDescription,
});
export type SshNodeReport = z.infer<typeof SshNodeReport>;

/**
 * `agent-bundle.json` beside `agent-bundle.tar.gz` in the installed app's resources: the bundle made
 * when the app was packaged (inside app.asar the package's files cannot be bundled at run time).
 */
export const PrebuiltAgentBundle = AgentBundleManifest.extend({
  /** The tarball's own size: a truncated copy is refused rather than uploaded. */
  tarballBytes: z.number().int().min(1),
});
export type PrebuiltAgentBundle = z.infer<typeof PrebuiltAgentBundle>;
