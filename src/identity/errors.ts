// identity's error codes. Codes are API: add, never rename.
export const IdentityErrors = {
  invalidApiKey: 'invalid_api_key',
  invalidToken: 'invalid_token',
  tokenExpired: 'token_expired',
  ageNotAllowed: 'age_not_allowed',
  invalidBirthYear: 'invalid_birth_year',
  userNotFound: 'user_not_found',
  invalidRegion: 'invalid_region',
  invalidRelationship: 'invalid_relationship',
  invalidUserId: 'invalid_user_id',
} as const;
