import { z } from 'zod';

/** Envelopes that carry the API over any message channel (Electron IPC, WebSocket). */

/** Big enough for `importRun` carrying a run archive at its limit (16 MiB, base64: 21.4 MiB), plus the envelope. */
export const MAX_MESSAGE_BYTES = 22 * 1024 * 1024;

export const ERROR_CODES = ['invalid', 'not-found', 'conflict', 'unauthorized', 'internal'] as const;

export const RpcError = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** For `invalid`: each rejected field with a message naming it and what it accepts. */
  fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type RpcError = z.infer<typeof RpcError>;

export const RpcRequest = z.object({
  kind: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.string().max(100),
  params: z.unknown(),
});
export type RpcRequest = z.infer<typeof RpcRequest>;

export const RpcResponse = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(false), error: RpcError }),
]);
export type RpcResponse = z.infer<typeof RpcResponse>;

export const RpcEvent = z.object({ kind: z.literal('event'), name: z.string(), payload: z.unknown() });
export type RpcEvent = z.infer<typeof RpcEvent>;

export const ServerMessage = z.union([RpcResponse, RpcEvent]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** A bidirectional message pipe; both transports implement it on each side. */
export interface MessageChannel<In, Out> {
  send(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
  onClose?(listener: () => void): () => void;
}

export class ApiError extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
    this.name = 'ApiError';
  }

  /** A refusal of one field, its message (which names the field) said both as the error's and beside the field. */
  static forField(field: string, message: string, code: RpcError['code'] = 'invalid'): ApiError {
    return new ApiError({ code, message, fields: [{ field, message }] });
  }
}
