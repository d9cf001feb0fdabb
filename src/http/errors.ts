// The one table from error code to HTTP status, and the one error handler. Codes are API: add, never rename.
// Messages that reach the client come from DomainError (written to be safe) or from this file; a driver or
// library error never reaches the client verbatim, since its text can echo input or schema (Fastify's docs warn).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../errors.js';

export const errorStatus: Record<string, number> = {
  // request shape
  invalid_request: 400,
  malformed_json: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  route_not_found: 404,
  uri_too_long: 414,
  rate_limited: 429,
  missing_credentials: 401,
  // identity
  invalid_api_key: 401,
  invalid_token: 401,
  token_expired: 401,
  age_not_allowed: 403,
  invalid_birth_year: 400,
  user_not_found: 404,
  invalid_region: 400,
  invalid_relationship: 400,
  invalid_user_id: 400,
  // messaging
  conversation_not_found: 404,
  message_not_found: 404,
  invalid_text: 400,
  invalid_members: 400,
  group_too_large: 400,
  dm_not_allowed: 403,
  recipient_unavailable: 403,
  request_pending: 409,
  not_a_request: 409,
  empty_message: 400,
  invalid_cursor: 400,
  invalid_pointer: 400,
  not_message_sender: 403,
  message_unsent: 409,
  invalid_dm_policy: 400,
  cannot_block_self: 400,
  conflicting_cursor: 400,
  message_not_delivered: 403,
  media_not_found: 404,
  media_unavailable: 410,
  media_blocked: 403,
  invalid_bank: 400,
  invalid_pdq_threshold: 400,
  invalid_pdq_quality: 400,
  invalid_entry: 400,
  hash_bank_exists: 409,
  hash_bank_not_found: 404,
  hash_entry_exists: 409,
  hash_entry_not_found: 404,
  hash_entry_empty: 400,
  hash_import_bad_header: 400,
  // staff
  invalid_login: 401,
  account_locked: 429,
  invalid_session: 401,
  invalid_role: 400,
  username_taken: 409,
  weak_password: 400,
  staff_not_found: 404,
  // access
  grant_not_found: 404,
  grant_denied: 403,
  grant_not_approved: 403,
  grant_expired: 403,
  grant_revoked: 403,
  grant_out_of_scope: 403,
  not_grant_holder: 403,
  approval_denied: 403,
  action_denied: 403,
  invalid_grant: 400,
  invalid_policy: 400,
  invalid_policy_change: 400,
  policy_version_conflict: 409,
  // review
  case_not_found: 404,
  invalid_case: 400,
  // audit log
  invalid_tile_path: 400,
  tile_not_found: 404,
  invalid_proof_request: 400,
  entry_not_found: 404,
  checkpoint_not_found: 404,
  invalid_proof: 400,
  // media and hashes
  invalid_image: 400,
  image_too_small: 400,
  image_too_large: 413,
  file_unreadable: 400,
  invalid_hash: 400,
  // server faults
  audit_log_closed: 503,
  internal_error: 500,
  service_unavailable: 503,
};

/** One-line descriptions for README and /openapi.json. */
export const errorDescriptions: Record<string, string> = {
  invalid_request: 'the body, query or path failed schema validation (wrong type, missing or unknown field)',
  malformed_json: 'the body is not valid JSON',
  body_too_large: 'the body is larger than the configured limit (64 KiB by default)',
  unsupported_media_type: 'the Content-Type is not accepted by this route',
  route_not_found: 'no route has this method and path',
  uri_too_long: 'a path parameter is longer than the router accepts',
  rate_limited: 'too many requests for this token or address; retry after the Retry-After header',
  missing_credentials: 'the Authorization header is missing or not a Bearer credential',
  invalid_api_key: 'the platform API key is unknown or revoked',
  invalid_token: 'the user token is not valid (signature, issuer, audience or shape)',
  token_expired: 'the user token has expired; mint a new one',
  age_not_allowed: 'accounts under 13 cannot use messaging',
  invalid_birth_year: 'birthYear is missing or implausible',
  user_not_found: 'a named user does not exist',
  invalid_region: 'region is not a short lowercase id',
  invalid_relationship: 'the relationship names the same user twice',
  invalid_user_id: 'a user id has characters or a length that is not allowed',
  conversation_not_found: 'the conversation does not exist or you are not a member',
  message_not_found: 'the message does not exist in this conversation, or you cannot see it',
  invalid_text: 'text is empty, too long, not well-formed, or contains control characters, bidi overrides or stacked combining marks',
  invalid_members: 'members must name at least one other user',
  group_too_large: 'a conversation has at most 256 members',
  dm_not_allowed: 'DM rules do not allow this (the recipient\'s setting or age protections)',
  recipient_unavailable: 'this person cannot be messaged (blocked, or they deleted your request)',
  request_pending: 'your message request has not been accepted yet; you can send one message until it is',
  not_a_request: 'the conversation is not a pending message request for you',
  empty_message: 'a message needs text or a pointer',
  invalid_cursor: 'the paging cursor is not one the server issued',
  invalid_pointer: 'pointer must be {kind: "video", id}',
  not_message_sender: 'only the sender can unsend a message',
  message_unsent: 'the message was unsent',
  invalid_dm_policy: 'this DM setting is not available for your age group',
  cannot_block_self: 'you cannot block yourself',
  conflicting_cursor: 'use only one of before, after and around',
  message_not_delivered: 'the message was not delivered',
  media_not_found: 'no such media, or not yours to attach or see',
  media_unavailable: 'the media was deleted or its key destroyed',
  media_blocked: 'this media cannot be sent',
  invalid_bank: 'bank id, name or action is not valid',
  invalid_pdq_threshold: 'PDQ threshold must be an integer 0-63',
  invalid_pdq_quality: 'PDQ quality must be 0-100',
  invalid_entry: 'bank entry id or metadata is malformed',
  hash_bank_exists: 'a bank with this id exists',
  hash_bank_not_found: 'no such hash bank',
  hash_entry_exists: 'a bank entry with this id exists',
  hash_entry_not_found: 'no such bank entry',
  hash_entry_empty: 'a bank entry needs at least one hash',
  hash_import_bad_header: 'the CSV header names no hash column',
  invalid_login: 'username, password or TOTP code is wrong (which one is not said)',
  account_locked: 'too many failed sign-ins; the account is locked for 15 minutes',
  invalid_session: 'the staff session is missing, expired or revoked; sign in again',
  invalid_role: 'a staff role is not one of moderator, senior_moderator, child_safety, legal, auditor, admin',
  username_taken: 'a staff account with this username exists',
  weak_password: 'staff passwords have at least 12 characters',
  staff_not_found: 'no such staff member',
  grant_not_found: 'no such grant (or not yours to see)',
  grant_denied: 'policy does not allow this grant to be issued (the refusal is logged)',
  grant_not_approved: 'the grant needs a second staff member\'s approval before use',
  grant_expired: 'the grant has expired',
  grant_revoked: 'the grant was revoked',
  grant_out_of_scope: 'the read is outside the grant\'s conversations or range (the attempt is logged)',
  not_grant_holder: 'only the staff member a grant was issued to can use it',
  approval_denied: 'policy does not allow you to approve this grant (your own, or not your role)',
  action_denied: 'policy does not allow this staff action (the refusal is logged)',
  invalid_grant: 'grant duration or scope is out of bounds',
  invalid_policy: 'the policy text does not parse or validate against the schema',
  invalid_policy_change: 'a policy change needs who and why',
  policy_version_conflict: 'the policy changed since the version you edited; reload and retry',
  invalid_proof: 'a proof that does not verify or has the wrong shape',
  invalid_image: 'the file is not a decodable image of an accepted format',
  image_too_small: 'the image is smaller than 5x5 pixels',
  image_too_large: 'the image has more pixels or bytes than allowed',
  file_unreadable: 'the file cannot be read',
  invalid_hash: 'a hash is not the expected hex length',
  case_not_found: 'no such case',
  invalid_case: 'the reported span is not a forward range',
  invalid_tile_path: 'not a tlog-tiles path',
  tile_not_found: 'the log has not published this tile',
  invalid_proof_request: 'impossible proof sizes (index >= size, from > to, or beyond the tree)',
  entry_not_found: 'no such log entry',
  checkpoint_not_found: 'the log has no checkpoint yet',
  audit_log_closed: 'the verifiable log is not accepting entries, so nothing that must be logged can happen',
  internal_error: 'a fault on our side; nothing about your request is in this message',
  service_unavailable: 'the server is starting or shutting down',
};

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function statusFor(code: string): number {
  return errorStatus[code] ?? 400;
}

/** Maps Fastify's own errors (parser, limits, validation) to our codes. */
function fromFastify(err: FastifyError): { code: string; message: string } | null {
  if (err.validation && err.validation.length > 0) {
    const v = err.validation[0];
    const where = err.validationContext ?? 'request';
    const path = v.instancePath || '';
    return { code: 'invalid_request', message: `${where}${path} ${v.message ?? 'is not valid'}`.slice(0, 300) };
  }
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'uri_too_long', message: 'a path parameter is too long' };
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return { code: 'invalid_request', message: 'the URL cannot be read' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'malformed_json', message: 'the body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'body_too_large', message: 'the body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_request', message: 'the body cannot be read as sent' };
    case 'FST_ERR_CTP_INVALID_TYPE':
      return { code: 'unsupported_media_type', message: 'the Content-Type is not valid' };
  }
  // JSON.parse failures (including prototype-poisoning refusals) arrive as SyntaxError with status 400.
  if ((err as Error).name === 'SyntaxError') return { code: 'malformed_json', message: 'the body is not valid JSON' };
  if (err.statusCode === 413) return { code: 'body_too_large', message: 'the body is too large' };
  if (err.statusCode === 415) return { code: 'unsupported_media_type', message: 'the Content-Type is not accepted' };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: 'invalid_request', message: 'the request could not be read' };
  }
  return null;
}

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (isDomainError(err)) {
    const status = statusFor(err.code);
    if (status >= 500) request.log.error({ code: err.code }, 'domain error mapped to 5xx');
    return reply.status(status).send(errorBody(err.code, err.message));
  }
  const mapped = fromFastify(err as FastifyError);
  if (mapped) return reply.status(statusFor(mapped.code)).send(errorBody(mapped.code, mapped.message));
  // Unknown: log only the class and code (a driver's message can contain query text or values).
  request.log.error({ errName: (err as Error).name, errCode: (err as { code?: string }).code }, 'unhandled error');
  return reply.status(500).send(errorBody('internal_error', 'internal error'));
}
