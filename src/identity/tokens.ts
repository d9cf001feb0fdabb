// User tokens: short-lived EdDSA JWTs (jose) naming the user and the device. Verification pins the algorithm,
// issuer and audience so a token minted for something else is refused.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Keyring } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import { IdentityErrors } from './errors.js';

const ISSUER = 'custodian';
const AUDIENCE = 'custodian-device';

export interface UserTokenClaims {
  userId: string;
  deviceId: string;
}

export async function mintUserToken(keyring: Keyring, claims: UserTokenClaims, ttlSeconds: number, now = new Date()) {
  const key = keyring.tokenSigningKey();
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ dev: claims.deviceId })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}

export async function verifyUserToken(keyring: Keyring, token: string): Promise<UserTokenClaims> {
  const key = keyring.tokenSigningKey();
  try {
    const { payload } = await jwtVerify(token, key.publicKey, { algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE });
    if (typeof payload.sub !== 'string' || typeof payload.dev !== 'string') {
      throw new DomainError(IdentityErrors.invalidToken, 'token is missing its subject or device');
    }
    return { userId: payload.sub, deviceId: payload.dev };
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new DomainError(IdentityErrors.tokenExpired, 'token has expired');
    throw new DomainError(IdentityErrors.invalidToken, 'token is not valid');
  }
}
