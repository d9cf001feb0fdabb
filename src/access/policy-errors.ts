/**
 * access/policy-errors: the stable, public error codes of the staff-access policy engine (codes are API: add,
 * never rename). `http/` maps them to statuses. Messages may echo policy text positions (policies are staff
 * configuration, not user content) but never content or request data.
 */
export const PolicyErrorCode = {
  /** Policy text that does not parse, fails strict validation against the schema, or would lock admins out. */
  invalidPolicy: 'invalid_policy',
  /** A policy change without who made it or why. */
  invalidPolicyChange: 'invalid_policy_change',
  /** The change was based on a version that is no longer current, or raced another change. */
  policyVersionConflict: 'policy_version_conflict',
} as const;

export type PolicyErrorCode = (typeof PolicyErrorCode)[keyof typeof PolicyErrorCode];
