// The WebSocket gateway. A device connects to /v1/ws (token in the Authorization header or the first frame),
// receives its inbox events in sequence order starting after its last acked sequence, and sends frames:
// send, ack {seq}, typing, read {conversationId, seq}. Events are pushed at-least-once on the wire and exactly
// once per device by sequence: a connection never sends a sequence twice and never skips one. An event that
// arrives ahead of its predecessors is held briefly (two batches can commit in one order and be answered in the
// other); a gap that the bus does not fill in time triggers a catch-up read from the database, the source of truth.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isDomainError } from '../errors.js';
import { authenticateUser, type UserTokenClaims } from '../identity/index.js';
import type { InboxEventView } from '../messaging/index.js';
import type { AppServices } from './services.js';

interface Connection {
  socket: WebSocket;
  device: UserTokenClaims;
  lastSent: number;
  catchingUp: boolean;
  /** Set when events arrived during a catch-up: read again before going live. */
  catchUpAgain: boolean;
  closeTimer: NodeJS.Timeout | null;
  /** Events that arrived ahead of a missing sequence, by sequence (see deliver); null when none. */
  held: Map<number, Buffer> | null;
  heldTimer: NodeJS.Timeout | null;
  /** The raw socket is corked until the end of this event-loop turn (see writeFrame). */
  corked: boolean;
}

const MAX_FRAME_BYTES = 64 * 1024;
/**
 * How long events that arrived ahead of a gap wait for the bus to fill it before the gap is read from the database.
 * Two send batches in flight commit in lock order but their answers can reach this process the other way round
 * (each comes back on its own database connection), so a device's sequence numbers can arrive a few apart and a
 * few milliseconds out of order. Reading each such gap from the database cost a query and a decryption per
 * message held up; waiting for the push costs nothing when it comes, and this long at most when it does not.
 */
const DEFAULT_REORDER_WAIT_MS = 100;
/** Held events per connection, at most: past this, read from the database rather than buffer more. */
const REORDER_MAX_HELD = 256;
const AUTH_TIMEOUT_MS = 10_000;

export interface Gateway {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  connectionCount(): number;
  close(): Promise<void>;
}

// Frames written to one connection in one event-loop turn leave in one write: a commit batch fans out several
// events to the same device (its partner's messages, the echo of its own, the `sent` answer), and one syscall per
// frame would cost more than the frames themselves. The raw socket is corked on the first frame of a turn and
// uncorked once the turn's callbacks and promise jobs have run (setImmediate), so nothing waits longer than that.
const corked: Connection[] = [];
let uncorkScheduled = false;

function uncorkAll() {
  uncorkScheduled = false;
  for (const c of corked.splice(0)) {
    c.corked = false;
    rawSocket(c)?.uncork();
  }
}

/** ws keeps its net.Socket in a private field; without it there is no way to cork the transport ws writes to. */
function rawSocket(c: Connection): Duplex | undefined {
  return (c.socket as unknown as { _socket?: Duplex })._socket;
}

/** A text frame: a string, or its UTF-8 bytes (sent as text all the same). */
function writeFrame(c: Connection, text: string | Buffer) {
  if (c.socket.readyState !== c.socket.OPEN) return;
  if (!c.corked) {
    const raw = rawSocket(c);
    if (raw) {
      raw.cork();
      c.corked = true;
      corked.push(c);
      if (!uncorkScheduled) {
        uncorkScheduled = true;
        setImmediate(uncorkAll);
      }
    }
  }
  c.socket.send(text, { binary: false });
}

/**
 * An event frame for one device: `{"type":"event","seq":N,"event":{"seq":N,` + the event's own bytes. The event is
 * serialized and encoded once (eventTail) and copied into each recipient's frame, not re-concatenated as a string
 * and re-encoded per recipient.
 */
function eventFrame(seq: number, tail: Buffer): Buffer {
  const head = `{"type":"event","seq":${seq},"event":{"seq":${seq},`;
  const frame = Buffer.allocUnsafe(head.length + tail.length);
  frame.write(head, 0, 'latin1');
  tail.copy(frame, head.length);
  return frame;
}

/** A rendered event's JSON without its opening brace, plus the brace that closes the frame, as UTF-8. */
function eventTail(ev: unknown): Buffer {
  const json = JSON.stringify(ev);
  return Buffer.from(`${json.slice(1)}}`, 'utf8');
}

function send(c: Connection, frame: unknown) {
  writeFrame(c, JSON.stringify(frame));
}

function errorFrame(ref: unknown, code: string, message: string) {
  return { type: 'error', ref: typeof ref === 'string' ? ref.slice(0, 64) : undefined, error: { code, message } };
}

export function createGateway(
  services: AppServices,
  // A test that drives the reordering by hand sets a longer wait, so that a slow machine cannot turn "arrives
  // shortly" into "never arrives" behind its back.
  opts: { reorderWaitMs?: number } = {},
): Gateway {
  const reorderWaitMs = opts.reorderWaitMs ?? DEFAULT_REORDER_WAIT_MS;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const byUser = new Map<string, Set<Connection>>();
  const m = services.messaging;
  const log = services.log.child({ component: 'ws' });

  function dropHeld(c: Connection) {
    if (c.heldTimer) clearTimeout(c.heldTimer);
    c.heldTimer = null;
    c.held = null;
  }

  async function catchUp(c: Connection) {
    // Whatever was held has been committed, so the read below returns it too.
    dropHeld(c);
    if (c.catchingUp) {
      c.catchUpAgain = true;
      return;
    }
    c.catchingUp = true;
    try {
      do {
        c.catchUpAgain = false;
        for (;;) {
          const page = await m.syncInbox(c.device.userId, c.lastSent, 500);
          for (const ev of page.events) {
            if (ev.seq <= c.lastSent) continue;
            send(c, { type: 'event', seq: ev.seq, event: ev });
            c.lastSent = ev.seq;
          }
          if (!page.hasMore) break;
        }
      } while (c.catchUpAgain && c.socket.readyState === c.socket.OPEN);
    } catch (err) {
      log.error({ errCode: (err as { code?: string }).code }, 'catch-up failed');
      c.socket.close(1011, 'catch-up failed');
    } finally {
      c.catchingUp = false;
    }
  }

  /** `evTail` is the rendered event serialized once (eventTail); each recipient's frame adds its own seq. */
  function deliver(c: Connection, seq: number, evTail: Buffer) {
    if (seq <= c.lastSent) return;
    if (c.catchingUp) {
      // The read in progress may have missed this one: read again when it is done.
      void catchUp(c);
      return;
    }
    if (seq !== c.lastSent + 1) {
      // Ahead of a gap: hold it while the events before it are (most likely) on their way from the other batch.
      c.held ??= new Map();
      c.held.set(seq, evTail);
      if (c.held.size > REORDER_MAX_HELD) void catchUp(c);
      else c.heldTimer ??= setTimeout(() => void catchUp(c), reorderWaitMs);
      return;
    }
    writeFrame(c, eventFrame(seq, evTail));
    c.lastSent = seq;
    if (c.held) {
      for (let next = c.held.get(c.lastSent + 1); next !== undefined; next = c.held.get(c.lastSent + 1)) {
        c.held.delete(c.lastSent + 1);
        c.lastSent++;
        writeFrame(c, eventFrame(c.lastSent, next));
      }
      for (const s of c.held.keys()) if (s <= c.lastSent) c.held.delete(s);
      if (c.held.size === 0) dropHeld(c);
    }
  }

  const unsubscribeInbox = services.bus.subscribe('inbox', (event) => {
    const deliveries = event.payload.deliveries as [string, number][];
    const targets = deliveries.filter(([u]) => byUser.has(u));
    if (targets.length === 0) return;
    const deliverAll = (ev: unknown) => {
      // Serialized once per event, not once per recipient device.
      const evTail = eventTail(ev);
      for (const [userId, seq] of targets) for (const c of byUser.get(userId) ?? []) deliver(c, seq, evTail);
    };
    // Events this process committed render without a promise (their content is at hand); others are opened first.
    const local = m.renderLocalBusEvent(event.payload);
    if (local) {
      deliverAll(local);
      return;
    }
    void m.renderBusEvent(event.payload).then(deliverAll, (err) => log.error({ errCode: (err as { code?: string }).code }, 'render failed'));
  });

  const unsubscribeTyping = services.bus.subscribe('typing', (event) => {
    const p = event.payload as { conversationId: string; userId: string; recipients: string[]; at: string };
    for (const u of p.recipients) {
      for (const c of byUser.get(u) ?? []) send(c, { type: 'typing', conversationId: p.conversationId, userId: p.userId, at: p.at });
    }
  });

  // Acks from all connections are coalesced into one upsert every ACK_FLUSH_MS: the cursor is only a resume
  // hint (a device that resumes from an older point skips sequences it has already processed), so batching it
  // costs nothing in correctness and saves a database write per frame.
  const ACK_FLUSH_MS = 100;
  const pendingAcks = new Map<string, { userId: string; deviceId: string; seq: number }>();
  let ackTimer: NodeJS.Timeout | null = null;
  let ackWrite: Promise<void> = Promise.resolve();

  function flushAcks() {
    if (ackTimer) clearTimeout(ackTimer);
    ackTimer = null;
    if (pendingAcks.size === 0) return ackWrite;
    const batch = [...pendingAcks.values()];
    pendingAcks.clear();
    ackWrite = ackWrite.then(() => m.ackDevices(batch)).catch(() => log.warn({ count: batch.length }, 'ack write failed'));
    return ackWrite;
  }

  function noteAck(c: Connection, seq: number) {
    const key = `${c.device.userId}\u0000${c.device.deviceId}`;
    const prev = pendingAcks.get(key);
    if (!prev || prev.seq < seq) pendingAcks.set(key, { userId: c.device.userId, deviceId: c.device.deviceId, seq });
    if (!ackTimer) ackTimer = setTimeout(flushAcks, ACK_FLUSH_MS);
  }

  async function onFrame(c: Connection, raw: string) {
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      send(c, errorFrame(undefined, 'malformed_json', 'frame is not a JSON object'));
      return;
    }
    const ref = frame.ref;
    const { userId, deviceId } = c.device;
    try {
      switch (frame.type) {
        case 'send': {
          if (typeof frame.conversationId !== 'string' || typeof frame.clientMessageId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(frame.clientMessageId)) {
            send(c, errorFrame(ref, 'invalid_request', 'send needs conversationId and clientMessageId'));
            return;
          }
          if ((frame.text !== undefined && typeof frame.text !== 'string') || (frame.replyTo !== undefined && typeof frame.replyTo !== 'string')) {
            send(c, errorFrame(ref, 'invalid_request', 'text and replyTo must be strings'));
            return;
          }
          const p = frame.pointer as { kind?: unknown; id?: unknown } | undefined;
          if (p !== undefined && (typeof p !== 'object' || p === null || p.kind !== 'video' || typeof p.id !== 'string')) {
            send(c, errorFrame(ref, 'invalid_pointer', 'pointer must be {kind: "video", id}'));
            return;
          }
          const r = await m.sendMessage({
            conversationId: frame.conversationId,
            senderId: userId,
            deviceId,
            clientMessageId: frame.clientMessageId,
            text: frame.text as string | undefined,
            pointer: p as { kind: 'video'; id: string } | undefined,
            replyTo: frame.replyTo as string | undefined,
          });
          send(c, { type: 'sent', ref, clientMessageId: frame.clientMessageId, id: r.id, conversationId: r.conversationId, seq: r.seq, sentAt: r.sentAt.toISOString() });
          return;
        }
        case 'ack': {
          if (!Number.isSafeInteger(frame.seq) || (frame.seq as number) < 0) {
            send(c, errorFrame(ref, 'invalid_request', 'ack needs an integer seq'));
            return;
          }
          // Acks are coalesced: the cursor is a resume hint, and a device that resumes from an older point just
          // skips sequences it has already processed.
          noteAck(c, frame.seq as number);
          return;
        }
        case 'typing':
          if (typeof frame.conversationId !== 'string') {
            send(c, errorFrame(ref, 'invalid_request', 'typing needs conversationId'));
            return;
          }
          await m.sendTyping(frame.conversationId, userId);
          return;
        case 'read':
          if (typeof frame.conversationId !== 'string' || !Number.isSafeInteger(frame.seq) || (frame.seq as number) < 0) {
            send(c, errorFrame(ref, 'invalid_request', 'read needs conversationId and seq'));
            return;
          }
          await m.markRead(frame.conversationId, userId, frame.seq as number);
          return;
        case 'ping':
          send(c, { type: 'pong', ref });
          return;
        default:
          send(c, errorFrame(ref, 'invalid_frame', 'unknown frame type'));
      }
    } catch (err) {
      if (isDomainError(err)) send(c, errorFrame(ref, err.code, err.message));
      else {
        log.error({ errName: (err as Error).name, errCode: (err as { code?: string }).code }, 'frame failed');
        send(c, errorFrame(ref, 'internal_error', 'internal error'));
      }
    }
  }

  type Frame = { data: Buffer | ArrayBuffer | Buffer[]; isBinary: boolean };

  function handleFrame(c: Connection, f: Frame) {
    if (f.isBinary) {
      send(c, errorFrame(undefined, 'invalid_frame', 'frames are JSON text'));
      return;
    }
    void onFrame(c, f.data.toString());
  }

  async function attach(socket: WebSocket, device: UserTokenClaims, after: number | null, expiresAt: number | null): Promise<Connection> {
    const start = after ?? (await m.deviceCursor(device.userId, device.deviceId));
    const c: Connection = { socket, device, lastSent: start, catchingUp: false, catchUpAgain: false, closeTimer: null, held: null, heldTimer: null, corked: false };
    let set = byUser.get(device.userId);
    if (!set) byUser.set(device.userId, (set = new Set()));
    set.add(c);
    socket.on('close', () => {
      if (c.closeTimer) clearTimeout(c.closeTimer);
      dropHeld(c);
      set!.delete(c);
      if (set!.size === 0) byUser.delete(device.userId);
    });
    if (expiresAt) {
      // The token's lifetime bounds the socket's: a revoked or expired identity does not keep receiving.
      c.closeTimer = setTimeout(() => socket.close(4001, 'token expired'), Math.max(0, expiresAt - Date.now()));
    }
    send(c, { type: 'ready', userId: device.userId, deviceId: device.deviceId, after: start });
    void catchUp(c);
    return c;
  }

  async function authenticate(token: string) {
    const claims = await authenticateUser(services.keyring, token);
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp?: number };
    return { claims, expiresAt: payload.exp ? payload.exp * 1000 : null };
  }

  function parseAfter(v: unknown): number | null | undefined {
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
    return undefined;
  }

  const MAX_EARLY_FRAMES = 64;

  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://x');
    const header = req.headers.authorization;
    const queryAfter = parseAfter(url.searchParams.get('after') ?? undefined);
    // Frames that arrive while authentication is in flight are kept and handled in order once the connection is
    // attached: a client that sends right after its auth frame loses nothing.
    let conn: Connection | null = null;
    let awaitingAuthFrame = !header;
    const early: Frame[] = [];
    const rejectAuth = (err: unknown) => {
      send({ socket } as Connection, errorFrame(undefined, isDomainError(err) ? err.code : 'invalid_token', 'authentication failed'));
      socket.close(4401, 'unauthorized');
    };
    const start = (token: string, after: number | null) => {
      authenticate(token)
        .then(({ claims, expiresAt }) => attach(socket, claims, after, expiresAt))
        .then((c) => {
          conn = c;
          for (const f of early.splice(0)) handleFrame(c, f);
        }, rejectAuth);
    };
    socket.on('message', (data, isBinary) => {
      if (conn) {
        handleFrame(conn, { data: data as Buffer, isBinary });
        return;
      }
      if (!awaitingAuthFrame) {
        if (early.push({ data: data as Buffer, isBinary }) > MAX_EARLY_FRAMES) socket.close(4429, 'too many frames before ready');
        return;
      }
      awaitingAuthFrame = false;
      clearTimeout(timer);
      let frame: { type?: unknown; token?: unknown; after?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        socket.close(4400, 'first frame must be auth');
        return;
      }
      const after = parseAfter(frame?.after);
      if (!frame || frame.type !== 'auth' || typeof frame.token !== 'string' || after === undefined) {
        socket.close(4400, 'first frame must be auth');
        return;
      }
      start(frame.token, after ?? queryAfter ?? null);
    });
    // No header (browsers cannot set one): the first frame must be {type: "auth", token, after?}.
    const timer = setTimeout(() => {
      if (!conn) socket.close(4401, 'authentication timeout');
    }, AUTH_TIMEOUT_MS);
    if (header) {
      const m1 = /^Bearer (\S{1,4096})$/.exec(header);
      if (!m1 || queryAfter === undefined) {
        clearTimeout(timer);
        socket.close(4400, 'bad request');
        return;
      }
      start(m1[1], queryAfter);
    }
    socket.on('close', () => clearTimeout(timer));
  });

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    connectionCount: () => wss.clients.size,
    async close() {
      await flushAcks();
      unsubscribeInbox();
      unsubscribeTyping();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
