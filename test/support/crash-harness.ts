// Support for the crash-durability test: the server as a child process (started, SIGKILLed, restarted), a small
// HTTP client, and device-side bookkeeping that processes each inbox sequence once, as an SDK would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One run of `node bin/custodian.js serve`. */
export class ServerChild {
  private out = '';
  readonly exited: Promise<number | null>;
  private constructor(readonly proc: ChildProcess) {
    const keep = (b: Buffer) => {
      this.out = (this.out + b.toString('utf8')).slice(-6000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  static async start(env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ServerChild> {
    const proc = spawn(process.execPath, [join(root, 'bin', 'custodian.js'), 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new ServerChild(proc);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
      const onData = () => {
        if (/Custodian listening on /.test(child.out)) {
          clearTimeout(timer);
          proc.stdout!.off('data', onData);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      void child.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before listening:\n${child.output()}`));
      });
    });
    return child;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing until it is killed (or sent SIGCONT). */
  pause(): void {
    if (this.alive) this.proc.kill('SIGSTOP');
  }

  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.alive && this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export interface HttpResult {
  status: number;
  json: any;
}

/** Throws on a network failure (refused, reset, timeout); any HTTP status is returned. */
export async function http(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function ok(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<any> {
  const r = await http(base, method, path, token, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

export interface InboxEvent {
  seq: number;
  type: string;
  conversationId: string;
  message?: { id: string; seq: number; senderId: string; text?: string };
}

/** What one device processed: each inbox sequence at most once, in order, skipping seq <= last processed. */
export class DeviceLog {
  last = 0;
  readonly seqs: number[] = [];
  readonly gaps: string[] = [];
  /** message id -> inbox sequences it was processed under */
  readonly messageSeqs = new Map<string, number[]>();
  readonly texts = new Map<string, string | undefined>();
  readonly conversations = new Map<string, string>();
  skipped = 0;

  constructor(readonly name: string) {}

  process(ev: InboxEvent): boolean {
    if (ev.seq <= this.last) {
      this.skipped++;
      return false;
    }
    if (ev.seq !== this.last + 1) this.gaps.push(`${this.last}->${ev.seq}`);
    this.last = ev.seq;
    this.seqs.push(ev.seq);
    if (ev.type === 'message' && ev.message) {
      const list = this.messageSeqs.get(ev.message.id) ?? [];
      list.push(ev.seq);
      this.messageSeqs.set(ev.message.id, list);
      this.texts.set(ev.message.id, ev.message.text);
      this.conversations.set(ev.message.id, ev.conversationId);
    }
    return true;
  }
}

class ClosedError extends Error {}
export class FrameError extends Error {
  constructor(readonly code: string) {
    super(`error frame: ${code}`);
  }
}

/**
 * A device on the WebSocket gateway. It reconnects by itself after the connection drops, resuming after its
 * own last processed sequence, either with a first `auth` frame or with `?after=` and the Authorization header.
 */
export class WsDevice {
  readonly log: DeviceLog;
  private socket: WebSocket | null = null;
  private ready = false;
  private waiters: (() => void)[] = [];
  private pending = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private refs = 0;
  private lastAckSent = 0;
  closed = false;
  /** Connections that reached `ready`, and each one's `after` (asked, answered). */
  readonly readies: { asked: number; answered: number }[] = [];
  readonly errorFrames: string[] = [];

  constructor(
    private readonly wsBase: string,
    private readonly token: string,
    readonly mode: 'frame' | 'header',
    name: string,
  ) {
    this.log = new DeviceLog(name);
  }

  /** Connects (again and again) until `ready`, or until closed. */
  async start(): Promise<void> {
    while (!this.closed) {
      try {
        await this.connectOnce();
        return;
      } catch {
        await sleep(100);
      }
    }
  }

  private connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const asked = this.log.last;
      const ws =
        this.mode === 'header'
          ? new WebSocket(`${this.wsBase}/v1/ws?after=${asked}`, { headers: { authorization: `Bearer ${this.token}` } })
          : new WebSocket(`${this.wsBase}/v1/ws`);
      let settled = false;
      ws.on('error', () => {});
      ws.on('open', () => {
        if (this.mode === 'frame') ws.send(JSON.stringify({ type: 'auth', token: this.token, after: asked }));
      });
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Record<string, any>;
        if (frame.type === 'ready') {
          this.readies.push({ asked, answered: frame.after });
          this.socket = ws;
          this.ready = true;
          settled = true;
          for (const w of this.waiters.splice(0)) w();
          resolve();
          return;
        }
        this.onFrame(ws, frame);
      });
      ws.on('close', () => {
        if (this.socket === ws) {
          this.socket = null;
          this.ready = false;
          for (const [ref, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(new ClosedError('connection closed'));
            this.pending.delete(ref);
          }
          if (!this.closed) void sleep(50).then(() => this.start());
        }
        if (!settled) {
          settled = true;
          reject(new Error('closed before ready'));
        }
      });
    });
  }

  private onFrame(ws: WebSocket, frame: Record<string, any>) {
    if (frame.type === 'event') {
      this.log.process({ ...(frame.event as InboxEvent), seq: frame.seq as number });
      if (this.log.last - this.lastAckSent >= 25 && ws.readyState === ws.OPEN) {
        this.lastAckSent = this.log.last;
        ws.send(JSON.stringify({ type: 'ack', seq: this.log.last }));
      }
    } else if (frame.type === 'sent' || frame.type === 'error') {
      const p = typeof frame.ref === 'string' ? this.pending.get(frame.ref) : undefined;
      if (frame.type === 'error') this.errorFrames.push(String(frame.error?.code));
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(frame.ref);
      if (frame.type === 'sent') p.resolve(frame);
      else p.reject(new FrameError(String(frame.error?.code)));
    }
  }

  private whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** One attempt: resolves with the `sent` frame; rejects when the connection drops or the server answers an error. */
  async request(frame: Record<string, unknown>, timeoutMs = 20_000): Promise<any> {
    await this.whenReady();
    const ws = this.socket;
    if (!ws || ws.readyState !== ws.OPEN) throw new ClosedError('not connected');
    const ref = `r${++this.refs}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new ClosedError('timed out'));
      }, timeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  close() {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    this.socket?.terminate();
  }
}
