import { z } from 'zod';
import { apiMethods, PARAMS_WRAPPER, type ApiMethodName } from '../shared/api-contract.js';
import { fieldErrors } from '../shared/field-error.js';
import { ApiError, RpcRequest, type MessageChannel, type RpcError, type ServerMessage } from '../shared/rpc-protocol.js';
import type { StudioService } from './studio-service.js';

export type ServerChannel = MessageChannel<unknown, ServerMessage>;

/**
 * Serves the API on one connection: validates each request envelope and its params against
 * the contract, calls the service, and pushes the service's events. A malformed message
 * gets a schema error back and never reaches the service.
 */
export function serveApi(channel: ServerChannel, service: StudioService, onError: (e: unknown) => void = () => {}): () => void {
  const unsubscribe = service.onEvent((name, payload) => channel.send({ kind: 'event', name, payload }));
  const stopListening = channel.onMessage((raw) => {
    void handle(raw).then(
      (response) => response && channel.send(response),
      (error) => onError(error),
    );
  });
  const close = () => {
    unsubscribe();
    stopListening();
  };
  channel.onClose?.(close);
  return close;

  async function handle(raw: unknown): Promise<ServerMessage | null> {
    const request = RpcRequest.safeParse(raw);
    if (!request.success) {
      const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : -1;
      return fail(id, invalid(request.error, 'request'));
    }
    const { id, method, params } = request.data;
    if (!Object.hasOwn(apiMethods, method)) {
      return fail(id, {
        code: 'invalid',
        message: `method: must be one of ${Object.keys(apiMethods).join(', ')} (got ${JSON.stringify(method).slice(0, 60)})`,
      });
    }
    const name = method as ApiMethodName;
    const checked = apiMethods[name].params.safeParse(params);
    if (!checked.success) return fail(id, invalid(checked.error, PARAMS_WRAPPER[name]));
    try {
      const call = service[name] as (p: unknown) => Promise<unknown>;
      return { kind: 'response', id, ok: true, result: await call(checked.data) };
    } catch (error) {
      if (error instanceof ApiError) return fail(id, error.error);
      onError(error);
      return fail(id, { code: 'internal', message: error instanceof Error ? error.message : String(error) });
    }
  }
}

function fail(id: number, error: RpcError): ServerMessage {
  return { kind: 'response', id, ok: false, error };
}

function invalid(error: z.ZodError, within?: string): RpcError {
  const fields = fieldErrors(error, within);
  return { code: 'invalid', message: fields.map((f) => f.message).join('; '), fields };
}
