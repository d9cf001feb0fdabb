/**
 * review: reports, cases, queues and decisions. This issue stores cases minimally (id, subject, scope of a report,
 * who opened it) so grants can name a case; the review issue extends these tables with queues, claims, decisions,
 * statements of reasons and appeals.
 * Owns: review_* tables. Exposes: openCase, getCase, reviewMigrations, ReviewErrors.
 * May import: access (through http composition), identity, storage, crypto, events, config.
 * Never: read message content itself (it asks access, through a grant).
 */
import { randomId } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import type { Migration, Queryable } from '../storage/index.js';

export const ReviewErrors = { caseNotFound: 'case_not_found', invalidCase: 'invalid_case' } as const;

export const reviewMigrations: Migration[] = [
  {
    id: '20261123-0300-review-cases',
    sql: `
      -- A case is about one subject (a user) and, when it comes from a report, the reported span of one
      -- conversation. The reporter's consent covers that span plus a bounded context window; grants inside it
      -- count as "covered by report" in policy.
      CREATE TABLE review_cases (
        case_id text PRIMARY KEY,
        subject_user_id text NOT NULL,
        source text NOT NULL,
        reported_conversation_id text,
        reported_from_seq int8,
        reported_to_seq int8,
        reported_by text,
        opened_by text NOT NULL,
        status text NOT NULL DEFAULT 'open',
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** How many messages around a reported span a case's default grant may cover. */
export const REPORT_CONTEXT_WINDOW = 20;

export interface Case {
  caseId: string;
  subjectUserId: string;
  source: 'report' | 'staff' | 'detection' | 'legal';
  reported: { conversationId: string; fromSeq: number; toSeq: number; reportedBy: string } | null;
  openedBy: string;
  status: string;
  createdAt: Date;
}

export async function openCase(
  db: Queryable,
  input: { subjectUserId: string; source: Case['source']; openedBy: string; reported?: Case['reported'] },
): Promise<Case> {
  const caseId = randomId('cs');
  const r = input.reported ?? null;
  if (r && (r.fromSeq < 1 || r.toSeq < r.fromSeq)) throw new DomainError(ReviewErrors.invalidCase, 'reported span must be a forward range');
  await db.query(
    `INSERT INTO review_cases (case_id, subject_user_id, source, reported_conversation_id, reported_from_seq, reported_to_seq, reported_by, opened_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [caseId, input.subjectUserId, input.source, r?.conversationId ?? null, r?.fromSeq ?? null, r?.toSeq ?? null, r?.reportedBy ?? null, input.openedBy],
  );
  return getCase(db, caseId);
}

export async function getCase(db: Queryable, caseId: string): Promise<Case> {
  const r = await db.query<{
    case_id: string; subject_user_id: string; source: Case['source']; reported_conversation_id: string | null;
    reported_from_seq: number | null; reported_to_seq: number | null; reported_by: string | null; opened_by: string; status: string; created_at: Date;
  }>('SELECT * FROM review_cases WHERE case_id = $1', [caseId]);
  const row = r.rows[0];
  if (!row) throw new DomainError(ReviewErrors.caseNotFound, 'case not found');
  return {
    caseId: row.case_id,
    subjectUserId: row.subject_user_id,
    source: row.source,
    reported: row.reported_conversation_id
      ? { conversationId: row.reported_conversation_id, fromSeq: row.reported_from_seq!, toSeq: row.reported_to_seq!, reportedBy: row.reported_by! }
      : null,
    openedBy: row.opened_by,
    status: row.status,
    createdAt: row.created_at,
  };
}

/** Whether a scope (one conversation, a seq range) lies within the report's consent: the span ± the window. */
export function coveredByReport(c: Case, scope: { conversationIds: string[]; fromSeq: number; toSeq: number }): boolean {
  if (!c.reported) return false;
  return (
    scope.conversationIds.length === 1 &&
    scope.conversationIds[0] === c.reported.conversationId &&
    scope.fromSeq >= Math.max(1, c.reported.fromSeq - REPORT_CONTEXT_WINDOW) &&
    scope.toSeq <= c.reported.toSeq + REPORT_CONTEXT_WINDOW
  );
}
