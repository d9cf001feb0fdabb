/**
 * bench messaging, the ceiling: a bare `ws` relay with no storage, no crypto and no auth. It speaks the subset of
 * the gateway protocol the load client uses (ready, send → sent + event to the partner, ack ignored, ping) with
 * frames of the same shape, so the same load client measures it. The token is `<userId>~<conversationId>`; the
 * relay learns conversation membership from the tokens of the sockets that connect.
 * Run (by bench/messaging.ts): node --import tsx bench/messaging-relay.ts <port>; prints "relay listening on <port>".
 * Exits when its stdin closes (the parent went away) or on SIGTERM.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

interface Member {
  userId: string;
  socket: WebSocket;
  inboxSeq: number;
}

interface Conv {
  members: Member[];
  seq: number;
}

/** bench/run.ts lists every bench/*.ts as a benchmark; this file is a helper process, so as a benchmark it is a no-op. */
export default async function (): Promise<void> {
  console.log('  messaging-relay is a helper of `npm run bench -- messaging`, not a benchmark of its own');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) main();

function main() {
  const port = Number(process.argv[2] ?? 0);
  const conversations = new Map<string, Conv>();
  let messageCounter = 0;

  const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 64 * 1024 });

  wss.on('connection', (socket, req) => {
    socket.on('error', () => {});
    const m = /^Bearer ([^~\s]+)~(\S+)$/.exec(req.headers.authorization ?? '');
    if (!m) {
      socket.close(4401, 'unauthorized');
      return;
    }
    const [, userId, conversationId] = m;
    let conv = conversations.get(conversationId);
    if (!conv) conversations.set(conversationId, (conv = { members: [], seq: 0 }));
    const me: Member = { userId, socket, inboxSeq: 0 };
    conv.members.push(me);
    const c = conv;
    socket.on('close', () => {
      const i = c.members.indexOf(me);
      if (i >= 0) c.members.splice(i, 1);
    });
    socket.on('message', (data) => {
      let frame: { type?: unknown; ref?: unknown; conversationId?: unknown; clientMessageId?: unknown; text?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        socket.send(JSON.stringify({ type: 'error', error: { code: 'malformed_json', message: 'frame is not a JSON object' } }));
        return;
      }
      if (frame.type === 'send') {
        if (frame.conversationId !== conversationId || typeof frame.clientMessageId !== 'string' || typeof frame.text !== 'string') {
          socket.send(JSON.stringify({ type: 'error', ref: frame.ref, error: { code: 'invalid_request', message: 'bad send' } }));
          return;
        }
        const seq = ++c.seq;
        const id = `m_${(++messageCounter).toString(36).padStart(26, '0')}`;
        const sentAt = new Date().toISOString();
        const message = { id, conversationId, seq, senderId: userId, sentAt, unsent: false, text: frame.text };
        for (const other of c.members) {
          if (other === me) continue;
          const s = ++other.inboxSeq;
          other.socket.send(JSON.stringify({ type: 'event', seq: s, event: { seq: s, type: 'message', conversationId, message } }));
        }
        socket.send(JSON.stringify({ type: 'sent', ref: frame.ref, clientMessageId: frame.clientMessageId, id, conversationId, seq, sentAt }));
      } else if (frame.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong', ref: frame.ref }));
      }
      // ack: nothing to record.
    });
    socket.send(JSON.stringify({ type: 'ready', userId, deviceId: 'd1', after: 0 }));
  });

  wss.on('listening', () => {
    const addr = wss.address();
    console.log(`relay listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
  });

  const stop = () => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
