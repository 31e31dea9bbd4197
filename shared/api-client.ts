import {
  apiEvents,
  apiMethods,
  PARAMS_WRAPPER,
  type ApiEventName,
  type ApiEventPayload,
  type ApiMethodName,
  type ApiParams,
  type ApiResult,
  type StudioClientApi,
} from './api-contract.js';
import { fieldErrors } from './field-error.js';
import { ApiError, ServerMessage, type MessageChannel, type RpcRequest } from './rpc-protocol.js';

type Pending = { method: ApiMethodName; resolve: (value: unknown) => void; reject: (error: Error) => void };
type Listener = (payload: never) => void;

/**
 * Client side of the API over any channel: validates params before sending and every
 * response and event on arrival, so the UI only ever sees well-formed data.
 */
export class ApiClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<ApiEventName, Set<Listener>>();
  private closed = false;
  private resolveClosed!: (reason: Error) => void;
  /** Settles with the reason once the connection is gone. */
  readonly whenClosed = new Promise<Error>((resolve) => (this.resolveClosed = resolve));

  /** Typed proxy: `client.api.listRuns({})`. */
  readonly api: StudioClientApi;

  constructor(
    private readonly channel: MessageChannel<unknown, RpcRequest>,
    private readonly onProtocolError: (message: string) => void = () => {},
  ) {
    channel.onMessage((raw) => this.receive(raw));
    channel.onClose?.(() => this.close(new Error('connection closed')));
    this.api = Object.fromEntries(
      (Object.keys(apiMethods) as ApiMethodName[]).map((m) => [m, (p: never) => this.call(m, p)]),
    ) as unknown as StudioClientApi;
  }

  call<M extends ApiMethodName>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const checked = apiMethods[method].params.safeParse(params);
    if (!checked.success) {
      const fields = fieldErrors(checked.error, PARAMS_WRAPPER[method]);
      return Promise.reject(
        new ApiError({ code: 'invalid', message: fields.map((f) => f.message).join('; '), fields }),
      );
    }
    const id = this.nextId++;
    return new Promise<ApiResult<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.channel.send({ kind: 'request', id, method, params: checked.data });
    });
  }

  on<E extends ApiEventName>(name: E, listener: (payload: ApiEventPayload<E>) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  close(reason = new Error('connection closed')): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    this.resolveClosed(reason);
  }

  /** A frame holds one message, or (WebSocket) every message the server sent in one turn of its event loop. */
  private receive(frame: unknown): void {
    if (Array.isArray(frame)) for (const message of frame) this.receiveOne(message);
    else this.receiveOne(frame);
  }

  private receiveOne(raw: unknown): void {
    const parsed = ServerMessage.safeParse(raw);
    if (!parsed.success) return this.onProtocolError(`malformed message from server: ${parsed.error.message}`);
    const message = parsed.data;
    if (message.kind === 'event') {
      const schema = apiEvents[message.name as ApiEventName];
      const payload = schema?.safeParse(message.payload);
      if (!payload?.success) return this.onProtocolError(`malformed event ${message.name}`);
      for (const l of this.listeners.get(message.name as ApiEventName) ?? []) l(payload.data as never);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (!message.ok) return pending.reject(new ApiError(message.error));
    const result = apiMethods[pending.method].result.safeParse(message.result);
    if (result.success) pending.resolve(result.data);
    else pending.reject(new Error(`malformed result for ${pending.method}: ${result.error.message}`));
  }
}
