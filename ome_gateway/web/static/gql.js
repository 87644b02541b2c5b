// GraphQL for the dashboard: queries and mutations over HTTP (fetch), subscriptions over one websocket speaking
// graphql-transport-ws. Both carry the bearer token kept in sessionStorage.

const TOKEN_KEY = "ome-gateway.token";

export const endpoint = new URL("graphql", document.baseURI);

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function authorization() {
  const token = getToken();
  return token ? `Bearer ${token}` : null;
}

/** A failed operation, typed as the gateway types its errors: `code` (extensions.code), message, fields, hint. */
export class GraphQLFailure extends Error {
  constructor(errors) {
    const first = (Array.isArray(errors) && errors[0]) || {};
    super(first.message || "the request failed");
    this.code = first.extensions?.code || "ERROR";
    this.fields = first.extensions?.fields || [];
    this.hint = first.extensions?.hint || null;
    this.errors = errors;
  }
}

function failure(code, message) {
  return new GraphQLFailure([{ message, extensions: { code } }]);
}

/** Run a query or mutation over HTTP: resolves to its data, rejects with a GraphQLFailure. */
export async function request(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const auth = authorization();
  if (auth) headers.Authorization = auth;
  let response;
  try {
    response = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw failure("NETWORK_ERROR", `the gateway is unreachable (${err.message})`);
  }
  const body = await response.json().catch(() => null);
  if (!body || typeof body !== "object") throw failure(`HTTP_${response.status}`, response.statusText || "no answer");
  if (body.errors?.length) throw new GraphQLFailure(body.errors);
  return body.data;
}

const CLOSE_REASONS = {
  1006: "connection lost",
  4400: "protocol error",
  4401: "not authorized",
  4403: "forbidden",
  4408: "timed out",
  4429: "too many connection attempts",
  4500: "server error",
};

/**
 * A graphql-transport-ws client: connection_init (with {Authorization}) and ack, subscribe / next / error /
 * complete, ping / pong both ways, and reconnection with jittered exponential backoff that subscribes again to
 * everything still active. It dispatches a "state" event ({state: connecting | connected | reconnecting, reason,
 * retryIn}) on each change; a "connected" after a drop means changes may have been missed.
 */
export class SubscriptionClient extends EventTarget {
  #socket = null;
  #active = new Map(); // id -> {payload, sink}
  #lastId = 0;
  #attempt = 0;
  #timers = {};

  constructor(url, { ackTimeout = 10_000, pingInterval = 15_000, pongTimeout = 5_000, minDelay = 500,
                     maxDelay = 15_000 } = {}) {
    super();
    const wsUrl = new URL(url);
    wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
    Object.assign(this, { url: wsUrl.href, ackTimeout, pingInterval, pongTimeout, minDelay, maxDelay });
    this.state = "connecting";
    addEventListener("online", () => this.state === "reconnecting" && this.restart());
  }

  start() {
    this.#connect();
  }

  /** Connect again now, with a fresh connection_init (after the token changed, for instance). */
  restart() {
    this.#attempt = 0;
    const socket = this.#socket;
    this.#socket = null;
    this.#clearTimers();
    socket?.close(1000, "restart");
    this.#connect();
  }

  /** Subscribe; sink has next(data), error(GraphQLFailure), complete(). Returns the function that unsubscribes. */
  subscribe(query, variables, sink) {
    const id = String(++this.#lastId);
    const payload = { query, variables };
    this.#active.set(id, { payload, sink });
    if (this.state === "connected") this.#send({ id, type: "subscribe", payload });
    return () => {
      if (this.#active.delete(id) && this.state === "connected") this.#send({ id, type: "complete" });
    };
  }

  #setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  #send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #clearTimers() {
    clearTimeout(this.#timers.ack);
    clearTimeout(this.#timers.pong);
    clearTimeout(this.#timers.retry);
    clearInterval(this.#timers.ping);
  }

  #connect() {
    this.#setState(this.#attempt ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url, "graphql-transport-ws");
    this.#socket = socket;
    socket.onopen = () => {
      const auth = authorization();
      this.#send({ type: "connection_init", payload: auth ? { Authorization: auth } : {} });
      this.#timers.ack = setTimeout(() => socket.close(4408, "no connection_ack"), this.ackTimeout);
    };
    socket.onmessage = (event) => socket === this.#socket && this.#receive(socket, event.data);
    socket.onclose = (event) => socket === this.#socket && this.#closed(event);
  }

  #receive(socket, raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      socket.close(4400, "invalid message");
      return;
    }
    const subscription = message.id === undefined ? null : this.#active.get(message.id);
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.#timers.ack);
        this.#attempt = 0;
        this.#setState("connected");
        for (const [id, { payload }] of this.#active) this.#send({ id, type: "subscribe", payload });
        this.#keepAlive(socket);
        break;
      case "ping":
        this.#send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.#timers.pong);
        break;
      case "next": {
        const { data, errors } = message.payload || {};
        if (errors?.length) subscription?.sink.error?.(new GraphQLFailure(errors));
        if (data) subscription?.sink.next?.(data);
        break;
      }
      case "error":
        this.#active.delete(message.id);
        subscription?.sink.error?.(new GraphQLFailure(message.payload));
        break;
      case "complete":
        this.#active.delete(message.id);
        subscription?.sink.complete?.();
        break;
      default:
        socket.close(4400, `unexpected message type ${message.type}`);
    }
  }

  #keepAlive(socket) {
    this.#timers.ping = setInterval(() => {
      this.#send({ type: "ping" });
      clearTimeout(this.#timers.pong);
      this.#timers.pong = setTimeout(() => socket.close(4408, "no pong"), this.pongTimeout);
    }, this.pingInterval);
  }

  #closed(event) {
    this.#socket = null;
    this.#clearTimers();
    this.#attempt += 1;
    const backoff = Math.min(this.maxDelay, this.minDelay * 2 ** (this.#attempt - 1));
    const retryIn = Math.round(backoff * (0.5 + Math.random() / 2));
    const reason = event.reason || CLOSE_REASONS[event.code] || `closed (${event.code})`;
    this.#setState("reconnecting", { reason, retryIn });
    this.#timers.retry = setTimeout(() => this.#connect(), retryIn);
  }
}
