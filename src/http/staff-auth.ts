// Staff sessions at the edge: an opaque token in an HttpOnly, SameSite=Strict cookie scoped to /staff. SameSite
// Strict plus JSON-only bodies on every state-changing staff route keep cross-site requests out.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { staffForSession, type Staff } from '../identity/index.js';
import type { AppServices } from './services.js';

export const STAFF_COOKIE = 'custodian_staff';

declare module 'fastify' {
  interface FastifyRequest {
    staff?: Staff;
  }
}

export function sessionCookieOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === STAFF_COOKIE) return v.join('=');
  }
  return null;
}

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, secure: boolean) {
  reply.header(
    'set-cookie',
    `${STAFF_COOKIE}=${token}; Path=/staff; HttpOnly; SameSite=Strict; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(reply: FastifyReply) {
  reply.header('set-cookie', `${STAFF_COOKIE}=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0`);
}

export function requireStaff(services: AppServices) {
  return async (request: FastifyRequest) => {
    const token = sessionCookieOf(request);
    if (!token) throw new DomainError('invalid_session', 'sign in first');
    request.staff = await staffForSession(services.db, token);
  };
}

export function staffOf(request: FastifyRequest): Staff {
  if (!request.staff) throw new DomainError('invalid_session', 'sign in first');
  return request.staff;
}
