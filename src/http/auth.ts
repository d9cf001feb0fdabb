// Authentication at the edge: platform API keys and user tokens from `Authorization: Bearer …`.
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { authenticatePlatform, authenticateUser, type UserTokenClaims } from '../identity/index.js';
import type { AppServices } from './services.js';

declare module 'fastify' {
  interface FastifyRequest {
    device?: UserTokenClaims;
    platformKeyId?: string;
  }
}

export function bearer(header: string | undefined): string {
  const m = header ? /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header) : null;
  if (!m) throw new DomainError('missing_credentials', 'send Authorization: Bearer <credential>');
  return m[1];
}

export function requirePlatform(services: AppServices) {
  return async (request: FastifyRequest) => {
    const { keyId } = await authenticatePlatform(services.db, bearer(request.headers.authorization));
    request.platformKeyId = keyId;
  };
}

export function requireDevice(services: AppServices) {
  return async (request: FastifyRequest) => {
    request.device = await authenticateUser(services.keyring, bearer(request.headers.authorization));
  };
}

export function deviceOf(request: FastifyRequest): UserTokenClaims {
  if (!request.device) throw new DomainError('missing_credentials', 'send Authorization: Bearer <token>');
  return request.device;
}
